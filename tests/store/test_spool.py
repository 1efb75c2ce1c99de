"""Runs kept in the spool go to the store they were meant for, and only there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.test_store import make_measurement
from wattlens.store import Store, spool
from wattlens.store import retry as store_retry


def test_a_kept_run_is_replayed_into_its_own_store_only(tmp_path: Path) -> None:
    mine = f"sqlite:///{tmp_path / 'mine.sqlite'}"
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    kept = spool.keep(make_measurement("kept-run", timeline_points=5), mine, "locked")
    with Store(other) as store:
        assert store.count() == 0
    assert kept.exists()
    with Store(mine) as store:
        assert (
            store.get("kept-run").to_dict()
            == make_measurement("kept-run", timeline_points=5).to_dict()
        )
    assert not kept.exists()


def test_the_store_key_hides_the_password_and_spellings_agree(tmp_path: Path) -> None:
    key = spool.store_key("postgresql+psycopg://me:s3cret@db.example/runs")
    assert "s3cret" not in key
    assert spool.store_key(f"sqlite:///{tmp_path}/a/../runs.sqlite") == spool.store_key(
        f"sqlite:///{tmp_path}/runs.sqlite"
    )


def test_an_unreadable_spool_file_is_set_aside(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    kept = spool.keep(make_measurement("broken"), url, "x")
    kept.write_text("{not json")
    with Store(url) as store:
        assert store.count() == 0
    assert not kept.exists()
    assert kept.with_name(kept.name + ".unreadable").exists()


def test_retries_back_off_and_stop_at_twice_the_timeout() -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(s: float) -> None:
        sleeps.append(s)
        now[0] += s

    def locked() -> None:
        now[0] += 1.0  # each try waits out a 1 s busy timeout
        raise RuntimeError("database is locked")

    with pytest.raises(RuntimeError):
        store_retry.call(locked, lambda e: True, timeout_s=1.0, sleep=sleep, clock=lambda: now[0])
    assert len(sleeps) == 1  # one more try, then the caller keeps the run
    assert store_retry.is_transient("database is locked")
    assert store_retry.is_transient("connection refused")
    assert not store_retry.is_transient("connection timeout expired")
