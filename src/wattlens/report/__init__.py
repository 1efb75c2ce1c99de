"""HTML and PNG reports of a run, an estimate or a scenario.

``run_report(measurement)``, ``estimate_report(estimate, title=...)`` and
``scenario_report(result, waterfall)`` give one self-contained HTML document
(plotly.js embedded, opens offline);
``write_pngs(view["figures"], directory)`` writes the same charts as PNG.
The charts and tables come from the views of :mod:`wattlens.report.views`
(one module each for runs, estimates and scenarios), which the web dashboard
uses too. Needs the ``web`` extra (jinja2, plotly; kaleido for PNG).
"""

from __future__ import annotations

from wattlens.report.render import (
    estimate_report,
    plotly_js_path,
    run_report,
    scenario_report,
    write_html,
    write_pngs,
)
from wattlens.report.views.estimate import estimate_view
from wattlens.report.views.run import MAX_TIMELINE_POINTS, downsample_timeline, run_view
from wattlens.report.views.scenario import scenario_view

__all__ = [
    "MAX_TIMELINE_POINTS",
    "downsample_timeline",
    "estimate_report",
    "estimate_view",
    "plotly_js_path",
    "run_report",
    "run_view",
    "scenario_report",
    "scenario_view",
    "write_html",
    "write_pngs",
]
