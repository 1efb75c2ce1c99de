"""Windows of a run, and the run a child record belongs to.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

A training run's epochs were stored as runs of their own (``<id>.epoch0001``)
and a distributed run's rank and node records as runs too
(``<id>.<host>.rank0``, ``.node``): both crowded the runs list. Now a run has
``windows`` (one row per epoch or group of steps, written as each ends) and a
record that belongs to another run names it in ``runs.parent_id``; listings
show top-level runs unless asked for children.

The records already stored are given their parent here, from the same fields
the store reads at save time: ``host.distributed.run_id`` (a rank or node
record), else ``host.training.run_id`` of a record that has
``host.training.epoch`` (a per-epoch record). Only ids with a dot can be such
records, so only those rows are read. A per-epoch record stays a run of its
own (a child), its energy is not copied into a window: its parent's
``host.training.epoch_energy_j`` already lists it.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 500


def _parent(run_id: str, host_text: str | None) -> str | None:
    """The run a stored record belongs to (as ``wattlens.store.rows.parent_of`` at 0003)."""
    try:
        host: Any = json.loads(host_text) if host_text else {}
    except ValueError:
        return None
    if not isinstance(host, dict):
        return None
    tag = host.get("distributed")
    if isinstance(tag, dict):
        parent = tag.get("run_id")
        if isinstance(parent, str) and parent and parent != run_id:
            return parent
    training = host.get("training")
    if isinstance(training, dict) and training.get("epoch") is not None:
        parent = training.get("run_id")
        if isinstance(parent, str) and parent and parent != run_id:
            return parent
    return None


def upgrade() -> None:
    op.create_table(
        "windows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.String(128),
            sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("label", sa.Text),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("energy_j", sa.Float, nullable=False),
        sa.Column("energy_low_j", sa.Float),
        sa.Column("energy_high_j", sa.Float),
        sa.Column("methods", sa.String(64)),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_windows_run_id_seq", "windows", ["run_id", "seq"], unique=True)
    op.add_column("runs", sa.Column("parent_id", sa.String(128)))
    op.create_index("ix_runs_parent_id", "runs", ["parent_id"])

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT run_id, host FROM runs WHERE run_id LIKE '%.%'")).all()
    updates = [
        {"run_id": run_id, "parent_id": parent}
        for run_id, host in rows
        if (parent := _parent(run_id, host)) is not None
    ]
    statement = sa.text("UPDATE runs SET parent_id = :parent_id WHERE run_id = :run_id")
    for start in range(0, len(updates), _BATCH):
        conn.execute(statement, updates[start : start + _BATCH])


def downgrade() -> None:
    op.drop_index("ix_runs_parent_id", table_name="runs")
    op.drop_column("runs", "parent_id")
    op.drop_index("ix_windows_run_id_seq", table_name="windows")
    op.drop_table("windows")
