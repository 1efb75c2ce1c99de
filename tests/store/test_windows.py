"""Windows of a run and child records: saved, read back, listed, kept when the store is away,
and an older store upgraded to them (revision 0003) with its data intact."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.store.test_store import make_measurement
from wattlens.measurement import Measurement
from wattlens.store import RunKeptError, RunNotFoundError, Store, spool
from wattlens.store.fast import save_windows, save_windows_or_keep
from wattlens.windows import Window


def _window(seq: int, energy_j: float = 100.0, kind: str = "epoch") -> Window:
    return Window(
        seq,
        kind,
        f"epoch {seq + 1}",
        start_s=10.0 * seq,
        end_s=10.0 * seq + 9.5,
        duration_s=9.5,
        energy_j=energy_j,
        energy_low_j=energy_j * 0.9,
        energy_high_j=energy_j * 1.2,
        methods=("counter", "modeled"),
        detail={"steps": 40 + seq, "mean_step_energy_j": energy_j / (40 + seq)},
    )


def _running(run_id: str, name: str = "train") -> Measurement:
    return make_measurement(run_id, name=name, status="running", timeline_points=0)


def _child(parent: str, host: str, role: str, rank: int = 0) -> Measurement:
    suffix = f"rank{rank}" if role == "rank" else "node"
    m = make_measurement(f"{parent}.{host}.step.{suffix}", name="step", timeline_points=0)
    tag = {"run_id": parent, "rank": rank, "role": role, "hostname": host, "window": "step"}
    return replace(m, host={**m.host, "distributed": tag})


def test_windows_round_trip_in_order(store: Store) -> None:
    store.save_windows(_running("run-a"), [_window(1, 250.0), _window(0, 200.0)])
    store.save_windows(_running("run-a"), [_window(2, 300.0, kind="steps")])
    windows = store.windows("run-a")
    assert [w.seq for w in windows] == [0, 1, 2]
    assert windows[0] == _window(0, 200.0)
    assert windows[1] == _window(1, 250.0)
    assert windows[2].kind == "steps"
    assert windows[1].detail == {"steps": 41, "mean_step_energy_j": 250.0 / 41}
    assert windows[1].to_dict()["methods"] == ["counter", "modeled"]
    assert store.get("run-a").status == "running"


def test_a_window_saved_again_replaces_itself(store: Store) -> None:
    store.save_windows(_running("run-b"), [_window(0, 100.0)])
    store.save_windows(_running("run-b"), [_window(0, 120.0)])
    assert [w.energy_j for w in store.windows("run-b")] == [120.0]


def test_the_final_save_keeps_the_windows_and_a_late_snapshot_does_not_undo_it(
    store: Store,
) -> None:
    store.save_windows(_running("run-c"), [_window(0), _window(1)])
    final = make_measurement("run-c", gpu_j=9000.0, timeline_points=4)
    store.save(final)
    assert len(store.windows("run-c")) == 2
    # A snapshot replayed from the spool after the run ended adds its window only.
    store.save_windows(_running("run-c"), [_window(2)])
    run = store.get("run-c")
    assert run.status == "completed"
    assert run.to_dict() == final.to_dict()
    assert [w.seq for w in store.windows("run-c")] == [0, 1, 2]


def test_windows_of_an_unknown_run_are_refused_and_deleted_with_their_run(store: Store) -> None:
    with pytest.raises(RunNotFoundError):
        store.save_windows("no-such-run", [_window(0)])
    store.save_windows(_running("run-d"), [_window(0)])
    store.save_windows("run-d", [_window(1)])
    assert len(store.windows("run-d")) == 2
    store.delete("run-d")
    store.save(_running("run-d"))
    assert store.windows("run-d") == []


def test_children_are_hidden_from_the_list_unless_asked(store: Store) -> None:
    store.save(make_measurement("job-1", name="train", timeline_points=0))
    for child in (_child("job-1", "n1", "rank", 0), _child("job-1", "n1", "node")):
        store.save(child)
    store.save(make_measurement("solo", name="other", timeline_points=0))
    assert {r["run_id"] for r in store.list_runs()} == {"job-1", "solo"}
    assert store.count() == 2
    every = store.list_runs(children=True)
    assert store.count(children=True) == 4 == len(every)
    parents = {r["run_id"]: r["parent_id"] for r in every}
    assert parents["job-1.n1.step.rank0"] == "job-1"
    assert parents["job-1.n1.step.node"] == "job-1"
    assert parents["solo"] is None
    children = store.children("job-1")
    assert [c["run_id"] for c in children] == ["job-1.n1.step.node", "job-1.n1.step.rank0"]
    assert all(c["energy_j"] == pytest.approx(3500.0) for c in children)
    # The group of a distributed run still reads every record of it.
    assert {m.run_id for m in store.group("job-1")} == {c["run_id"] for c in children}


def test_a_prefix_of_a_run_and_its_children_names_the_run(store: Store) -> None:
    store.save(make_measurement("abcd1234ffff", timeline_points=0))
    store.save(_child("abcd1234ffff", "n1", "rank", 0))
    assert store.resolve("abcd1234") == "abcd1234ffff"
    assert store.resolve("abcd1234ffff.n1") == "abcd1234ffff.n1.step.rank0"


def test_a_child_whose_run_has_no_record_is_still_hidden_and_resolves(store: Store) -> None:
    store.save(_child("shared-job", "n1", "node"))
    assert store.list_runs() == []
    assert store.get("shared-job.n1.step.node").run_id == "shared-job.n1.step.node"
    assert [c["run_id"] for c in store.children("shared-job")] == ["shared-job.n1.step.node"]


def test_the_fast_save_writes_what_the_store_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    with Store(url) as store:
        store.count()  # created at the current schema: the fast path takes it
    save_windows(_running("fast"), [_window(0), _window(1)], url)
    save_windows(_running("fast"), [_window(1, 180.0)], url)
    with Store(url) as store:
        assert store.windows("fast") == [_window(0), _window(1, 180.0)]
        assert store.get("fast").status == "running"
    child = _child("fast", "n1", "rank", 3)
    save_windows(child, [], url)
    with Store(url) as store:
        assert [c["run_id"] for c in store.children("fast")] == [child.run_id]


def _hold_lock(path: Path) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_windows_that_cannot_be_saved_are_kept_and_saved_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATTLENS_DB_TIMEOUT", "0.3")
    path = tmp_path / "runs.sqlite"
    url = f"sqlite:///{path}"
    with Store(url) as store:
        store.count()
    holder = _hold_lock(path)
    try:
        with pytest.raises(RunKeptError) as first:
            save_windows_or_keep(_running("kept"), [_window(0), _window(1)], url)
        with pytest.raises(RunKeptError) as second:
            save_windows_or_keep(_running("kept"), [_window(2), _window(3)], url)
    finally:
        holder.rollback()
        holder.close()
    # One file per save: the second does not overwrite the first's windows.
    assert first.value.spool_path != second.value.spool_path
    assert spool.read_windows(second.value.spool_path) == [_window(2), _window(3)]
    with Store(url) as store:
        assert [w.seq for w in store.windows("kept")] == [0, 1, 2, 3]
        assert store.replayed == 2
        assert store.get("kept").status == "running"
    assert not first.value.spool_path.exists()


# -- revision 0003 ---------------------------------------------------------------------------------
def _store_at_0002(url: str) -> None:
    from sqlalchemy import create_engine

    from wattlens.store.migrate import upgrade

    engine = create_engine(url)
    try:
        upgrade(engine, where=url, revision="0002")
    finally:
        engine.dispose()


def _insert_at_0002(url: str, measurements: list[Measurement]) -> None:
    """Rows as wattlens wrote them at revision 0002 (no parent_id column)."""
    from sqlalchemy import create_engine, text

    from wattlens.store.rows import run_row

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for m in measurements:
                row: dict[str, Any] = run_row(m)
                del row["parent_id"]
                columns = ", ".join(row)
                marks = ", ".join(f":{c}" for c in row)
                conn.execute(text(f"INSERT INTO runs ({columns}) VALUES ({marks})"), row)
    finally:
        engine.dispose()


def _legacy_training(run_id: str) -> list[Measurement]:
    """A training run as stored before windows: the run and one record per epoch."""
    epochs = []
    for epoch in (1, 2):
        m = make_measurement(f"{run_id}.epoch{epoch:04d}", name=f"fit:epoch{epoch}")
        tag: dict[str, Any] = {"run_id": run_id, "epoch": epoch, "step_energy_j": [1.0]}
        epochs.append(replace(m, timeline=None, host={**m.host, "training": tag}))
    run = make_measurement(run_id, name="fit", timeline_points=0)
    training = {"run_id": run_id, "epochs": 2, "epoch_records": [e.run_id for e in epochs]}
    return [replace(run, host={**run.host, "training": training}), *epochs]


def test_a_0002_store_with_data_is_upgraded_and_its_children_found(backend_url: str) -> None:
    _store_at_0002(backend_url)
    plain = make_measurement("plain-run", name="plain", timeline_points=0)
    dotted = make_measurement("v1.2-run", name="dotted", timeline_points=0)  # a dot, no parent
    records = [
        plain,
        dotted,
        _child("job-9", "n1", "rank", 0),
        _child("job-9", "n1", "node"),
        *_legacy_training("fit-run"),
    ]
    _insert_at_0002(backend_url, records)
    with Store(backend_url) as store:
        assert store.schema_version == "0003"
        listed = {r["run_id"] for r in store.list_runs()}
        assert listed == {"plain-run", "v1.2-run", "fit-run"}
        every = {r["run_id"]: r["parent_id"] for r in store.list_runs(children=True)}
        assert every == {
            "plain-run": None,
            "v1.2-run": None,
            "job-9.n1.step.rank0": "job-9",
            "job-9.n1.step.node": "job-9",
            "fit-run": None,
            "fit-run.epoch0001": "fit-run",
            "fit-run.epoch0002": "fit-run",
        }
        # Nothing was lost or changed by the upgrade.
        for m in records:
            assert store.get(m.run_id).to_dict() == m.to_dict()
        assert store.windows("fit-run") == []
        store.save_windows(_running("new-run"), [_window(0)])
        assert store.windows("new-run") == [_window(0)]


def test_revision_0003_downgrades_to_0002_and_upgrades_again(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from wattlens.store.migrate import alembic_config

    path = tmp_path / "runs.sqlite"
    url = f"sqlite:///{path}"
    with Store(url) as store:
        store.save_windows(_running("kept-run"), [_window(0)])
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0002")
            conn.commit()
    finally:
        engine.dispose()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
    assert "windows" not in tables
    assert "parent_id" not in columns
    with Store(url) as store:
        assert store.get("kept-run").status == "running"
        assert store.windows("kept-run") == []
        assert store.schema_version == "0003"


def test_deleting_a_run_deletes_its_child_records_unless_asked_not_to(store: Store) -> None:
    for parent in ("job-2", "job-3"):
        store.save(make_measurement(parent, name="train", timeline_points=0))
        for child in (_child(parent, "n1", "rank", 0), _child(parent, "n1", "node")):
            store.save(child)
    store.save(make_measurement("job-20", name="other", timeline_points=0))
    assert store.delete("job-2") == "job-2"
    left = {r["run_id"] for r in store.list_runs(children=True)}
    assert not any(i.startswith("job-2.") for i in left)  # the children went with their run
    assert {"job-20", "job-3", "job-3.n1.step.rank0", "job-3.n1.step.node"} <= left
    store.delete("job-3", children=False)
    assert [c["run_id"] for c in store.children("job-3")] == [
        "job-3.n1.step.node",
        "job-3.n1.step.rank0",
    ]
