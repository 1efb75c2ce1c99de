"""Hostile YAML: alias bombs, deep nesting, NUL bytes, other encodings, endless files.

Every YAML input (scenario files, claims files, the dashboard's upload) goes through
:mod:`wattlens.safe_yaml`; each case ends at once in a ``file:line`` error with a fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.badinput.bounded import assert_clean_error, run_cli
from wattlens.safe_yaml import MAX_BYTES, MAX_DEPTH, YamlInputError, compose, decode

# "Billion laughs": 9 levels of 9 aliases expand to 9**8 = 43 million strings.
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)
CLAIMS = "claims:\n  - id: C1\n    text: one figure\n    value: 1 kWh\n"
COMMANDS = [["scenario", "run"], ["scenario", "levers"], ["audit"]]


def _write(tmp_path: Path, data: str | bytes, name: str = "input.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_the_bomb_is_small() -> None:
    assert len(BOMB.encode()) < 500
    assert BOMB.count("*") == 72


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_alias_bomb_ends_at_once(tmp_path: Path, command: list[str]) -> None:
    path = _write(tmp_path, BOMB)
    error = assert_clean_error(run_cli([*command, str(path)]), f"{path}:2", "alias (*a)")
    assert "does not expand" in error


def test_an_alias_bomb_on_standard_input_ends_at_once() -> None:
    out = run_cli(["audit", "-"], stdin=(CLAIMS + BOMB).encode())
    assert_clean_error(out, "<stdin>:6", "alias (*a)")


def test_a_merge_key_is_an_alias_too(tmp_path: Path) -> None:
    text = "base: &base {share: 1}\nrequests:\n  - <<: *base\n    name: chat\n"
    path = _write(tmp_path, text)
    assert_clean_error(run_cli(["scenario", "run", str(path)]), f"{path}:3", "alias (*base)")


DEEP = {
    "flow lists": "name: x\nrequests: " + "[" * 6_000 + "]" * 6_000 + "\n",
    "flow mappings": "name: x\nrequests: " + "{a: " * 6_000 + "1" + "}" * 6_000 + "\n",
    "bare brackets": "[" * 100_000,
    "block mappings": "name: x\n"
    + "".join(f"{'  ' * i}k{i}:\n" for i in range(200))
    + "  " * 200
    + "1\n",
}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_deep_nesting_is_refused(tmp_path: Path, command: list[str], text: str) -> None:
    path = _write(tmp_path, text)
    error = assert_clean_error(run_cli([*command, str(path)]), f"{path}:", "nested too deeply")
    assert f"more than {MAX_DEPTH} levels" in error
    assert "RecursionError" not in error


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_nul_byte_names_its_line(tmp_path: Path, command: list[str]) -> None:
    path = _write(tmp_path, "name: x\nde\0mand: 1\n")
    assert_clean_error(run_cli([*command, str(path)]), f"{path}:2", "U+0000 (NUL)")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_other_encodings_name_their_line(tmp_path: Path, command: list[str]) -> None:
    path = _write(tmp_path, "name: x\ndescription: caf\xe9\n".encode("latin-1"))
    error = assert_clean_error(run_cli([*command, str(path)]), f"{path}:2", "not UTF-8")
    assert "0xe9" in error


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_endless_file_is_read_only_to_the_cap(command: list[str]) -> None:
    assert_clean_error(run_cli([*command, "/dev/zero"]), "/dev/zero", "larger than 1 MiB")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_file_over_the_cap_is_refused(tmp_path: Path, command: list[str]) -> None:
    path = _write(tmp_path, "# padding\n" * (MAX_BYTES // 10 + 1))
    assert_clean_error(run_cli([*command, str(path)]), str(path), "larger than 1 MiB")


def test_standard_input_over_the_cap_is_refused() -> None:
    out = run_cli(["audit", "-"], stdin=b"#" * (MAX_BYTES + 10))
    assert_clean_error(out, "<stdin>", "larger than 1 MiB")


def test_the_dashboard_upload_uses_the_same_loader() -> None:
    pytest.importorskip("fastapi")
    from wattlens.scenario.loader import ScenarioError
    from wattlens.web import services

    for text, problem in ((BOMB, "alias"), ("[" * 50_000, "nested too deeply")):
        with pytest.raises(ScenarioError) as caught:
            services.load_scenario(text, "upload.yaml")
        assert caught.value.issues[0].file == "upload.yaml"
        assert problem in caught.value.issues[0].problem


def test_errors_still_name_the_line_of_the_field() -> None:
    from wattlens.audit.claims_file import ClaimsFileError, parse_claims
    from wattlens.scenario import loads
    from wattlens.scenario.loader import ScenarioError

    text = "name: x\nanchor: &keep 1\ndemand:\n  requests_per_day: lots\n"
    with pytest.raises(ScenarioError) as scenario:
        loads(text, "s.yaml")
    assert any(
        str(i).startswith("s.yaml:4: demand.requests_per_day:") for i in scenario.value.issues
    )
    with pytest.raises(ClaimsFileError) as claims:
        parse_claims(CLAIMS.replace("1 kWh", "[1, 2]"), "c.yaml")
    assert (claims.value.line, claims.value.field) == (4, "claims[0] (C1).value")


# -- the loader itself ----------------------------------------------------------
def test_anchors_without_aliases_are_plain_values() -> None:
    root, data = compose("a: &x 1\nb: [2, 3]\n")
    assert data == {"a": 1, "b": [2, 3]}
    assert root is not None
    assert root.start_mark.line == 0


@pytest.mark.parametrize(
    ("text", "line", "column", "problem"),
    [
        ("a: 1\nb: *x\n", 2, 4, "alias (*x)"),  # an alias to no anchor
        ("a: 1\n  b: 2\n", 2, 4, "not valid YAML"),
        ("a: !!python/object/apply:os.system ['true']\n", 1, 4, "not valid YAML"),
        ("a: 1\nb: \x07\n", 2, 4, "U+0007"),
        ("a: &x 1\nb: *x\n", 2, 4, "alias (*x)"),
        ("a:\n" + "  - " * 1 + "[" * (MAX_DEPTH + 5), 2, None, "nested too deeply"),
    ],
)
def test_problems_carry_line_and_column(
    text: str, line: int, column: int | None, problem: str
) -> None:
    with pytest.raises(YamlInputError) as caught:
        compose(text)
    assert caught.value.line == line
    if column is not None:
        assert caught.value.column == column
    assert problem in caught.value.problem
    assert caught.value.fix


def test_without_libyaml_the_pure_parser_has_the_same_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wattlens import safe_yaml

    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    loader_class = safe_yaml._loader_class.__wrapped__()
    for text, problem in ((BOMB, "alias (*a)"), ("a: " + "[" * 500, "nested too deeply")):
        loader = loader_class(text)
        with pytest.raises(YamlInputError, match=re.escape(problem)):
            loader.get_single_node()
        loader.dispose()
    loader = loader_class("a: &x [1, 2]\n")
    assert loader.construct_document(loader.get_single_node()) == {"a": [1, 2]}


def test_decode_names_the_line_and_byte() -> None:
    with pytest.raises(YamlInputError) as caught:
        decode(b"a: 1\nb: 2\nc: \xff\n")
    assert (caught.value.line, caught.value.column) == (3, 4)
    assert "0xff" in caught.value.problem


def test_a_text_over_the_cap_is_refused_before_parsing() -> None:
    with pytest.raises(YamlInputError, match="larger than 1 MiB"):
        compose("a: " + "x" * MAX_BYTES)


_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
_documents = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(_documents)
def test_any_plain_document_reads_as_pyyaml_reads_it(document: Any) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    problem = ""
    try:
        _, data = compose(text)
    except YamlInputError as exc:
        problem, data = exc.problem, None
    # Only text YAML itself cannot hold (control characters) is refused; anything else reads
    # as PyYAML's safe loader reads it.
    if problem:
        assert "control character" in problem
    else:
        assert data == yaml.safe_load(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#,? \n\t\0\x85é")), max_size=80))
def test_any_text_reads_or_fails_with_a_problem(text: str) -> None:
    problem, fix = "-", "-"
    try:
        compose(text)
    except YamlInputError as exc:
        problem, fix = exc.problem, exc.fix
    assert problem
    assert fix
