"""Loading, validating and looking up catalog rows.

Shipped rows live in ``catalog/data/KIND.csv``. Users add or override rows
with their own CSV files named ``KIND.csv`` or ``KIND-anything.csv`` in:

1. the directory ``$XDG_CONFIG_HOME/wattlens/catalog`` (``~/.config/…``),
2. every path in ``$WATTLENS_CATALOG`` (``os.pathsep``-separated; files or dirs),
3. every ``--catalog PATH`` given to the CLI (or ``Catalog(extra_paths=…)``).

A user row whose ``id`` equals a shipped row's replaces it; the row's
``origin`` then names the user file. Files are read only when their kind is
first asked for, validated row by row, and a malformed one fails loudly
with file, line and column.

Name lookup never guesses: a name must equal, after normalisation (case,
spaces and punctuation ignored), a row's id, name or one of its explicit
aliases. A vendor prefix (``NVIDIA``, ``AMD`` …) may be left out. Anything
else is an error that lists the closest entries.
"""

from __future__ import annotations

import csv
import difflib
import math
import os
import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import ValidationError

from wattlens.catalog.kinds import KIND_DESCRIPTIONS
from wattlens.catalog.schema import (
    Accelerator,
    CatalogRow,
    Cpu,
    Equivalent,
    ExchangeRate,
    Grid,
    GridYear,
    HardwareFootprint,
    Model,
    Price,
    PriceYear,
    Pue,
    Region,
    Water,
    normalise_name,
)
from wattlens.errors import AmbiguousNameError, CatalogError, UnknownNameError

RowT = TypeVar("RowT", bound=CatalogRow)
T = TypeVar("T")


@dataclass(frozen=True)
class KindSpec:
    """One kind of catalog fact: its file stem, row type and a one-line description."""

    kind: str
    row_type: type[CatalogRow]
    description: str


_ROW_TYPES: dict[str, type[CatalogRow]] = {
    "accelerators": Accelerator,
    "cpus": Cpu,
    "models": Model,
    "grids": Grid,
    "grids_yearly": GridYear,
    "regions": Region,
    "water": Water,
    "prices": Price,
    "prices_yearly": PriceYear,
    "exchange_rates": ExchangeRate,
    "pue": Pue,
    "equivalents": Equivalent,
    "embodied": HardwareFootprint,
}

KINDS: dict[str, KindSpec] = {
    kind: KindSpec(kind, _ROW_TYPES[kind], description)
    for kind, description in KIND_DESCRIPTIONS.items()
}

# Dropped from the front of a name when nothing matches with it: people write
# "NVIDIA H100 SXM" and "H100 SXM" for the same chip.
_VENDOR_PREFIXES = ("nvidia", "amd", "google", "intel", "apple", "tesla")
_SUGGESTIONS = 6


@dataclass(frozen=True)
class Entry:
    """A loaded row and the file it came from."""

    row: CatalogRow
    origin: str


def user_catalog_dir() -> Path:
    """The per-user directory whose CSV files extend the catalog."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("wattlens")) / "catalog"


@dataclass(frozen=True)
class _Miss:
    """A name that resolved to no single row: the error to raise and the names it lists."""

    error: type[AmbiguousNameError] | type[UnknownNameError]
    names: tuple[str, ...]


def _strip_vendor(key: str) -> str:
    for prefix in _VENDOR_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix) :]
    return key


def _cells_to_fields(cells: dict[str, str | None]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for column, raw in cells.items():
        value = (raw or "").strip()
        if value == "":
            continue
        if column == "aliases":
            fields[column] = tuple(a.strip() for a in value.split("|") if a.strip())
        else:
            fields[column] = value
    return fields


#: csv's own limit on one cell (128 KiB); a larger cell is refused with its line and column.
_CELL_LIMIT = csv.field_size_limit()
_UTF8_FIX = "save the file as UTF-8 (in a spreadsheet: CSV UTF-8)"


#: The largest catalog file read (the largest shipped one is some 250 KB); at most one byte
#: more is ever read, so a link to a device or an endless pipe ends at once.
MAX_FILE_BYTES = 64 * 1024 * 1024


def _read_text(path: Path, where: str) -> str:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise CatalogError(f"{where}: cannot read catalog file: {exc.strerror}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise CatalogError(
            f"{where}: the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB",
            hint="a catalog file holds rows of facts; split it, or check that this is the file",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        begin = data.rfind(b"\n", 0, exc.start) + 1
        index = _column_at(data[begin : exc.start].decode("utf-8", "replace"))
        header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8", "replace")]), [])
        column = header[index] if line > 1 and index < len(header) else f"#{index + 1}"
        raise CatalogError(
            f"{where}:{line}: column {column!r}: not UTF-8 text (byte 0x{data[exc.start]:02x})",
            hint=_UTF8_FIX,
        ) from None


def _column_at(prefix: str) -> int:
    """The 0-based column a record's text has reached at its end."""
    quoted, column = False, 0
    for char in prefix:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            column += 1
    return column


def _oversized_column(record: str) -> int:
    """The 0-based column of the first cell over csv's limit in one record's text."""
    column, length, quoted = 0, 0, False
    for char in record:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            column, length = column + 1, 0
            continue
        length += 1
        if length > _CELL_LIMIT:
            break
    return column


def _number_columns(row_type: type[CatalogRow]) -> frozenset[str]:
    return frozenset(
        name
        for name, field in row_type.model_fields.items()
        if float in (field.annotation, *getattr(field.annotation, "__args__", ()))
    )


def _infinite_column(numbers: frozenset[str], cells: dict[str, str | None]) -> str | None:
    """The first number column whose cell is ``inf``, ``nan`` or overflows to infinity."""
    for column, cell in cells.items():
        raw = (cell or "").strip()
        if column not in numbers or not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            continue  # not a number at all: the schema names it
        if not math.isfinite(value):
            return column
    return None


def read_rows(path: Path, row_type: type[RowT], *, label: str | None = None) -> list[RowT]:
    """Read and validate one CSV file; raise :class:`CatalogError` naming line and column.

    The file is UTF-8 text of at most :data:`MAX_FILE_BYTES`; a cell is at most 128 KiB;
    numbers are finite.

    Args:
        path: the CSV file.
        row_type: the schema each row must satisfy.
        label: how to name the file in messages (defaults to the path).
    """
    import io

    where = label or str(path)
    text = _read_text(path, where)
    numbers = _number_columns(row_type)
    rows: list[RowT] = []
    seen: dict[str, int] = {}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    start = 2
    try:
        header = reader.fieldnames or []
        known = set(row_type.model_fields)
        unknown = [c for c in header if c not in known]
        if unknown:
            raise CatalogError(
                f"{where}:1: unknown column {unknown[0]!r}",
                hint=f"the columns of this kind are: {', '.join(row_type.model_fields)}",
            )
        missing = [
            name
            for name, field in row_type.model_fields.items()
            if field.is_required() and name not in header and name != "name"
        ]
        if missing:
            raise CatalogError(
                f"{where}:1: missing column {missing[0]!r}",
                hint=f"every row of this kind needs: {', '.join(missing)}",
            )
        for cells in reader:
            line = start
            start = reader.line_num + 1
            if None in cells:
                raise CatalogError(f"{where}:{line}: more cells than columns in the header")
            infinite = _infinite_column(numbers, cells)
            if infinite is not None:
                raise CatalogError(
                    f"{where}:{line}: column {infinite!r}: must be a finite number "
                    f"(got {cells[infinite]!r})",
                    hint="write the value as a plain number, or leave the cell empty if unknown",
                )
            try:
                row = row_type.model_validate(_cells_to_fields(cells))
            except ValidationError as exc:
                error = exc.errors()[0]
                column = ".".join(str(p) for p in error["loc"]) or "(row)"
                got = cells.get(column) if column in cells else None
                detail = f" (got {got!r})" if got not in (None, "") else ""
                raise CatalogError(
                    f"{where}:{line}: column {column!r}: {error['msg']}{detail}",
                    hint="fix the cell, or leave it empty if the value is unknown",
                ) from exc
            if row.id in seen:
                raise CatalogError(
                    f"{where}:{line}: duplicate id {row.id!r} (first on line {seen[row.id]})"
                )
            seen[row.id] = line
            rows.append(row)
    except csv.Error as exc:
        line = start if reader.fieldnames is not None and reader.line_num >= start else 1
        record = "".join(text.splitlines(keepends=True)[line - 1 : reader.line_num + 1])
        if "field larger than field limit" in str(exc):
            index = _oversized_column(record)
            names = list(reader.fieldnames or [])
            column = names[index] if line > 1 and index < len(names) else f"#{index + 1}"
            raise CatalogError(
                f"{where}:{line}: column {column!r}: a cell is larger than "
                f"{_CELL_LIMIT // 1024} KiB",
                hint="shorten it (a catalog cell is a value, a name or a citation)",
            ) from None
        raise CatalogError(
            f"{where}:{line}: not valid CSV: {exc}",
            hint="check the quotes and commas of this line",
        ) from None
    return rows


def _user_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.csv")))
        elif path.exists():
            files.append(path)
        else:
            raise CatalogError(
                f"catalog path {str(path)!r} does not exist",
                hint="give an existing CSV file or a directory of them",
            )
    return files


def _kind_of_file(path: Path) -> str:
    stem = path.stem
    for kind in KINDS:
        if stem == kind or stem.startswith(kind + "-"):
            return kind
    raise CatalogError(
        f"{path}: cannot tell which kind of catalog file this is",
        hint=f"name it KIND.csv or KIND-anything.csv, KIND one of: {', '.join(KINDS)}",
    )


class Catalog:
    """The catalog: shipped rows plus the user's own, loaded lazily per kind."""

    def __init__(self, extra_paths: Sequence[Path | str] = (), *, user_dir: bool = True) -> None:
        paths: list[Path] = []
        if user_dir and user_catalog_dir().is_dir():
            paths.append(user_catalog_dir())
        env = os.environ.get("WATTLENS_CATALOG", "")
        paths.extend(Path(p) for p in env.split(os.pathsep) if p)
        paths.extend(Path(p) for p in extra_paths)
        self._user_paths = paths
        self._entries: dict[str, dict[str, Entry]] = {}
        self._index: dict[str, tuple[dict[str, str], dict[str, set[str]]]] = {}
        self._lock = threading.Lock()
        # Rows never change once a kind is loaded: references are checked once per kind
        # and each name is resolved once (a miss keeps its suggestions, which cost a
        # fuzzy match over every name), so an estimate's look-ups cost a dict access.
        self._checked: set[str] = set()
        self._lookups: dict[tuple[str, str], Entry | _Miss] = {}
        self._rows: dict[str, tuple[CatalogRow, ...]] = {}
        self._derived: dict[Hashable, Any] = {}

    # -- loading ---------------------------------------------------------
    def _load(self, kind: str) -> dict[str, Entry]:
        spec = self.spec(kind)
        with self._lock:
            if kind in self._entries:
                return self._entries[kind]
            entries: dict[str, Entry] = {}
            shipped = resources.files("wattlens.catalog") / "data" / f"{kind}.csv"
            with resources.as_file(shipped) as shipped_path:
                for row in read_rows(shipped_path, spec.row_type, label=f"catalog/data/{kind}.csv"):
                    entries[row.id] = Entry(row, "shipped")
            user_ids: dict[str, str] = {}
            for path in _user_files(self._user_paths):
                if _kind_of_file(path) != kind:
                    continue
                for row in read_rows(path, spec.row_type):
                    if row.id in user_ids:
                        raise CatalogError(
                            f"{path}: id {row.id!r} is also defined in {user_ids[row.id]}",
                            hint="keep one definition per id across your catalog files",
                        )
                    user_ids[row.id] = str(path)
                    entries[row.id] = Entry(row, str(path))
            self._index[kind] = self._build_index(kind, entries)
            self._entries[kind] = entries
            return entries

    @staticmethod
    def _build_index(
        kind: str, entries: dict[str, Entry]
    ) -> tuple[dict[str, str], dict[str, set[str]]]:
        primary: dict[str, str] = {}
        secondary: dict[str, set[str]] = {}
        for row_id, entry in entries.items():
            row = entry.row
            for label in (row.id, row.name, *row.aliases):
                key = normalise_name(label)
                other = primary.get(key)
                if other is not None and other != row_id:
                    raise CatalogError(
                        f"{kind}: name or alias {label!r} points to both {other!r} and {row_id!r}",
                        hint=f"remove the alias from one of them ({entry.origin})",
                    )
                primary[key] = row_id
            for label in (row.id, row.name):
                secondary.setdefault(_strip_vendor(normalise_name(label)), set()).add(row_id)
        return primary, secondary

    def _check_references(self, kind: str) -> None:
        if kind in self._checked:
            return
        self._check_kind_references(kind)
        self._checked.add(kind)

    def _check_kind_references(self, kind: str) -> None:
        if kind == "grids_yearly":
            self._check_reference(
                kind, "grid_id", "grids", "grid",
                hint="add the grid zone or point the row at an existing one",
            )  # fmt: skip
        if kind == "prices_yearly":
            prices = self._check_reference(
                kind, "price_id", "prices", "country",
                hint="add the country to prices or point the row at an existing one",
            )  # fmt: skip
            for entry in self._load(kind).values():
                dated = entry.row
                assert isinstance(dated, PriceYear)
                current = prices[dated.price_id].row
                assert isinstance(current, Price)
                if dated.currency != current.currency:
                    raise CatalogError(
                        f"prices_yearly: {dated.id!r} ({entry.origin}) is in {dated.currency}, "
                        f"but prices/{dated.price_id} is in {current.currency}",
                        hint="give the yearly price in the currency of the prices row",
                    )
        if kind == "regions":
            self._check_reference(
                kind, "grid_id", "grids", "grid",
                hint="add the grid zone or point the region at an existing one",
            )  # fmt: skip

    def _check_reference(
        self, kind: str, field: str, target: str, noun: str, *, hint: str
    ) -> dict[str, Entry]:
        """Every row of ``kind`` names (in ``field``) a row of ``target``; returns the latter."""
        targets = self._load(target)
        for entry in self._load(kind).values():
            ref = getattr(entry.row, field)
            if ref not in targets:
                raise CatalogError(
                    f"{kind}: {entry.row.id!r} ({entry.origin}) names {noun} {ref!r}, "
                    f"which is not in the {target} catalog",
                    hint=hint,
                )
        return targets

    # -- queries -----------------------------------------------------------
    @staticmethod
    def spec(kind: str) -> KindSpec:
        """The spec of a kind; an unknown kind is a usage error."""
        try:
            return KINDS[kind]
        except KeyError:
            close = difflib.get_close_matches(kind, KINDS, n=3)
            raise UnknownNameError("catalog kind", kind, close or list(KINDS)) from None

    def entries(self, kind: str) -> list[Entry]:
        """All rows of a kind with their origin, in file order."""
        entries = self._load(kind)
        self._check_references(kind)
        return list(entries.values())

    def rows(self, kind: str) -> list[CatalogRow]:
        """All rows of a kind, in file order."""
        rows = self._rows.get(kind)
        if rows is None:
            rows = self._rows[kind] = tuple(entry.row for entry in self.entries(kind))
        return list(rows)

    def derived(self, key: Hashable, build: Callable[[], T]) -> T:
        """A fact computed from this catalog's rows, built once (rows never change).

        ``key`` names the fact and its arguments (``("pue-range",)``); ``build``
        computes it and must return an immutable value. A build that raises is
        not kept.
        """
        try:
            return cast(T, self._derived[key])
        except KeyError:
            value = self._derived[key] = build()
            return value

    def entry(self, kind: str, name: str) -> Entry:
        """Look a row up by id, name or alias; never guesses (see module docs)."""
        found = self._lookups.get((kind, name))
        if found is None:
            self._load(kind)  # an unknown kind or a broken file fails here, uncached
            self._check_references(kind)
            try:
                found = self._lookup(kind, name)
            except AmbiguousNameError as exc:
                found = _Miss(AmbiguousNameError, tuple(exc.candidates))
            except UnknownNameError as exc:
                found = _Miss(UnknownNameError, tuple(exc.suggestions))
            self._lookups[kind, name] = found
        if isinstance(found, _Miss):
            raise found.error(kind, name, list(found.names))
        return found

    def _lookup(self, kind: str, name: str) -> Entry:
        entries = self._load(kind)
        self._check_references(kind)
        primary, secondary = self._index[kind]
        key = normalise_name(name)
        stripped = _strip_vendor(key)
        for candidate in (key, stripped):
            if candidate in primary:
                return entries[primary[candidate]]
        matches = secondary.get(key, set()) | secondary.get(stripped, set())
        if len(matches) == 1:
            return entries[next(iter(matches))]
        if len(matches) > 1:
            raise AmbiguousNameError(kind, name, sorted(matches))
        if not key:
            raise UnknownNameError(kind, name, [])
        containing = sorted({row_id for k, row_id in primary.items() if stripped in k or key in k})
        if len(containing) > 1:
            raise AmbiguousNameError(kind, name, containing[:12])
        close = difflib.get_close_matches(stripped, list(primary), n=_SUGGESTIONS, cutoff=0.6)
        suggestions = list(dict.fromkeys(containing + [primary[k] for k in close]))
        raise UnknownNameError(kind, name, suggestions[:_SUGGESTIONS])

    def get(self, kind: str, name: str) -> CatalogRow:
        """The row a name refers to (see :meth:`entry`)."""
        return self.entry(kind, name).row

    def get_typed(self, kind: str, name: str, row_type: type[RowT]) -> RowT:
        """Like :meth:`get`, checked to be of ``row_type``."""
        row = self.get(kind, name)
        if not isinstance(row, row_type):  # pragma: no cover - KINDS fixes the type
            raise TypeError(f"{kind} rows are {type(row).__name__}, not {row_type.__name__}")
        return row

    def validate_all(self) -> dict[str, int]:
        """Load every kind (shipped and user files); return row counts per kind."""
        for path in _user_files(self._user_paths):
            _kind_of_file(path)
        return {kind: len(self.entries(kind)) for kind in KINDS}


_current: Catalog | None = None
_current_lock = threading.Lock()


def get_catalog() -> Catalog:
    """The process-wide catalog (shipped rows + user directory + ``$WATTLENS_CATALOG``)."""
    global _current  # noqa: PLW0603 - one lazily built catalog per process
    with _current_lock:
        if _current is None:
            _current = Catalog()
        return _current


def use_catalog(catalog: Catalog | None) -> None:
    """Replace the process-wide catalog (``None`` resets it to the default)."""
    global _current  # noqa: PLW0603
    from wattlens import _cache

    with _current_lock:
        _current = catalog
        # Facts derived from a process-specific catalog must not be cached for others.
        _cache.bypass = catalog is not None
