"""The store under faults: a silent server, a held lock, a full disk, a read-only place.

Each fault ends in a clear error within the timeout, and a run of
`wattlens run` that could not be saved is kept and saved by the next call.
"""

from __future__ import annotations

import ctypes
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.store.test_store import make_measurement
from wattlens.errors import StoreError
from wattlens.store import RunKeptError, Store, save_or_keep, save_sqlite_fast
from wattlens.store.spool import spool_dir

WATTLENS = [sys.executable, "-m", "wattlens"]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _silent_env(port: int) -> dict[str, str]:
    return {
        **os.environ,
        "WATTLENS_DB": f"postgresql+psycopg://wattlens@127.0.0.1:{port}/wattlens",
        "WATTLENS_DB_TIMEOUT": "2",
    }


def test_runs_ls_against_a_silent_server_fails_within_the_timeout(silent_server: int) -> None:
    pytest.importorskip("psycopg")
    start = time.monotonic()
    out = subprocess.run(
        [*WATTLENS, "runs", "ls"],
        env=_silent_env(silent_server),
        capture_output=True,
        text=True,
        timeout=40,
        check=False,
    )
    assert time.monotonic() - start < 30
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "timeout" in out.stderr.lower()
    assert f"127.0.0.1:{silent_server}" in out.stderr
    assert "WATTLENS_DB_TIMEOUT" in out.stderr  # the hint says how to wait longer


def test_run_against_a_silent_server_ends_and_keeps_the_run(silent_server: int) -> None:
    pytest.importorskip("psycopg")
    start = time.monotonic()
    out = subprocess.run(
        [*WATTLENS, "run", "--json", "--name", "kept", "--", sys.executable, "-c", "pass"],
        env=_silent_env(silent_server),
        capture_output=True,
        text=True,
        timeout=40,
        check=False,
    )
    assert time.monotonic() - start < 30
    assert out.returncode == 0, out.stderr
    assert "the run was not stored" in out.stderr
    run_id = json.loads(out.stdout)["run_id"]
    (kept,) = spool_dir().glob(f"*-{run_id}.json")
    assert json.loads(kept.read_text())["run"]["name"] == "kept"
    assert str(kept) in out.stderr.replace("\n", "")


def _hold_lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    path = tmp_path / "runs.sqlite"
    with Store(f"sqlite:///{path}") as store:
        store.count()
    return path


def test_fast_save_retries_a_lock_held_longer_than_the_timeout(
    store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One try waits the timeout (30 s by default) for the lock; a longer lock was a lost run."""
    from wattlens.store import fast

    monkeypatch.setenv("WATTLENS_DB_TIMEOUT", "1")
    monkeypatch.setattr(fast, "BUSY_TIMEOUT_S", 1.0, raising=False)  # the old fixed wait
    holder = _hold_lock(store_file)
    release = threading.Timer(1.5, holder.rollback)
    release.start()
    try:
        assert save_sqlite_fast(make_measurement("after-lock"), f"sqlite:///{store_file}")
    finally:
        release.join()
        holder.close()
    with Store(f"sqlite:///{store_file}") as store:
        assert store.get("after-lock").run_id == "after-lock"


def test_a_lock_held_throughout_says_locked_and_keeps_the_run(
    store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATTLENS_DB_TIMEOUT", "0.3")
    url = f"sqlite:///{store_file}"
    holder = _hold_lock(store_file)
    try:
        with pytest.raises(RunKeptError) as info:
            save_or_keep(make_measurement("locked-out"), url)
    finally:
        holder.rollback()
        holder.close()
    assert "database is locked" in info.value.message
    assert info.value.hint is not None
    assert "locked" in info.value.hint
    assert "writable location" not in info.value.hint
    assert "WATTLENS_DB_TIMEOUT" in info.value.hint
    assert info.value.spool_path.is_file()
    # The next call that opens the store saves the kept run and empties the spool.
    with Store(url) as store:
        assert store.get("locked-out").run_id == "locked-out"
        assert store.replayed == 1
    assert not info.value.spool_path.exists()


def test_the_next_fast_save_also_saves_the_kept_runs(
    store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATTLENS_DB_TIMEOUT", "0.3")
    url = f"sqlite:///{store_file}"
    holder = _hold_lock(store_file)
    try:
        with pytest.raises(RunKeptError):
            save_or_keep(make_measurement("first"), url)
    finally:
        holder.rollback()
        holder.close()
    save_or_keep(make_measurement("second"), url)
    assert list(spool_dir().iterdir()) == []
    with Store(url) as store:
        assert {r["run_id"] for r in store.list_runs()} == {"first", "second"}


def test_a_full_disk_shows_sqlites_error_not_a_failed_rollback(
    store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    real_connect = sqlite3.connect

    def full_disk(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = real_connect(*args, **kwargs)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")  # no page more: as a full disk
        return conn

    monkeypatch.setattr(sqlite3, "connect", full_disk)  # the module fast.py writes with
    with pytest.raises(StoreError) as info:
        save_sqlite_fast(make_measurement("big", timeline_points=3000), f"sqlite:///{store_file}")
    assert "database or disk is full" in info.value.message
    assert "cannot rollback" not in info.value.message
    assert info.value.hint is not None
    assert "free space" in info.value.hint


def _drop_write_override() -> None:
    """In the child: lose root's power to write where permissions say no."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_a_wal_store_in_a_read_only_directory_can_be_listed(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("read-only directories are made with Linux capabilities here")
    directory = tmp_path / "ro"
    directory.mkdir()
    path = directory / "runs.sqlite"
    with Store(f"sqlite:///{path}") as store:
        store.save(make_measurement("readable", name="on-a-read-only-mount"))
        assert store.is_sqlite
    assert sorted(p.name for p in directory.iterdir()) == ["runs.sqlite"]  # WAL closed
    directory.chmod(0o555)
    try:
        out = subprocess.run(
            [*WATTLENS, "runs", "ls", "--json"],
            env={**os.environ, "WATTLENS_DB": f"sqlite:///{path}"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            preexec_fn=_drop_write_override if os.geteuid() == 0 else None,
        )
    finally:
        directory.chmod(0o755)
    assert out.returncode == 0, out.stderr
    assert [r["name"] for r in json.loads(out.stdout)["runs"]] == ["on-a-read-only-mount"]


def test_a_run_with_the_store_locked_is_saved_by_the_next_command(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Make the store unwritable, run, make it writable: the next call has the run."""
    monkeypatch.setenv("WATTLENS_DB_TIMEOUT", "0.3")
    assert cli("runs", "ls").exit_code == 0  # creates the store
    url = os.environ["WATTLENS_DB"]
    holder = _hold_lock(Path(url.removeprefix("sqlite:///")))
    try:
        ran = cli("run", "--json", "--name", "while-locked", "--", sys.executable, "-c", "pass")
    finally:
        holder.rollback()
        holder.close()
    assert ran.exit_code == 0, ran.stderr
    assert "the run was not stored" in ran.stderr
    assert "locked" in ran.stderr
    run_id = ran.json()["run_id"]
    listed = cli("runs", "ls", "--json").json()
    assert [r["run_id"] for r in listed["runs"]] == [run_id]
    assert list(spool_dir().iterdir()) == []


def test_a_bad_timeout_fails_before_the_command_runs(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ran"
    monkeypatch.setenv("WATTLENS_DB_TIMEOUT", "soon")
    out = cli("run", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')")
    assert out.exit_code == 2
    assert "WATTLENS_DB_TIMEOUT='soon'" in out.stderr
    assert not marker.exists()


def test_a_full_disk_through_the_store_shows_sqlites_error(store_file: Path) -> None:
    from sqlalchemy import event

    with Store(f"sqlite:///{store_file}") as store:
        engine = store._db.engine
        engine.dispose()

        def full_disk(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
            cursor.close()

        event.listen(engine, "connect", full_disk)
        with pytest.raises(StoreError) as info:
            store.save(make_measurement("big", timeline_points=3000))
    assert "database or disk is full" in info.value.message
    assert "cannot rollback" not in info.value.message
    assert info.value.hint is not None
    assert "free space" in info.value.hint
