"""The tables of the run store, as SQLAlchemy Core definitions.

- ``runs``: one row per run. The columns a listing or a query needs (name,
  status, times, energy totals, methods, headline impacts) are real columns;
  ``result`` holds the whole :meth:`Measurement.to_dict` form (without the
  timeline) as JSON text, so that a run reads back exactly as it was saved.
- ``timeline``: one row per (point, component) of the power timeline.
- ``windows``: spans of a run with their own energy (a training run's epochs
  and step summaries, see :mod:`wattlens.windows`), written as they end.

A run whose ``parent_id`` is set is a child record of that run (a rank or node
record of a distributed run, a legacy per-epoch record of a training run):
listings show top-level runs unless asked for children.

These definitions are what the code reads and writes; the database gets them
from the migrations in ``migrations/versions`` (revision ``0001`` creates the
tables of release 0.1.0, ``0002`` adds the sort indexes and the timeline's
running totals, ``0003`` the windows and ``runs.parent_id``). A change here needs a
new revision, and a test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text

__all__ = ["metadata", "runs", "timeline", "windows"]

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(128), primary_key=True),
    Column("name", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("command", Text),  # JSON list of strings
    Column("exit_code", Integer),
    Column("started_at", String(64), nullable=False),  # ISO 8601 UTC, microseconds
    Column("ended_at", String(64)),
    Column("duration_s", Float, nullable=False),
    Column("energy_j", Float, nullable=False),
    Column("energy_low_j", Float),
    Column("energy_high_j", Float),
    Column("attributed_energy_j", Float),
    Column("avg_power_w", Float),
    Column("peak_power_w", Float),
    Column("methods", String(64)),  # comma-separated: counter,sampled,modeled
    Column("location", Text),
    Column("co2e_g", Float),
    Column("water_l", Float),
    Column("cost_amount", Float),
    Column("cost_currency", String(16)),
    Column("host", Text),  # JSON object
    Column("result", Text, nullable=False),  # Measurement.to_dict() without timeline
    Column("timeline_row_count", Integer),  # revision 0002: rows in ``timeline`` (null before)
    # Revision 0003: the run this record belongs to (rows.parent_of); null for a top-level run.
    # No foreign key: a rank's record may be saved before, or without, its run's own record.
    Column("parent_id", String(128)),
    Index("ix_runs_started_at", "started_at"),
    Index("ix_runs_name", "name"),
    # Revision 0002: one index per sortable column, the run id breaking ties.
    Index("ix_runs_duration_s", "duration_s", "run_id"),
    Index("ix_runs_energy_j", "energy_j", "run_id"),
    Index("ix_runs_co2e_g", "co2e_g", "run_id"),
    Index("ix_runs_avg_power_w", "avg_power_w", "run_id"),
    Index("ix_runs_status", "status", "run_id"),
    Index("ix_runs_parent_id", "parent_id"),
)

timeline = Table(
    "timeline",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(128), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),  # index of the point in the timeline
    Column("t_s", Float, nullable=False),
    Column("component", String(128), nullable=False),
    Column("power_w", Float, nullable=False),
    # Revision 0002: the component's running totals up to this row (see rows.timeline_rows).
    Column("cum_power_w", Float),
    Column("cum_t_s", Float),
    Column("cum_n", Integer),
    Index("ix_timeline_run_id", "run_id"),
    Index("ix_timeline_run_id_seq", "run_id", "seq"),
)

#: Revision 0003.
windows = Table(
    "windows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(128), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),  # order in the run; unique per run
    Column("kind", String(32), nullable=False),  # epoch, steps, ...
    Column("label", Text),
    Column("start_s", Float, nullable=False),  # seconds from the run's start
    Column("end_s", Float, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("energy_j", Float, nullable=False),
    Column("energy_low_j", Float),
    Column("energy_high_j", Float),
    Column("methods", String(64)),  # comma-separated, as in ``runs``
    Column("detail", Text),  # JSON object: what the kind adds (steps, mean step energy)
    Index("ix_windows_run_id_seq", "run_id", "seq", unique=True),
)
