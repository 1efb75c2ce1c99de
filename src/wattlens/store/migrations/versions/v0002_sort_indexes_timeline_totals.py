"""An index for every column the runs list sorts by; running totals on the timeline.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

The dashboard sorts and pages runs by duration, energy, CO2e, average power and
status in the database; without an index each page sorts every run. Each index
ends with the run id, which breaks ties, so that a page is read from the index
in order.

Each timeline row gets its component's running totals up to it (power, time,
count; computed here for the rows already stored), each run the number of its
timeline rows, and the timeline an index on (run, point):
a chart of a long run then reads one row per bucket, not every row. A store at
0001 reads the same, only slower.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

#: index name -> its columns (on ``runs``)
_INDEXES = {
    "ix_runs_duration_s": ["duration_s", "run_id"],
    "ix_runs_energy_j": ["energy_j", "run_id"],
    "ix_runs_co2e_g": ["co2e_g", "run_id"],
    "ix_runs_avg_power_w": ["avg_power_w", "run_id"],
    "ix_runs_status": ["status", "run_id"],
}


_TOTALS = (("cum_power_w", sa.Float), ("cum_t_s", sa.Float), ("cum_n", sa.Integer))
_FILL = """
UPDATE timeline SET cum_power_w = totals.p, cum_t_s = totals.t, cum_n = totals.n
FROM (
    SELECT id,
           SUM(power_w) OVER w AS p, SUM(t_s) OVER w AS t, COUNT(*) OVER w AS n
    FROM timeline
    WINDOW w AS (PARTITION BY run_id, component ORDER BY seq, id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
) AS totals
WHERE timeline.id = totals.id
"""


def upgrade() -> None:
    for index, columns in _INDEXES.items():
        op.create_index(index, "runs", columns)
    for column, kind in _TOTALS:
        op.add_column("timeline", sa.Column(column, kind))
    op.create_index("ix_timeline_run_id_seq", "timeline", ["run_id", "seq"])
    op.execute(_FILL)
    op.add_column("runs", sa.Column("timeline_row_count", sa.Integer))
    op.execute(
        "UPDATE runs SET timeline_row_count = "
        "(SELECT COUNT(*) FROM timeline WHERE timeline.run_id = runs.run_id)"
    )


def downgrade() -> None:
    op.drop_column("runs", "timeline_row_count")
    op.drop_index("ix_timeline_run_id_seq", table_name="timeline")
    for column, _kind in reversed(_TOTALS):
        op.drop_column("timeline", column)
    for index in reversed(_INDEXES):
        op.drop_index(index, table_name="runs")
