"""A small on-disk cache for facts derived from the catalog.

Measuring must start and stop in milliseconds, but resolving a CPU's TDP or
a location's carbon, water and price factors needs the validated catalog
(pydantic, CSV parsing: ~100 ms). Derived facts are therefore cached in
``$XDG_CACHE_HOME/wattlens`` under a key that includes the wattlens version
and the modification times of every catalog file (shipped and user), so any
edit of the catalog invalidates them. A process using a catalog built from
``--catalog`` paths bypasses the cache.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from wattlens._version import __version__

_MAX_ENTRIES = 64
bypass = False
"""Set while a process-specific catalog (``--catalog``) is in use."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wattlens"


def catalog_fingerprint() -> str:
    """Version + every catalog file's name and mtime (shipped, user dir, $WATTLENS_CATALOG)."""
    parts = [__version__, os.environ.get("WATTLENS_CATALOG", "")]
    # The package's own files: no importlib.resources here, it costs milliseconds to import.
    data_dir = Path(__file__).parent / "catalog" / "data"
    parts.extend(f"{p.name}:{p.stat().st_mtime_ns}" for p in sorted(data_dir.glob("*.csv")))
    config = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    user_dir = Path(config) / "wattlens" / "catalog"
    if user_dir.is_dir():
        parts.extend(f"{p.name}:{p.stat().st_mtime_ns}" for p in sorted(user_dir.glob("*.csv")))
    for extra in os.environ.get("WATTLENS_CATALOG", "").split(os.pathsep):
        path = Path(extra)
        if extra and path.is_dir():
            parts.extend(f"{p}:{p.stat().st_mtime_ns}" for p in sorted(path.glob("*.csv")))
        elif extra and path.is_file():
            parts.append(f"{path}:{path.stat().st_mtime_ns}")
    return "|".join(parts)


def load(name: str, key: str) -> Any | None:
    """The cached value for ``key`` in cache file ``name``, or None."""
    if bypass:
        return None
    try:
        entries = json.loads((cache_dir() / f"{name}.json").read_text())
        entry = entries.get(key)
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(entry, dict) or entry.get("fingerprint") != catalog_fingerprint():
        return None
    return entry.get("value")


def store(name: str, key: str, value: Any) -> None:
    """Remember ``value`` under ``key``; a read-only cache directory is not an error."""
    if bypass:
        return
    path = cache_dir() / f"{name}.json"
    try:
        try:
            entries = json.loads(path.read_text())
            if not isinstance(entries, dict):
                entries = {}
        except (OSError, ValueError):
            entries = {}
        entries.pop(key, None)
        entries[key] = {"fingerprint": catalog_fingerprint(), "value": value}
        while len(entries) > _MAX_ENTRIES:
            entries.pop(next(iter(entries)))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries))
        tmp.replace(path)
    except OSError:
        return
