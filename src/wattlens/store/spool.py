"""Runs that could not be saved, kept on disk until the store takes them; standard library only.

When the store cannot be written (locked past its timeout, a database server
down, a full or read-only disk), the run is written to
``<user data dir>/wattlens/spool/`` as JSON, next to the default store. The
next wattlens call that opens the same store saves every run kept for it and
removes the file (:func:`replay`); ``wattlens runs import FILE`` saves one
explicitly. A run is never lost because the database was briefly unavailable.

A spool file is ``{"format": "wattlens-spool/1", "store": ..., "reason": ...,
"spooled_at": ..., "run": {...}}`` where ``run`` is the full record of
``wattlens run --json``; ``store`` names the store it was meant for (a URL
without its password). The windows of a run that was still going (a training
run's epochs, saved as each ends) are kept with a snapshot of the run:
``"windows": [...]`` beside ``run``, one file per save
(``…-RUN_ID.wSEQ.json``), so that no window overwrites another.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wattlens.store.config import data_dir, plain_sqlite_path

if TYPE_CHECKING:
    from wattlens.measurement import Measurement
    from wattlens.windows import Window

__all__ = [
    "FORMAT",
    "keep",
    "pending",
    "read_records",
    "read_windows",
    "replay",
    "spool_dir",
    "store_key",
]

FORMAT = "wattlens-spool/1"
_BAD_SUFFIX = ".unreadable"
_MAX_FILE_BYTES = 1 << 30


def spool_dir() -> Path:
    """Where unsaved runs are kept: ``spool/`` in the user data directory."""
    return data_dir() / "spool"


def store_key(url: str) -> str:
    """The store a URL names, comparable across spellings and without a password."""
    path = plain_sqlite_path(url)
    if path is not None:
        return f"sqlite:///{path.expanduser().resolve()}"
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url.strip())


def _prefix(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def keep(
    measurement: Measurement,
    url: str,
    reason: str,
    *,
    windows: list[Window] | None = None,
) -> Path:
    """Write a run to the spool for the store at ``url``; returns the file.

    With ``windows``, the run is a snapshot of a run still going and the file
    also holds these windows of it.

    Raises:
        OSError: The spool directory cannot be written either.
    """
    key = store_key(url)
    document: dict[str, Any] = {
        "format": FORMAT,
        "store": key,
        "reason": reason,
        "spooled_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": measurement.to_dict(),
    }
    name = f"{_prefix(key)}-{measurement.run_id}"
    if windows is not None:
        document["windows"] = [w.to_dict() for w in windows]
        name += f".w{min((w.seq for w in windows), default=0):06d}"
    directory = spool_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    tmp = directory / f".{path.name}.{os.getpid()}.tmp"
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path


def pending(url: str) -> list[Path]:
    """The spool files kept for the store at ``url``, oldest first."""
    directory = spool_dir()
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    start = _prefix(store_key(url)) + "-"
    found = [directory / n for n in names if n.startswith(start) and n.endswith(".json")]
    with contextlib.suppress(OSError):
        found.sort(key=lambda p: p.stat().st_mtime)
    return found


def read_records(path: Path) -> list[dict[str, Any]]:
    """The run records in a spool file, an export (``{"runs": [...]}``) or one run's JSON.

    Raises:
        OSError: The file cannot be read.
        ValueError: It is not JSON of one of these shapes.
    """
    if path.stat().st_size > _MAX_FILE_BYTES:
        raise ValueError(f"larger than {_MAX_FILE_BYTES >> 20} MiB")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if isinstance(data, dict) and data.get("format") == FORMAT:
        data = data.get("run")
    records: list[Any]
    if isinstance(data, dict) and isinstance(data.get("runs"), list):
        records = data["runs"]
    elif isinstance(data, dict):
        records = [data]
    else:
        raise ValueError("expected a JSON object: one run, an export or a spool file")
    checked: list[dict[str, Any]] = []
    for record in records:
        if not (isinstance(record, dict) and isinstance(record.get("run_id"), str)):
            raise ValueError("a run record must be a JSON object with a run_id")
        checked.append(record)
    return checked


def read_windows(path: Path) -> list[Window] | None:
    """The windows kept in a spool file with a snapshot of their run; None when it has none.

    Raises:
        OSError: The file cannot be read.
        ValueError: Its windows are not of the form :meth:`Window.to_dict` writes.
    """
    from wattlens.windows import Window

    if path.stat().st_size > _MAX_FILE_BYTES:
        raise ValueError(f"larger than {_MAX_FILE_BYTES >> 20} MiB")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if not (isinstance(data, dict) and data.get("format") == FORMAT and "windows" in data):
        return None
    items = data["windows"]
    if not isinstance(items, list):
        raise ValueError("windows must be a list")
    try:
        return [Window.from_dict(item) for item in items]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not a window of a run ({type(exc).__name__}: {exc})") from exc


def to_measurements(records: list[dict[str, Any]]) -> list[Measurement]:
    """Records as measurements.

    Raises:
        ValueError: A record lacks a field or has one of the wrong type.
    """
    from wattlens.measurement import Measurement

    try:
        return [Measurement.from_dict(r) for r in records]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not a wattlens run record ({type(exc).__name__}: {exc})") from exc


def replay(
    url: str,
    save: Callable[[Measurement], None],
    save_windows: Callable[[Measurement, list[Window]], None],
) -> int:
    """Save every run kept for the store at ``url`` with ``save``; returns how many.

    A file with windows is saved with ``save_windows`` (a snapshot of the run
    and its windows, as ``Store.save_windows``).

    A file is removed once its runs are saved. An error of ``save`` (the store
    is still unavailable) stops the replay and propagates, keeping the rest; a
    file that cannot be parsed is renamed ``*.unreadable`` and skipped.
    """
    saved = 0
    for path in pending(url):
        try:
            measurements = to_measurements(read_records(path))
            windows = read_windows(path)
        except FileNotFoundError:  # replayed by another process meanwhile
            continue
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                path.replace(path.with_name(path.name + _BAD_SUFFIX))
            continue
        for measurement in measurements:
            if windows is None:
                save(measurement)
            else:
                save_windows(measurement, windows)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        saved += len(measurements)
    return saved
