"""Self-contained HTML reports and PNG charts of a run, an estimate or a scenario.

The HTML file embeds plotly.js (the copy shipped inside the installed
``plotly`` package), its CSS and every chart's data: it opens offline, with no
request to any server. PNG export renders the same figures with kaleido,
which drives a locally installed Chromium (Debian's ``chromium`` or Chrome;
``BROWSER_PATH`` names another) and never downloads one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wattlens._version import __version__
from wattlens.errors import UsageError, WattlensError
from wattlens.report.views.estimate import estimate_view
from wattlens.report.views.run import MAX_TIMELINE_POINTS, run_view
from wattlens.report.views.scenario import scenario_view

if TYPE_CHECKING:
    from jinja2 import Environment

    from wattlens.estimate import Estimate
    from wattlens.measurement import Measurement

_WEB_EXTRA_HINT = "install the web extra: pip install 'wattlens[web]'"
TEMPLATES_DIR = Path(__file__).parent / "templates"


def plotly_js_path() -> Path:
    """The minified plotly.js shipped with the installed ``plotly`` package.

    Raises:
        WattlensError: plotly is not installed, or its copy of plotly.js is missing.
    """
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise WattlensError("charts need the plotly package", hint=_WEB_EXTRA_HINT)
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise WattlensError(
            f"the installed plotly package has no plotly.min.js at {path}",
            hint="reinstall plotly: pip install --force-reinstall plotly",
        )
    return path


@cache
def _plotly_js() -> str:
    return plotly_js_path().read_text(encoding="utf-8")


def _jsonable(value: Any) -> Any:
    """Figure data as strict JSON: NaN and infinities become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def figure_json(figure: Mapping[str, Any]) -> str:
    """A figure as JSON text safe to embed in HTML (``<``, ``>`` and ``&`` escaped)."""
    text = json.dumps(_jsonable(figure), separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def jinja_environment(*extra_dirs: Path) -> Environment:
    """A Jinja2 environment over the report templates (and ``extra_dirs`` first)."""
    try:
        import jinja2
    except ImportError as exc:
        raise WattlensError("HTML output needs jinja2", hint=_WEB_EXTRA_HINT) from exc
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*map(str, extra_dirs), str(TEMPLATES_DIR)]),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["figure_json"] = figure_json
    from wattlens.catalog.citations import cite, link_parts

    env.globals.update(cite=cite, link_parts=link_parts)
    return env


def _render(view: Mapping[str, Any]) -> str:
    env = jinja_environment()
    template = env.get_template("report.html")
    return template.render(
        view=view,
        plotly_js=_plotly_js(),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        version=__version__,
    )


def run_report(measurement: Measurement, *, max_points: int = MAX_TIMELINE_POINTS) -> str:
    """The HTML report of a measured run, as one self-contained document."""
    return _render(run_view(measurement, max_points=max_points))


def estimate_report(
    estimate: Estimate, *, title: str, inputs: Mapping[str, Any] | None = None
) -> str:
    """The HTML report of an estimate, as one self-contained document."""
    return _render(estimate_view(estimate, title=title, inputs=inputs))


def scenario_report(result: Mapping[str, Any], waterfall: Mapping[str, Any] | None = None) -> str:
    """The HTML report of ``wattlens scenario run`` (and ``levers``) results."""
    return _render(scenario_view(result, waterfall))


def write_html(html: str, path: Path) -> Path:
    """Write a report; a path that cannot be written is a usage error naming it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot write the report {path}: {exc.strerror or exc}",
            hint="choose a writable path with -o/--output",
        ) from exc
    return path


def write_pngs(
    figures: Mapping[str, Mapping[str, Any]],
    directory: Path,
    *,
    width: int = 1000,
    scale: float = 1.0,
) -> list[Path]:
    """Write each figure as ``DIRECTORY/NAME.png`` with kaleido and a local Chromium.

    Nothing is downloaded: plotly.js comes from the installed plotly package and
    MathJax is turned off. Chromium is found on ``PATH`` (``chromium``,
    ``google-chrome`` …) or at ``BROWSER_PATH``.

    Returns:
        The paths written, in the order of ``figures``.

    Raises:
        WattlensError: kaleido or a Chromium browser is missing, or export failed.
        UsageError: ``directory`` cannot be created.
    """
    try:
        import kaleido  # type: ignore[import-untyped]
        from kaleido.errors import ChromeNotFoundError  # type: ignore[import-untyped]
    except ImportError as exc:
        raise WattlensError("PNG export needs kaleido", hint=_WEB_EXTRA_HINT) from exc
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create the PNG directory {directory}: {exc.strerror or exc}",
            hint="choose a writable directory with --png",
        ) from exc
    paths = [directory / f"{name}.png" for name in figures]
    specs = [
        {
            "fig": _jsonable(fig),
            "path": path,
            "opts": {
                "format": "png",
                "width": width,
                "height": int(fig.get("layout", {}).get("height", 400)),
                "scale": scale,
            },
        }
        for fig, path in zip(figures.values(), paths, strict=True)
    ]
    try:
        kaleido.write_fig_from_object_sync(
            specs, kopts={"plotlyjs": str(plotly_js_path()), "mathjax": False}
        )
    except ChromeNotFoundError as exc:
        raise WattlensError(
            "PNG export needs a Chromium or Chrome browser and none was found",
            hint="install one (Debian: apt-get install chromium) or set BROWSER_PATH "
            "to its executable; the HTML report needs no browser",
        ) from exc
    except Exception as exc:
        raise WattlensError(
            f"PNG export failed: {type(exc).__name__}: {exc}",
            hint="the HTML report has the same charts; check that Chromium starts "
            "(BROWSER_PATH names the executable kaleido uses)",
        ) from exc
    return paths
