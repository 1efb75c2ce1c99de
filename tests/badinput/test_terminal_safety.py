"""Names, commands and stored text reach the terminal as inert text.

A run named ``[/bold]`` once made `runs ls`, `show` and `compare` raise
Rich's MarkupError for the whole store; names with ESC sequences retitled the
terminal or cleared the screen.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tests.store.test_store import make_measurement
from wattlens.cli._safe_text import plain, safe
from wattlens.store import Store

HOSTILE_NAMES = [
    "[/bold]",
    "[bold red]loud[/]",
    "\x1b]0;owned\x07title",
    "\x1b[2Jcleared",
    "back\\",
    "\u202eevil",
]


@pytest.fixture
def hostile() -> list[str]:
    ids = [f"hostile{i:02d}" for i in range(len(HOSTILE_NAMES))]
    with Store() as store:
        for run_id, name in zip(ids, HOSTILE_NAMES, strict=True):
            m = make_measurement(run_id, name=name)
            object.__setattr__(m, "command", (name, "--flag=[/]"))
            object.__setattr__(m, "warnings", (f"warning about {name}",))
            store.save(m)
    return ids


@pytest.fixture(autouse=True)
def _wide_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wide enough that no name is folded across lines."""
    from wattlens.cli import _output

    monkeypatch.setattr(_output.stdout, "width", 400)


def _assert_inert(text: str) -> None:
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\u202e" not in text


def test_ls_lists_every_hostile_name_literally(cli: Any, hostile: list[str]) -> None:
    out = cli("runs", "ls", "--limit", "0")
    assert out.exit_code == 0, out.stderr
    _assert_inert(out.stdout)
    assert "[/bold]" in out.stdout
    assert "[bold red]loud[/]" in out.stdout
    assert "\\x1b]0;owned\\x07title" in out.stdout


@pytest.mark.parametrize("index", range(len(HOSTILE_NAMES)))
def test_show_prints_each_hostile_run(cli: Any, hostile: list[str], index: int) -> None:
    out = cli("runs", "show", hostile[index])
    assert out.exit_code == 0, out.stderr
    _assert_inert(out.stdout)
    assert "--flag=[/]" in out.stdout


def test_compare_prints_hostile_runs_side_by_side(cli: Any, hostile: list[str]) -> None:
    out = cli("runs", "compare", *hostile)
    assert out.exit_code == 0, out.stderr
    _assert_inert(out.stdout)
    assert "[/bold]" in out.stdout


def test_an_unknown_hostile_id_is_an_inert_error(cli: Any) -> None:
    out = cli("runs", "show", "\x1b[2J[/bold]")
    assert out.exit_code == 2
    _assert_inert(out.stderr)
    assert "[/bold]" in out.stderr


def test_the_run_summary_neutralises_the_command(cli: Any) -> None:
    script = "pass  # [/bold] \x1b]0;owned\x07"
    out = cli("run", "--name", "[/bold]", "--", sys.executable, "-c", script)
    assert out.exit_code == 0, out.stderr
    _assert_inert(out.stderr)
    assert "[/bold]" in out.stderr


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("a\x00b\x7fc\x9bd", "a\\x00b\\x7fc\\x9bd"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\u202eabc", "\\u202eabc"),
        ("名前 ok", "名前 ok"),
    ],
)
def test_plain_shows_control_characters_as_escapes(text: str, shown: str) -> None:
    assert plain(text) == shown


def test_safe_round_trips_through_rich_as_the_literal_text() -> None:
    from rich.console import Console

    console = Console(record=True, width=200, color_system=None)
    for name in HOSTILE_NAMES:
        console.print(safe(name), highlight=False)
    shown = console.export_text()
    for name in HOSTILE_NAMES:
        assert plain(name) in shown
