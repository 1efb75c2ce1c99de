"""Settings from the environment, a project file and the user's config file.

A setting is looked up, first found wins, in:

1. its environment variable (``WATTLENS_LOCATION``, ``WATTLENS_DETECT_METADATA``,
   ``WATTLENS_DB``);
2. the project file: the nearest ``wattlens.toml`` (top-level keys) or
   ``pyproject.toml`` with a ``[tool.wattlens]`` table, walking up from the
   current directory;
3. the user file: ``config.toml`` in the platform's user config directory
   (``~/.config/wattlens/config.toml`` on Linux; ``$WATTLENS_CONFIG`` names
   another file).

A command-line option (``--location``) or a Python argument (``location=``)
comes before all of them. Unknown keys and bad values in any of these places
are errors that name the place; nothing is silently ignored.
"""

from __future__ import annotations

import difflib
import functools
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from wattlens.errors import UsageError

__all__ = [
    "KEYS",
    "ConfigError",
    "Key",
    "Setting",
    "effective_settings",
    "find_project_file",
    "lookup",
    "parse_text",
    "read_file",
    "set_value",
    "unset_value",
    "user_config_file",
]

#: The environment variable naming another user config file.
CONFIG_ENV_VAR = "WATTLENS_CONFIG"
PROJECT_FILE = "wattlens.toml"
PYPROJECT_FILE = "pyproject.toml"

Origin = Literal["env", "project", "user"]
Value = str | bool
Layer = tuple[Origin, str, dict[str, Value]]


class ConfigError(UsageError):
    """A config file or setting cannot be used (exit 2)."""


def _string(key: str, value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"{key} in {where} must be a non-empty string, got {value!r}",
            hint=f'write it as {key} = "…" (quoted)',
        )
    return value.strip()


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _boolean(key: str, value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(
        f"{key} in {where} must be true or false, got {value!r}",
        hint="use true/false (also accepted from the environment: 1/0, yes/no, on/off)",
    )


@dataclass(frozen=True)
class Key:
    """One setting: its name, environment variable, value check and meaning."""

    name: str
    env: str
    check: Callable[[str, object, str], Value]
    help: str


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key(
            "location",
            "WATTLENS_LOCATION",
            _string,
            "country, grid zone or cloud region of the energy (e.g. DE, fr, aws-eu-west-1)",
        ),
        Key(
            "detect_metadata",
            "WATTLENS_DETECT_METADATA",
            _boolean,
            "ask the cloud instance-metadata endpoint for the region (true/false, default false)",
        ),
        Key("db", "WATTLENS_DB", _string, "the run store: any SQLAlchemy URL"),
    )
}


def _unknown_key(key: str, where: str) -> ConfigError:
    close = difflib.get_close_matches(key, KEYS, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return ConfigError(
        f"unknown config key {key!r} in {where}",
        hint=hint + "known keys: " + ", ".join(KEYS),
    )


def key_named(name: str) -> Key:
    """The key called ``name`` (a dash is read as an underscore).

    Raises:
        ConfigError: no such key (the message lists the known ones).
    """
    key = KEYS.get(name.replace("-", "_"))
    if key is None:
        raise _unknown_key(name, "the command line")
    return key


def parse_text(name: str, text: str, where: str = "the command line") -> Value:
    """A value given as text (command line, environment), checked for its key."""
    key = key_named(name)
    return key.check(key.name, text, where)


# -- files -----------------------------------------------------------------------------------------
def user_config_file(environ: Mapping[str, str] | None = None) -> Path:
    """The user config file: ``$WATTLENS_CONFIG`` or ``config.toml`` in the user config dir."""
    env = os.environ if environ is None else environ
    override = env.get(CONFIG_ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser()
    return _default_user_file(os.environ.get("XDG_CONFIG_HOME"), os.environ.get("HOME"))


@functools.lru_cache(maxsize=8)
def _default_user_file(xdg_config_home: str | None, home: str | None) -> Path:
    """The platform's user config file (it depends on these two variables, the key here)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("wattlens", appauthor=False)) / "config.toml"


#: Parsed files by path, with the (mtime, size) they were read at: every estimate that
#: has no location looks its setting up, and parsing a pyproject.toml costs milliseconds.
_parsed: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        version = _file_state(path, time.time_ns())
    except _UnsettledError:
        version = None
    if version is None:
        return _parse_toml(path)
    known = _parsed.get(path)
    if known is not None and known[0] == version:
        return known[1]
    parsed = _parse_toml(path)
    _parsed[path] = (version, parsed)
    return parsed


def _parse_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror or exc}",
            hint="check its permissions, or remove it",
        ) from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(
            f"config file {path} is not UTF-8 text", hint="rewrite it as a UTF-8 TOML file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}",
            hint="fix the line named, or remove the file and set the values again "
            "with `wattlens config set`",
        ) from None


def _pyproject_table(path: Path) -> dict[str, Any] | None:
    tool = _load_toml(path).get("tool")
    if not isinstance(tool, dict):
        return None
    table = tool.get("wattlens")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(
            f"tool.wattlens in {path} must be a table", hint="write it as [tool.wattlens]"
        )
    return table


def read_file(path: Path, *, pyproject: bool = False) -> dict[str, Value]:
    """The checked settings of one file (the ``[tool.wattlens]`` table of a pyproject.toml).

    Raises:
        ConfigError: unreadable, not TOML, an unknown key or a bad value; names the file.
    """
    raw = (_pyproject_table(path) or {}) if pyproject else _load_toml(path)
    where = f"{path} [tool.wattlens]" if pyproject else str(path)
    out: dict[str, Value] = {}
    for name, value in raw.items():
        key = KEYS.get(name)
        if key is None:
            raise _unknown_key(name, where)
        out[name] = key.check(name, value, where)
    return out


def find_project_file(start: Path | None = None) -> tuple[Path, bool] | None:
    """The nearest project file walking up from ``start`` (default: the current directory).

    Returns ``(path, is_pyproject)``: a ``wattlens.toml``, or a ``pyproject.toml``
    that has a ``[tool.wattlens]`` table (one without it is passed over).
    """
    try:
        here = (start or Path.cwd()).resolve()
    except OSError:
        return None
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate, False
        pyproject = folder / PYPROJECT_FILE
        if pyproject.is_file() and _pyproject_table(pyproject) is not None:
            return pyproject, True
    return None


# -- lookup ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Setting:
    """A value and where it came from: ``env`` (a variable), ``project`` or ``user`` (a file)."""

    key: str
    value: Value
    origin: Origin
    where: str


def _layers(
    environ: Mapping[str, str] | None, cwd: Path | None
) -> list[tuple[Origin, str, dict[str, Value]]]:
    env = os.environ if environ is None else environ
    from_env: dict[str, Value] = {}
    for key in KEYS.values():
        text = env.get(key.env, "").strip()
        if text:
            from_env[key.name] = key.check(key.env, text, "the environment")
    return [("env", "", from_env), *_file_layers(env, cwd)]


#: The file layers last read from a folder, with the state of every file that could hold
#: settings there (each project candidate up the tree, the user file): every estimate
#: without a location looks its setting up, and reading the files costs far more than
#: checking that none of them appeared, changed or went.
_layers_read: dict[tuple[str, str], tuple[tuple[object, ...], list[Layer]]] = {}
#: A file changed this recently may change again within the file system's timestamp
#: granularity without its state showing it: it is read again, not trusted.
_SETTLED_NS = 2_000_000_000


def _file_state(path: str | Path, now_ns: int) -> tuple[int, int, int] | None:
    """(mode, mtime, size) of a file; None where there is none. Raises _UnsettledError."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_mtime_ns > now_ns - _SETTLED_NS:
        raise _UnsettledError
    return (st.st_mode, st.st_mtime_ns, st.st_size)


class _UnsettledError(Exception):
    """A settings file changed too recently for its state to stand for its content."""


def _file_layers(env: Mapping[str, str], cwd: Path | None) -> list[Layer]:
    try:
        here = os.path.realpath(cwd if cwd is not None else os.getcwd())
    except OSError:
        return _read_file_layers(env, cwd)
    user = str(user_config_file(env))
    candidates = [user]
    while True:
        candidates += [os.path.join(here, PROJECT_FILE), os.path.join(here, PYPROJECT_FILE)]
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    try:
        now = time.time_ns()
        state = tuple(_file_state(path, now) for path in candidates)
    except _UnsettledError:
        return _read_file_layers(env, cwd)
    key = (candidates[1], user)
    known = _layers_read.get(key)
    if known is not None and known[0] == state:
        return list(known[1])
    layers = _read_file_layers(env, cwd)
    _layers_read[key] = (state, layers)
    return list(layers)


def _read_file_layers(env: Mapping[str, str], cwd: Path | None) -> list[Layer]:
    layers: list[Layer] = []
    project = find_project_file(cwd)
    if project is not None:
        layers.append(("project", str(project[0]), read_file(project[0], pyproject=project[1])))
    user = user_config_file(env)
    if user.exists():  # a folder or unreadable file there is an error, not "no file"
        layers.append(("user", str(user), read_file(user)))
    return layers


def lookup(
    name: str, *, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Setting | None:
    """The setting ``name`` from the first place that has it; None where none does.

    Raises:
        ConfigError: a place consulted is unreadable or holds a bad value.
    """
    key = key_named(name)
    env = os.environ if environ is None else environ
    text = env.get(key.env, "").strip()
    if text:  # the environment alone decides: no file is read
        return Setting(key.name, key.check(key.env, text, "the environment"), "env", key.env)
    for origin, where, values in _file_layers(env, cwd):
        if key.name in values:
            return Setting(key.name, values[key.name], origin, where)
    return None


def effective_settings(
    *, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> list[Setting]:
    """Every key that is set somewhere, with its winning value and origin."""
    found: dict[str, Setting] = {}
    for origin, where, values in _layers(environ, cwd):
        for name, value in values.items():
            if name not in found:
                place = KEYS[name].env if origin == "env" else where
                found[name] = Setting(name, value, origin, place)
    return [found[k] for k in KEYS if k in found]


# -- writing ---------------------------------------------------------------------------------------
def _write_atomic(path: Path, values: Mapping[str, Value]) -> None:
    """Write the file whole or not at all: a temporary file in the same folder, then rename."""
    import tempfile

    import tomli_w

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                tomli_w.dump(dict(values), fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(
            f"cannot write config file {path}: {exc.strerror or exc}",
            hint=f"check the folder's permissions, or set {CONFIG_ENV_VAR} to a file you can write",
        ) from None


def set_value(name: str, text: str, path: Path | None = None) -> tuple[Path, Value]:
    """Set ``name`` to ``text`` (checked) in the user file (or ``path``); returns both.

    Raises:
        ConfigError: unknown key, bad value, or the existing file cannot be read or written
            (a malformed file is left as it is, not overwritten).
    """
    key = key_named(name)
    value = key.check(key.name, text, "the command line")
    target = path or user_config_file()
    values = read_file(target) if target.exists() else {}
    values[key.name] = value
    _write_atomic(target, values)
    return target, value


def unset_value(name: str, path: Path | None = None) -> tuple[Path, bool]:
    """Remove ``name`` from the user file (or ``path``); returns the file and whether it was set."""
    key = key_named(name)
    target = path or user_config_file()
    if not target.exists():
        return target, False
    values = read_file(target)
    if key.name not in values:
        return target, False
    del values[key.name]
    _write_atomic(target, values)
    return target, True
