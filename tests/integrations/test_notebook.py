"""`%load_ext wattlens` in a real IPython shell: the cell and line magics, and the HTML views."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wattlens.measurement import Measurement
from wattlens.store import Store

pytest.importorskip("IPython")

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import CapturedIO, capture_output
from traitlets.config import Config


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    ip = InteractiveShell.instance(config=config)
    ip.run_line_magic("load_ext", "wattlens")
    yield ip
    ip.run_line_magic("unload_ext", "wattlens")
    InteractiveShell.clear_instance()


def _run(ip: InteractiveShell, source: str) -> CapturedIO:
    with capture_output() as captured:
        ip.run_cell(source)  # type: ignore[no-untyped-call]
    return captured


def _html(captured: CapturedIO) -> str:
    htmls = [o.data["text/html"] for o in captured.outputs if "text/html" in o.data]
    assert len(htmls) == 1, captured.stdout
    return str(htmls[0])


WORK = "total = sum(i * i for i in range(300_000))\n"


def test_cell_magic_meters_the_cell_and_shows_escaped_html(shell: InteractiveShell) -> None:
    captured = _run(shell, '%%wattlens --name "<script>alert(1)</script>" --location FR\n' + WORK)
    result = shell.user_ns["_wattlens"]
    assert isinstance(result, Measurement)
    # The cell ran in the notebook's namespace, inside the window.
    assert shell.user_ns["total"] == sum(i * i for i in range(300_000))
    assert result.name == "<script>alert(1)</script>"
    assert result.status == "completed"
    assert result.duration_s > 0
    assert result.energy_j > 0
    assert result.methods
    assert result.location == "FR"
    html = _html(captured)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for method in result.methods:
        assert method in html
    assert "France" in html
    assert "carbon (location-based)" in html
    # Terminals get the one-line text form beside the HTML.
    plain = [o.data["text/plain"] for o in captured.outputs]
    assert plain
    assert plain[0].startswith("wattlens <script>alert(1)</script>: ")


def test_a_failing_cell_is_a_failed_run_and_its_error_still_shows(
    shell: InteractiveShell,
) -> None:
    captured = _run(shell, "%%wattlens --name broken\nraise ValueError('boom')\n")
    assert shell.user_ns["_wattlens"].status == "failed"
    assert "ValueError" in captured.stdout + captured.stderr
    assert "boom" in captured.stdout + captured.stderr


def test_an_interrupted_cell_is_an_interrupted_run(shell: InteractiveShell) -> None:
    _run(shell, "%%wattlens\nraise KeyboardInterrupt\n")
    assert shell.user_ns["_wattlens"].status == "interrupted"


def test_json_option_prints_the_run_record(shell: InteractiveShell) -> None:
    captured = _run(shell, "%%wattlens --json --pue 1.3\n" + WORK)
    record = json.loads(captured.stdout)
    assert record["pue"] == 1.3
    assert record["energy_j"] == shell.user_ns["_wattlens"].energy_j
    assert record["energy_j"] > 0
    assert not [o for o in captured.outputs if "text/html" in o.data]


def test_save_records_the_run_in_the_store(shell: InteractiveShell) -> None:
    _run(shell, "%%wattlens --save --quiet --name saved-cell\n" + WORK)
    result = shell.user_ns["_wattlens"]
    with Store() as store:
        stored = store.get(result.run_id)
    assert stored.name == "saved-cell"
    assert stored.energy_j == pytest.approx(result.energy_j)


def test_line_magic_measures_one_statement(shell: InteractiveShell) -> None:
    captured = _run(shell, "%wattlens --var step --name 'one line' y = sum(range(10**5))")
    assert shell.user_ns["y"] == sum(range(10**5))
    step = shell.user_ns["step"]
    assert step is shell.user_ns["_wattlens"]
    assert step.name == "one line"
    assert step.energy_j > 0
    assert "one line" in _html(captured)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%%wattlens --pue 0.5\n", "pue"),
        ("%%wattlens --bogus\n", "unknown option '--bogus'"),
        ("%%wattlens --pue many\n", "invalid float value"),
        ("%%wattlens stray words\n", "unexpected 'stray words'"),
        ("%wattlens --name x\n", "needs a statement"),
        ("%%wattlens --location Atlantis\n", "Atlantis"),
    ],
)
def test_bad_options_are_a_message_not_a_traceback(
    shell: InteractiveShell, line: str, message: str
) -> None:
    shell.user_ns.pop("_wattlens", None)
    captured = _run(shell, line + WORK)
    assert message in captured.stdout
    assert "error:" in captured.stdout
    assert "Traceback" not in captured.stdout + captured.stderr
    assert "_wattlens" not in shell.user_ns
    assert "total" not in shell.user_ns or line.startswith("%wattlens")


def test_unload_removes_the_magics(shell: InteractiveShell) -> None:
    assert "wattlens" in shell.magics_manager.magics["cell"]
    shell.run_line_magic("unload_ext", "wattlens")
    assert "wattlens" not in shell.magics_manager.magics["cell"]
    assert "wattlens" not in shell.magics_manager.magics["line"]
    shell.run_line_magic("load_ext", "wattlens")


def test_import_wattlens_does_not_import_ipython() -> None:
    code = "import sys, wattlens; print('IPython' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the HTML views of results outside a notebook ------------------------------------------------
def test_estimate_html_shows_modelled_ranges_sources_and_escapes() -> None:
    import wattlens

    est = wattlens.estimate.inference(
        model="llama-3.1-8b", accelerator="H100", output_tokens=500, location="FR"
    )
    html = est._repr_html_()
    assert "modelled" in html
    assert "not measured" in html
    # The p5-p95 range of the energy, not a point.
    assert " – p95 " in html
    assert "p5 " in html
    for source in est.sources:
        assert source in html
    for assumption in est.assumptions:
        assert assumption.name in html
    hostile = dataclasses.replace(est, sources=("<img src=x onerror=alert(1)>",))
    assert "<img" not in hostile._repr_html_()
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile._repr_html_()


def test_measurement_html_marks_modelled_components() -> None:
    from wattlens.measurement import ComponentEnergy

    gpu = ComponentEnergy(id="gpu:0", kind="gpu", name="<b>H100</b>", method="counter",
                          sensor="nvml", basis="counter", energy_j=7200.0,
                          avg_power_w=2.0)  # fmt: skip
    ram = ComponentEnergy(id="ram", kind="ram", name="RAM", method="modeled", sensor="model",
                          basis="model", energy_j=360.0, avg_power_w=0.1, energy_low_j=180.0,
                          energy_high_j=540.0)  # fmt: skip
    m = Measurement(run_id="r1", name="mixed", started_at="2026-03-01T12:00:00+00:00",
                    ended_at="2026-03-01T13:00:00+00:00", duration_s=3600.0,
                    components=(gpu, ram), command=("python", "<train>.py"))  # fmt: skip
    html = m._repr_html_()
    assert "partly modelled" in html
    assert "<b>modeled</b>" in html
    assert "&lt;b&gt;H100&lt;/b&gt;" in html
    assert "python &lt;train&gt;.py" in html
    # The measured band of the total: 7.38 kJ central, 7.2+0.18 to 7.2+0.54 kJ.
    assert "2.1 Wh (low 2.05 – high 2.15 Wh)" in html
    assert "180 J" not in html  # one unit per range, chosen from the central value
