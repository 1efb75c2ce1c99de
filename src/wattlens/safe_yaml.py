"""The one way wattlens reads YAML written by people (scenario files, claims files, uploads).

A YAML file is untrusted input, so reading one is bounded:

- **size**: at most :data:`MAX_BYTES` (1 MiB, far above any real scenario or claims
  file); at most ``MAX_BYTES + 1`` bytes are ever read, so ``/dev/zero`` or a
  huge file ends at once;
- **no aliases**: ``*name`` is refused (anchors alone are harmless). An alias is
  a pointer, and a few hundred bytes of nested aliases ("billion laughs") expand
  to billions of nodes in anything that walks the data;
- **depth**: at most :data:`MAX_DEPTH` nested mappings or lists (real files use
  fewer than ten), so deep nesting never reaches Python's recursion limit;
- **text**: UTF-8 without NUL or other control characters.

Every refusal and every syntax error is a :class:`YamlInputError` with the line
(and column) it is on and the fix, which each file format turns into its own
``file:line: field: problem`` error. The node tree is kept: callers map a field
path back to the line it came from.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yaml.nodes import Node

#: The largest YAML file read (bytes).
MAX_BYTES = 1024 * 1024
#: The deepest nesting of mappings and lists accepted.
MAX_DEPTH = 64

_SYNTAX_FIX = "check indentation, colons and quotes"


class YamlInputError(Exception):
    """A YAML text that cannot be read: ``line`` and ``column`` are 1-based (None: unknown)."""

    def __init__(
        self, problem: str, fix: str, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.line = line
        self.column = column


def _too_large() -> YamlInputError:
    return YamlInputError(
        f"the file is larger than {MAX_BYTES // 1024 // 1024} MiB ({MAX_BYTES:,} bytes), "
        "the most a YAML file may have",
        "split it, or check that this is the file you meant",
    )


_FLATTEN = "flatten the structure: scenario and claims files need only a few levels"


def _too_deep() -> str:
    return f"is nested too deeply (more than {MAX_DEPTH} levels)"


def decode(data: bytes) -> str:
    """UTF-8 bytes as text, or a :class:`YamlInputError` naming the line of the first bad byte."""
    if len(data) > MAX_BYTES:
        raise _too_large()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlInputError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x})",
            "save the file as UTF-8",
            line,
            column,
        ) from None


def read_stream(stream: IO[bytes] | IO[str]) -> str:
    """Read a stream (standard input) within :data:`MAX_BYTES`; a text stream is read as is."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_large()
    return data if isinstance(data, str) else decode(data)


def read_text(path: str | Path) -> str:
    """Read a file within :data:`MAX_BYTES` as UTF-8 text.

    Raises:
        OSError: the file cannot be opened or read.
        YamlInputError: the file is too large or not UTF-8.
    """
    with Path(path).open("rb") as handle:
        return read_stream(handle)


def _control_character(text: str) -> None:
    from yaml.reader import Reader

    found = Reader.NON_PRINTABLE.search(text)
    if found is None:
        return
    start = found.start()
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    char = found.group()
    name = " (NUL)" if char == "\0" else ""
    raise YamlInputError(
        f"contains the control character U+{ord(char):04X}{name}",
        "remove it: a YAML file is plain text",
        line,
        column,
    )


@cache
def _loader_class() -> type[Any]:
    """A safe loader (libyaml's parser where installed) whose composer enforces the limits."""
    import yaml
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
    from yaml.resolver import Resolver

    class _BoundedComposer(Composer):
        depth = 0

        def compose_node(self, parent: Node | None, index: int) -> Node | None:
            parser: Any = self  # the parser half of the loader gives the events
            event = parser.peek_event()
            mark = event.start_mark
            if isinstance(event, AliasEvent):
                raise YamlInputError(
                    f"uses a YAML alias (*{event.anchor}), which wattlens does not expand",
                    "write the value out in full",
                    mark.line + 1,
                    mark.column + 1,
                )
            if not isinstance(event, MappingStartEvent | SequenceStartEvent):
                return super().compose_node(parent, index)
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise YamlInputError(
                    _too_deep(),
                    _FLATTEN,
                    mark.line + 1,
                    mark.column + 1,
                )
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    parser: type[Any] = yaml.parser.Parser
    if yaml.__with_libyaml__:
        from yaml.cyaml import CParser  # type: ignore[attr-defined]

        parser = CParser
    if parser is yaml.parser.Parser:
        from yaml.reader import Reader
        from yaml.scanner import Scanner

        class _PureLoader(Reader, Scanner, yaml.parser.Parser, _BoundedComposer):
            def __init__(self, stream: str) -> None:
                Reader.__init__(self, stream)
                Scanner.__init__(self)
                yaml.parser.Parser.__init__(self)
                _BoundedComposer.__init__(self)

        base: type[Any] = _PureLoader
    else:

        class _CLoader(_BoundedComposer, parser):  # type: ignore[misc]
            def __init__(self, stream: str) -> None:
                parser.__init__(self, stream)
                _BoundedComposer.__init__(self)

        base = _CLoader

    class SafeBoundedLoader(base, SafeConstructor, Resolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            base.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    return SafeBoundedLoader


def compose(text: str, *, syntax_fix: str = _SYNTAX_FIX) -> tuple[Node | None, Any]:
    """The node tree (for line numbers) and the data of one YAML document, within the limits.

    Args:
        text: the YAML text (from :func:`read_text`, or an upload).
        syntax_fix: the fix to give for a syntax error.

    Raises:
        YamlInputError: over a limit, not plain text, or not valid YAML (with its line).
    """
    import yaml

    # A character is one to four bytes: count the bytes only where it can matter.
    if len(text) > MAX_BYTES or (
        len(text) * 4 > MAX_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES
    ):
        raise _too_large()
    _control_character(text)
    try:
        loader = _loader_class()(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        deep = "nesting depth" in str(exc.problem)  # libyaml's own limit, met while scanning ahead
        raise YamlInputError(
            _too_deep() if deep else f"not valid YAML: {exc.problem or exc.context}",
            _FLATTEN if deep else syntax_fix,
            mark.line + 1 if mark is not None else None,
            mark.column + 1 if mark is not None else None,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlInputError(f"not valid YAML: {exc}", syntax_fix) from None
    except RecursionError:
        raise YamlInputError(_too_deep(), _FLATTEN) from None
    return root, data


__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "YamlInputError",
    "compose",
    "decode",
    "read_stream",
    "read_text",
]
