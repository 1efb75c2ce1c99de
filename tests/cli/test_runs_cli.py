"""`wattlens runs` from the command line: JSON contracts, confirmation, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.store.test_store import make_measurement
from wattlens.measurement import Measurement
from wattlens.store import EXPORT_COLUMNS, Store

# Field names are a public contract for scripts: changing them breaks users.
SUMMARY_FIELDS = set(EXPORT_COLUMNS)
RECORD_FIELDS = {
    "run_id",
    "name",
    "command",
    "exit_code",
    "status",
    "started_at",
    "ended_at",
    "duration_s",
    "energy_j",
    "energy_low_j",
    "energy_high_j",
    "attributed_energy_j",
    "avg_power_w",
    "peak_power_w",
    "methods",
    "components",
    "location",
    "pue",
    "scope",
    "scope_reason",
    "workload_cpu_share",
    "scope_energy_j",
    "impacts",
    "machine_impacts",
    "embodied",
    "machine_embodied",
    "host",
    "warnings",
    "timeline",
}
COMPONENT_FIELDS = {
    "id",
    "kind",
    "name",
    "method",
    "sensor",
    "basis",
    "energy_j",
    "avg_power_w",
    "peak_power_w",
    "energy_low_j",
    "energy_high_j",
    "attributed_energy_j",
    "catalog_ids",
    "status",
    "status_reason",
}
COMPARE_FIELDS = {
    "run_id",
    "name",
    "status",
    "started_at",
    "duration_s",
    "energy_j",
    "energy_low_j",
    "energy_high_j",
    "attributed_energy_j",
    "avg_power_w",
    "peak_power_w",
    "methods",
    "duration_ratio",
    "energy_ratio",
    "avg_power_ratio",
    "components",
}
COMPARE_COMPONENT_FIELDS = {
    "name", "method", "energy_j", "energy_low_j", "energy_high_j", "avg_power_w", "energy_ratio",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _runs_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `wattlens runs` reachable even where cli/__init__.py does not register it yet."""
    import typer.models

    from wattlens.cli import app
    from wattlens.cli import runs as runs_cli

    if not any(group.name == "runs" for group in app.registered_groups):
        monkeypatch.setattr(
            app,
            "registered_groups",
            [*app.registered_groups, typer.models.TyperInfo(runs_cli.app, name="runs")],
        )


@pytest.fixture
def stored() -> list[Measurement]:
    """Three runs in the test's store (WATTLENS_DB from conftest)."""
    runs = [
        make_measurement("aaaa1111-base", name="baseline", started_at="2026-01-01T00:00:00Z"),
        make_measurement(
            "aaaa2222-fast",
            name="quantised",
            started_at="2026-01-02T00:00:00Z",
            gpu_j=1500.0,
            cpu_j=250.0,
            duration_s=5.0,
        ),
        make_measurement(
            "bbbb3333-ram",
            name="baseline",
            started_at="2026-01-03T00:00:00Z",
            modeled_ram=True,
            location="FR",
        ),
    ]
    with Store() as store:
        for m in runs:
            store.save(m)
    return runs


# -- ls ----------------------------------------------------------------------------------------
def test_ls_json_keeps_its_field_names(cli: Any, stored: list[Measurement]) -> None:
    result = cli("runs", "ls", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) == {"count", "shown", "runs"}
    assert data["count"] == data["shown"] == 3
    assert [r["run_id"] for r in data["runs"]] == ["bbbb3333-ram", "aaaa2222-fast", "aaaa1111-base"]
    for run in data["runs"]:
        assert set(run) == SUMMARY_FIELDS
    assert data["runs"][0]["methods"] == ["counter", "modeled"]
    assert data["runs"][0]["location"] == "FR"


def test_ls_limit_and_name(cli: Any, stored: list[Measurement]) -> None:
    data = cli("runs", "ls", "--limit", "1", "--json").json()
    assert (data["count"], data["shown"]) == (3, 1)
    data = cli("runs", "ls", "--name", "baseline", "--json").json()
    assert [r["run_id"] for r in data["runs"]] == ["bbbb3333-ram", "aaaa1111-base"]
    data = cli("runs", "ls", "--since", "2026-01-02", "--json").json()
    assert data["count"] == 2


def test_ls_table_for_people(cli: Any, stored: list[Measurement]) -> None:
    result = cli("runs", "ls", "--limit", "2")
    assert result.exit_code == 0, result.stderr
    assert "bbbb3333" in result.stdout
    assert "bbbb3333-ram" not in result.stdout
    assert "baseline" in result.stdout
    assert "2026-01-03 00:00" in result.stdout
    assert "2 of 3 runs shown" in result.stdout
    assert "Wh" in result.stdout or " J" in result.stdout


def test_ls_on_an_empty_store(cli: Any) -> None:
    result = cli("runs", "ls")
    assert result.exit_code == 0, result.stderr
    assert "No stored runs" in result.stdout
    assert cli("runs", "ls", "--json").json() == {"count": 0, "shown": 0, "runs": []}


def test_ls_bad_since_exits_2(cli: Any) -> None:
    result = cli("runs", "ls", "--since", "yesterday")
    assert result.exit_code == 2
    assert "yesterday" in result.stderr


# -- show --------------------------------------------------------------------------------------
def test_show_json_is_the_full_record(cli: Any, stored: list[Measurement]) -> None:
    result = cli("runs", "show", "bbbb", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    # The stored record, and what the store keeps beside it: its windows and child records.
    assert set(data) == RECORD_FIELDS | {"windows", "children"}
    assert data.pop("windows") == []
    assert data.pop("children") == []
    for component in data["components"]:
        assert set(component) == COMPONENT_FIELDS
    assert data == json.loads(json.dumps(stored[2].to_dict()))
    assert Measurement.from_dict(data) == stored[2]


def test_show_for_people_names_methods_bases_and_impacts(
    cli: Any, stored: list[Measurement]
) -> None:
    result = cli("runs", "show", "bbbb3333")
    assert result.exit_code == 0, result.stderr
    for text in ("bbbb3333-ram", "gpu:0", "counter", "modeled", "0.375 W/GB", "impacts"):
        assert text in result.stdout, text
    assert "France" in result.stdout


def test_show_unknown_id_exits_2_naming_it(cli: Any, stored: list[Measurement]) -> None:
    result = cli("runs", "show", "zzzz")
    assert result.exit_code == 2
    assert "'zzzz'" in result.stderr
    assert "hint:" in result.stderr


def test_show_ambiguous_prefix_lists_the_matches(cli: Any, stored: list[Measurement]) -> None:
    result = cli("runs", "show", "aaaa")
    assert result.exit_code == 2
    assert "ambiguous" in result.stderr
    assert "aaaa1111-base" in result.stderr
    assert "aaaa2222-fast" in result.stderr


# -- compare -----------------------------------------------------------------------------------
def test_compare_json_gives_ratios_to_the_first(cli: Any, stored: list[Measurement]) -> None:
    result = cli("runs", "compare", "aaaa1", "aaaa2", "bbbb", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) == {"baseline_run_id", "runs"}
    assert data["baseline_run_id"] == "aaaa1111-base"
    base, fast, ram = data["runs"]
    for run in data["runs"]:
        assert set(run) == COMPARE_FIELDS
        for component in run["components"].values():
            assert set(component) == COMPARE_COMPONENT_FIELDS
    assert base["energy_ratio"] == pytest.approx(1.0)
    assert fast["energy_ratio"] == pytest.approx(0.5)
    assert fast["duration_ratio"] == pytest.approx(0.5)
    assert fast["avg_power_ratio"] == pytest.approx(1.0)
    assert fast["components"]["gpu:0"]["energy_ratio"] == pytest.approx(0.5)
    # The baseline has no RAM component: no ratio rather than a made-up one.
    assert ram["components"]["ram"]["energy_ratio"] is None
    assert ram["components"]["ram"]["method"] == "modeled"


def test_compare_for_people(cli: Any, stored: list[Measurement]) -> None:
    result = cli("runs", "compare", "aaaa1", "aaaa2")
    assert result.exit_code == 0, result.stderr
    assert "×0.5" in result.stdout
    assert "gpu:0" in result.stdout
    assert "cpu:package-0" in result.stdout


def test_compare_needs_two_runs(cli: Any, stored: list[Measurement]) -> None:
    result = cli("runs", "compare", "aaaa1")
    assert result.exit_code == 2
    assert "at least two" in result.stderr


# -- export ------------------------------------------------------------------------------------
def test_export_csv_to_stdout(cli: Any, stored: list[Measurement]) -> None:
    result = cli("runs", "export")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [r["run_id"] for r in rows] == ["aaaa1111-base", "aaaa2222-fast", "bbbb3333-ram"]
    assert rows[2]["methods"] == "counter;modeled"


def test_export_json_to_a_file(cli: Any, stored: list[Measurement], tmp_path: Path) -> None:
    target = tmp_path / "runs.json"
    result = cli("runs", "export", "--format", "json", "--output", target, "--timeline")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "exported 3 runs" in result.stderr
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["count"] == 3
    for record in data["runs"]:
        assert set(record) == RECORD_FIELDS
    assert [Measurement.from_dict(r) for r in data["runs"]] == stored


def test_export_to_an_unwritable_path_exits_2(
    cli: Any, stored: list[Measurement], tmp_path: Path
) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = cli("runs", "export", "--output", blocker / "out.csv")
    assert result.exit_code == 2
    assert str(blocker) in result.stderr


# -- rm ----------------------------------------------------------------------------------------
def test_rm_without_yes_and_without_a_terminal_exits_2(cli: Any, stored: list[Measurement]) -> None:
    result = cli("runs", "rm", "bbbb")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    with Store() as store:
        assert store.count() == 3


def test_rm_with_yes_deletes(cli: Any, stored: list[Measurement]) -> None:
    result = cli("runs", "rm", "bbbb", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "deleted run bbbb3333-ram" in result.stderr
    with Store() as store:
        assert [r["run_id"] for r in store.list_runs()] == ["aaaa2222-fast", "aaaa1111-base"]


def test_rm_unknown_id_exits_2(cli: Any, stored: list[Measurement]) -> None:
    assert cli("runs", "rm", "nope", "--yes").exit_code == 2


# -- store errors ------------------------------------------------------------------------------
def test_unusable_store_is_an_error_with_location_and_hint(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    monkeypatch.setenv("WATTLENS_DB", f"sqlite:///{blocker / 'runs.sqlite'}")
    result = cli("runs", "ls")
    assert result.exit_code == 1
    assert str(blocker) in result.stderr
    assert "WATTLENS_DB" in result.stderr


# -- ids and prefixes --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ("runs", "show", "aaaa"),
        ("runs", "rm", "aaaa", "--yes"),
        ("runs", "compare", "bbbb", "aaaa"),
        ("report", "run", "aaaa"),
    ],
)
def test_an_ambiguous_prefix_exits_2_listing_the_candidates(
    cli: Any,
    stored: list[Measurement],
    args: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # `report run` would write its file here
    result = cli(*args)
    assert result.exit_code == 2
    assert "'aaaa' is ambiguous" in result.stderr
    assert "aaaa1111-base" in result.stderr
    assert "aaaa2222-fast" in result.stderr
    assert list(tmp_path.iterdir()) == []
    with Store() as store:
        assert store.count() == 3


def test_runs_recorded_back_to_back_have_distinct_short_ids(cli: Any) -> None:
    """Short ids were the top bits of a millisecond clock: runs of one minute shared them."""
    shorts = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-m", "wattlens", "run", "--", sys.executable, "-c", ""],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        found = re.search(r"stored as run ([0-9a-f]{8}) \(wattlens runs show \1\)", out.stderr)
        assert found is not None, out.stderr
        shorts.append(found.group(1))
    assert len(set(shorts)) == 3
    ids = [r["run_id"] for r in cli("runs", "ls", "--json").json()["runs"]]
    assert sorted(run_id[:8] for run_id in ids) == sorted(shorts)
    for short in shorts:
        shown = cli("runs", "show", short, "--json")
        assert shown.exit_code == 0, shown.stderr
        assert shown.json()["run_id"].startswith(short)


# -- import --------------------------------------------------------------------------------------
def test_import_takes_an_export_and_a_single_run(
    cli: Any, stored: list[Measurement], tmp_path: Path
) -> None:
    export = tmp_path / "runs.json"
    assert cli("runs", "export", "-f", "json", "-o", export, "--timeline").exit_code == 0
    single = tmp_path / "one.json"
    single.write_text(json.dumps(make_measurement("cccc4444-one", name="single").to_dict()))
    with Store() as store:
        for m in stored:
            store.delete(m.run_id)
    out = cli("runs", "import", export, single)
    assert out.exit_code == 0, out.stderr
    assert "imported 4 runs" in out.stderr
    with Store() as store:
        assert store.count() == 4
        assert store.get("aaaa1111").to_dict() == stored[0].to_dict()


@pytest.mark.parametrize(
    "content", ["not json", "[1, 2]", '{"runs": [{"name": "no id"}]}', "[" * 100_000]
)
def test_import_of_a_bad_file_exits_2_and_imports_nothing(
    cli: Any, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    out = cli("runs", "import", path)
    assert out.exit_code == 2
    assert "is not a wattlens run file" in out.stderr
    assert "hint:" in out.stderr
    assert "Traceback" not in out.stderr
    with Store() as store:
        assert store.count() == 0


def test_import_of_a_spool_file_removes_it_from_the_spool(cli: Any) -> None:
    from wattlens.store import spool

    kept = spool.keep(make_measurement("dddd5555-kept"), "sqlite:////elsewhere/runs.sqlite", "x")
    out = cli("runs", "import", kept)
    assert out.exit_code == 0, out.stderr
    assert not kept.exists()
    with Store() as store:
        assert store.get("dddd5555").name == "train"


# -- windows and child records -----------------------------------------------------------------
@pytest.fixture
def family() -> Measurement:
    """A training run with two epochs' windows, and a distributed rank and node record of it."""
    from dataclasses import replace

    from wattlens.windows import Window

    run = make_measurement("cccc4444-fit", name="fit", started_at="2026-02-01T00:00:00Z")
    windows = [
        Window(0, "epoch", "epoch 1", 0.5, 4.5, 4.0, 1200.0, 1100.0, 1300.0, ("counter",),
               {"epoch": 1, "steps": 50}),
        Window(1, "steps", "epoch 1 steps", 0.5, 4.5, 0.8, 240.0,
               methods=("counter",),
               detail={"epoch": 1, "steps": 50, "measured_steps": 10, "mean_step_energy_j": 24.0}),
        Window(2, "epoch", "epoch 2", 4.6, 8.6, 4.0, 1250.0, None, None, ("counter",),
               {"epoch": 2, "steps": 50}),
    ]  # fmt: skip
    children = []
    for role, suffix in (("rank", "rank0"), ("node", "node")):
        child = make_measurement(f"{run.run_id}.n1.step.{suffix}", name="step", gpu_j=700.0)
        tag = {"run_id": run.run_id, "role": role, "rank": 0, "hostname": "n1", "window": "step"}
        children.append(replace(child, host={**child.host, "distributed": tag}))
    with Store() as store:
        store.save(run)
        store.save_windows(run.run_id, windows)
        for child in children:
            store.save(child)
    return run


def test_ls_hides_child_records_and_all_lists_them(
    cli: Any, stored: list[Measurement], family: Measurement
) -> None:
    data = cli("runs", "ls", "--json").json()
    assert data["count"] == 4
    assert "cccc4444-fit" in [r["run_id"] for r in data["runs"]]
    assert not any(r["run_id"].startswith("cccc4444-fit.") for r in data["runs"])
    text = cli("runs", "ls").stdout
    assert "2 child records" in text
    assert "--all" in text
    every = cli("runs", "ls", "--all", "--json").json()
    assert every["count"] == 6
    parents = {r["run_id"]: r["parent_id"] for r in every["runs"]}
    assert parents["cccc4444-fit.n1.step.rank0"] == "cccc4444-fit"
    assert parents["cccc4444-fit.n1.step.node"] == "cccc4444-fit"
    assert parents["cccc4444-fit"] is None
    table = cli("runs", "ls", "--all").stdout
    assert table.count(" step ") == 2  # the two child records' rows, by name
    assert "child records" not in table


def test_rm_deletes_the_run_with_its_child_records(cli: Any, family: Measurement) -> None:
    result = cli("runs", "rm", "cccc4444", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "and its 2 child records" in result.stderr
    every = cli("runs", "ls", "--all", "--json").json()
    assert not any(r["run_id"].startswith("cccc4444") for r in every["runs"])


def test_show_json_has_the_windows_and_the_children(cli: Any, family: Measurement) -> None:
    result = cli("runs", "show", "cccc4444", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["run_id"] == "cccc4444-fit"
    assert [(w["seq"], w["kind"], w["energy_j"]) for w in data["windows"]] == [
        (0, "epoch", 1200.0),
        (1, "steps", 240.0),
        (2, "epoch", 1250.0),
    ]
    assert data["windows"][0]["start_s"] == 0.5
    assert data["windows"][1]["detail"]["mean_step_energy_j"] == 24.0
    assert [(c["run_id"], c["energy_j"]) for c in data["children"]] == [
        ("cccc4444-fit.n1.step.node", 1200.0),
        ("cccc4444-fit.n1.step.rank0", 1200.0),
    ]


def test_show_for_people_lists_windows_and_children(cli: Any, family: Measurement) -> None:
    result = cli("runs", "show", "cccc4444-fit")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "windows" in out
    assert "epoch 2" in out
    assert "24 J/step" in out
    assert "child records" in out
    assert "cccc4444-fit.n1.step.node" in out


def test_a_child_record_still_shows_on_its_own(cli: Any, family: Measurement) -> None:
    result = cli("runs", "show", "cccc4444-fit.n1.step.rank0", "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["run_id"] == "cccc4444-fit.n1.step.rank0"
    assert data["host"]["distributed"]["run_id"] == "cccc4444-fit"
    assert data["windows"] == []
    assert data["children"] == []
