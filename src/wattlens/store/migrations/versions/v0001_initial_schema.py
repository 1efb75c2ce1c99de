"""The schema of wattlens 0.1.0: runs and their power timelines.

Revision ID: 0001
Revises:
Create Date: 2026-12-01

wattlens 0.1.0 created these tables itself, without a version table. On such
a database this revision creates nothing (every table and index is already
there, exactly as below) and only records ``0001``; on an empty one it creates
everything. The definitions are written out here, not imported from
``tables.py``, so that this revision keeps meaning the same schema when
``tables.py`` moves on.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _runs_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("run_id", sa.String(128), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("command", sa.Text),
        sa.Column("exit_code", sa.Integer),
        sa.Column("started_at", sa.String(64), nullable=False),
        sa.Column("ended_at", sa.String(64)),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("energy_j", sa.Float, nullable=False),
        sa.Column("energy_low_j", sa.Float),
        sa.Column("energy_high_j", sa.Float),
        sa.Column("attributed_energy_j", sa.Float),
        sa.Column("avg_power_w", sa.Float),
        sa.Column("peak_power_w", sa.Float),
        sa.Column("methods", sa.String(64)),
        sa.Column("location", sa.Text),
        sa.Column("co2e_g", sa.Float),
        sa.Column("water_l", sa.Float),
        sa.Column("cost_amount", sa.Float),
        sa.Column("cost_currency", sa.String(16)),
        sa.Column("host", sa.Text),
        sa.Column("result", sa.Text, nullable=False),
    ]


def _timeline_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.String(128),
            sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("t_s", sa.Float, nullable=False),
        sa.Column("component", sa.String(128), nullable=False),
        sa.Column("power_w", sa.Float, nullable=False),
    ]


# table -> (its columns, {index name: indexed column})
_TABLES = {
    "runs": (_runs_columns, {"ix_runs_started_at": "started_at", "ix_runs_name": "name"}),
    "timeline": (_timeline_columns, {"ix_timeline_run_id": "run_id"}),
}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for table, (columns, indexes) in _TABLES.items():
        if table not in existing:
            op.create_table(table, *columns())
            have: set[str | None] = set()
        else:
            have = {ix["name"] for ix in inspector.get_indexes(table)}
        for index, column in indexes.items():
            if index not in have:
                op.create_index(index, table, [column])


def downgrade() -> None:
    for table, (_columns, indexes) in reversed(_TABLES.items()):
        for index in indexes:
            op.drop_index(index, table_name=table)
        op.drop_table(table)
