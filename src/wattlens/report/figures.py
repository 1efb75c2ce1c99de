"""The views' public functions in one place (see :mod:`wattlens.report.views`).

Charts and tables of a run, an estimate or a scenario, as plain data shared by
the HTML report and the web dashboard.
"""

from __future__ import annotations

from wattlens.report.views.common import (
    MEASURED_METHODS,
    band,
    band_text,
    energy_unit,
    figure_titles,
    impact_rows,
    impacts_figure,
    quantile_text,
)
from wattlens.report.views.estimate import (
    boundary_figure,
    estimate_view,
    histogram_figure,
    sensitivity_figure,
)
from wattlens.report.views.run import (
    MAX_TIMELINE_POINTS,
    compare_figure,
    component_energy_figure,
    downsample_timeline,
    is_measured,
    run_method_label,
    run_view,
    timeline_figure,
)
from wattlens.report.views.scenario import scenario_view, waterfall_figure

__all__ = [
    "MAX_TIMELINE_POINTS",
    "MEASURED_METHODS",
    "band",
    "band_text",
    "boundary_figure",
    "compare_figure",
    "component_energy_figure",
    "downsample_timeline",
    "energy_unit",
    "estimate_view",
    "figure_titles",
    "histogram_figure",
    "impact_rows",
    "impacts_figure",
    "is_measured",
    "quantile_text",
    "run_method_label",
    "run_view",
    "scenario_view",
    "sensitivity_figure",
    "timeline_figure",
    "waterfall_figure",
]
