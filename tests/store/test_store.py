"""The run store against real SQLite files: round trips, queries, export, concurrency, errors."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wattlens.errors import StoreError, UsageError
from wattlens.measurement import ComponentEnergy, Measurement, TimelinePoint
from wattlens.store import EXPORT_COLUMNS, AmbiguousRunIdError, RunNotFoundError, Store


def make_measurement(
    run_id: str = "0123456789abcdef",
    *,
    name: str = "train",
    started_at: str = "2026-03-01T12:00:00+00:00",
    duration_s: float = 10.0,
    gpu_j: float = 3000.0,
    cpu_j: float = 500.0,
    modeled_ram: bool = False,
    timeline_points: int = 3,
    impacts: dict[str, Any] | None = None,
    location: str | None = None,
    status: str = "completed",
) -> Measurement:
    """A realistic measurement: a counter GPU, a counter CPU, optionally modelled RAM."""
    components = [
        ComponentEnergy(
            id="gpu:0",
            kind="gpu",
            name="NVIDIA H100 80GB HBM3",
            method="counter",
            sensor="nvml",
            basis="nvmlDeviceGetTotalEnergyConsumption",
            energy_j=gpu_j,
            avg_power_w=gpu_j / duration_s,
            peak_power_w=gpu_j / duration_s * 1.5,
            attributed_energy_j=gpu_j * 0.9,
            catalog_ids=("accelerators/h100-sxm",),
        ),
        ComponentEnergy(
            id="cpu:package-0",
            kind="cpu",
            name="AMD EPYC 7763",
            method="counter",
            sensor="rapl",
            basis="intel-rapl:0 energy_uj",
            energy_j=cpu_j,
            avg_power_w=cpu_j / duration_s,
        ),
    ]
    if modeled_ram:
        components.append(
            ComponentEnergy(
                id="ram",
                kind="ram",
                name="RAM 512 GB",
                method="modeled",
                sensor="model",
                basis="0.375 W/GB",
                energy_j=100.0,
                avg_power_w=100.0 / duration_s,
                energy_low_j=50.0,
                energy_high_j=150.0,
                catalog_ids=("equivalents/ram-w-per-gb",),
            )
        )
    timeline = tuple(
        TimelinePoint(
            t_s=i * 0.1,
            power_w={"gpu:0": 250.0 + i + 0.123456789, "cpu:package-0": 50.0 - i / 7},
        )
        for i in range(timeline_points)
    )
    return Measurement(
        run_id=run_id,
        name=name,
        started_at=started_at,
        ended_at=started_at,
        duration_s=duration_s,
        components=tuple(components),
        command=("python", "train.py", "--epochs", "1"),
        exit_code=0,
        status=status,  # type: ignore[arg-type]
        timeline=timeline if timeline_points else None,
        host={"hostname": "node-1", "cpu_count": 64},
        warnings=("RAM power is modelled",) if modeled_ram else (),
        location=location,
        stored_impacts=impacts,
    )


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'runs.sqlite'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as s:
        yield s


def _sqlite_rows(url: str, query: str, *params: object) -> list[tuple[Any, ...]]:
    path = url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(query, params).fetchall()


# -- round trips -------------------------------------------------------------------------------
def test_save_get_round_trip_is_equal_including_timeline(store: Store) -> None:
    m = make_measurement(modeled_ram=True, timeline_points=50)
    store.save(m)
    loaded = store.get(m.run_id)
    assert loaded == m
    assert loaded.timeline == m.timeline
    assert loaded.to_dict() == m.to_dict()  # impacts included, as computed when saved


def test_timeline_is_stored_as_rows_and_none_stays_none(store: Store, db_url: str) -> None:
    store.save(make_measurement("with-timeline", timeline_points=4))
    store.save(make_measurement("no-timeline", timeline_points=0))
    rows = _sqlite_rows(
        db_url, "SELECT t_s, component, power_w FROM timeline WHERE run_id = ?", "with-timeline"
    )
    assert len(rows) == 4 * 2
    assert {r[1] for r in rows} == {"gpu:0", "cpu:package-0"}
    assert store.get("no-timeline").timeline is None
    assert store.get("with-timeline").timeline is not None


def _gappy_measurement(run_id: str, name: str) -> Measurement:
    """A timeline with points left unstored (no power), components missing and arriving late."""
    points = []
    for i in range(2_003):
        power: dict[str, float] = {}
        if i % 7:
            power["gpu:0"] = 200.0 + (i * 37) % 101 + 0.25
        if i % 3 == 0:
            power["cpu:package-0"] = 40.0 + (i % 13) / 3
        if i > 1_700:
            power["ram"] = 1.0 + i / 9
        if i % 11 == 0:
            power = {}
        points.append(TimelinePoint(i * 0.37 + (i % 5) * 1e-3, power))
    m = make_measurement(run_id, name=name, timeline_points=0)
    return Measurement(**{**m.__dict__, "timeline": tuple(points)})


def check_timeline_reads(store: Store, tag: str) -> None:
    """``get(timeline=False)``, ``timeline_count`` and ``timeline(max_points)`` agree with
    the whole timeline and with :func:`downsample_timeline` over it."""
    from wattlens.report.figures import downsample_timeline

    runs = [
        make_measurement(f"{tag}-dense", name=tag, timeline_points=1_000),
        _gappy_measurement(f"{tag}-gappy", tag),
        make_measurement(f"{tag}-none", name=tag, timeline_points=0),
    ]
    for m in runs:
        store.save(m)
        full = store.get(m.run_id)
        light = store.get(m.run_id, timeline=False)
        assert light.timeline is None
        assert light.peak_power_w == full.peak_power_w
        assert light.to_dict() == {**full.to_dict(), "timeline": None}
        n = store.timeline_count(m.run_id)
        assert n == len(full.timeline or ())
        assert store.timeline(m.run_id) == list(full.timeline or ())
        for max_points in (1, 7, 10, 100, 999, 5_000):
            reduced = store.timeline(m.run_id, max_points=max_points)
            assert len(reduced) <= max_points
            expected = downsample_timeline(full.timeline, max_points)
            got = downsample_timeline(reduced, max_points)
            assert len(reduced) == expected["points"]
            assert list(got["power_w"]) == list(expected["power_w"])  # first-seen order
            assert got["t_s"] == pytest.approx(expected["t_s"], rel=1e-12, abs=1e-6)
            for component, values in expected["power_w"].items():
                assert [v is None for v in got["power_w"][component]] == [v is None for v in values]
                assert [v for v in got["power_w"][component] if v is not None] == pytest.approx(
                    [v for v in values if v is not None], rel=1e-12, abs=1e-6
                )
    assert store.timeline(f"{tag}-none", max_points=10) == []
    with pytest.raises(ValueError, match="max_points"):
        store.timeline(f"{tag}-dense", max_points=0)
    with pytest.raises(RunNotFoundError):
        store.timeline_count(f"{tag}-missing")


def test_timeline_reads_in_sql_match_the_whole_timeline(store: Store) -> None:
    check_timeline_reads(store, "tl")


def test_store_survives_reopening(db_url: str) -> None:
    m = make_measurement()
    with Store(db_url) as first:
        first.save(m)
    with Store(db_url) as second:
        assert second.get(m.run_id) == m
        assert second.count() == 1


def test_saving_an_id_again_replaces_the_run(store: Store, db_url: str) -> None:
    store.save(make_measurement("r1", name="first", timeline_points=5))
    store.save(make_measurement("r1", name="second", timeline_points=2))
    assert store.count() == 1
    assert store.get("r1").name == "second"
    assert _sqlite_rows(db_url, "SELECT count(*) FROM timeline")[0][0] == 2 * 2


def test_sqlite_store_uses_wal(store: Store, db_url: str) -> None:
    store.save(make_measurement())
    assert _sqlite_rows(db_url, "PRAGMA journal_mode")[0][0] == "wal"


# -- lookup by id ------------------------------------------------------------------------------
def test_unique_prefix_finds_the_run(store: Store) -> None:
    store.save(make_measurement("abc111"))
    store.save(make_measurement("abc222"))
    assert store.get("abc1").run_id == "abc111"
    assert store.resolve("abc2") == "abc222"
    assert store.resolve("abc111") == "abc111"


def test_exact_id_wins_over_longer_ids_with_the_same_prefix(store: Store) -> None:
    store.save(make_measurement("abc"))
    store.save(make_measurement("abcdef"))
    assert store.resolve("abc") == "abc"


def test_ambiguous_prefix_lists_the_matches(store: Store) -> None:
    store.save(make_measurement("abc111"))
    store.save(make_measurement("abc222"))
    with pytest.raises(AmbiguousRunIdError) as info:
        store.get("abc")
    assert info.value.matches == ["abc111", "abc222"]
    assert "abc111" in str(info.value)
    assert "abc222" in str(info.value)
    assert isinstance(info.value, UsageError)
    assert info.value.exit_code == 2


def test_unknown_id_names_the_id(store: Store) -> None:
    store.save(make_measurement("abc111"))
    with pytest.raises(RunNotFoundError, match="'nope'") as info:
        store.get("nope")
    assert info.value.exit_code == 2


@pytest.mark.parametrize("prefix", ["%", "_", "ABC", ""])
def test_prefix_is_literal_and_case_sensitive(store: Store, prefix: str) -> None:
    store.save(make_measurement("abc111"))
    with pytest.raises(RunNotFoundError):
        store.resolve(prefix)


# -- listing -----------------------------------------------------------------------------------
def _seed(store: Store) -> None:
    store.save(make_measurement("r-old", name="train", started_at="2026-01-01T00:00:00Z"))
    store.save(make_measurement("r-mid", name="infer", started_at="2026-02-01T00:00:00+00:00"))
    # Same instant as 2026-03-01T00:00:00Z, written with another zone.
    store.save(make_measurement("r-new", name="train-2", started_at="2026-03-01T01:00:00+01:00"))


def test_list_is_newest_first_by_default(store: Store) -> None:
    _seed(store)
    assert [r["run_id"] for r in store.list_runs()] == ["r-new", "r-mid", "r-old"]
    oldest = store.list_runs(order="oldest")
    assert [r["run_id"] for r in oldest] == ["r-old", "r-mid", "r-new"]


def test_list_limit_and_offset_page_through(store: Store) -> None:
    _seed(store)
    assert [r["run_id"] for r in store.list_runs(limit=2)] == ["r-new", "r-mid"]
    assert [r["run_id"] for r in store.list_runs(limit=2, offset=2)] == ["r-old"]
    assert store.count() == 3


def test_list_filters_by_name_and_glob(store: Store) -> None:
    _seed(store)
    assert [r["run_id"] for r in store.list_runs(name="train")] == ["r-old"]
    assert [r["run_id"] for r in store.list_runs(name="train*")] == ["r-new", "r-old"]
    assert store.list_runs(name="tr_in") == []  # _ is literal, not a wildcard
    assert store.count(name="train*") == 2


def test_list_filters_by_since_across_time_zones(store: Store) -> None:
    _seed(store)
    since = store.list_runs(since="2026-02-01T00:00:00Z")
    assert [r["run_id"] for r in since] == ["r-new", "r-mid"]
    from datetime import datetime

    assert store.count(since=datetime(2026, 3, 1)) == 1  # naive means UTC


def test_list_summary_fields_and_values(store: Store) -> None:
    m = make_measurement(modeled_ram=True)
    store.save(m)
    (summary,) = store.list_runs()
    assert tuple(summary) == EXPORT_COLUMNS
    assert summary["energy_j"] == pytest.approx(3600.0)
    assert summary["energy_low_j"] == pytest.approx(3550.0)
    assert summary["energy_high_j"] == pytest.approx(3650.0)
    assert summary["methods"] == ["counter", "modeled"]
    assert summary["command"] == ["python", "train.py", "--epochs", "1"]
    assert summary["started_at"] == "2026-03-01T12:00:00.000000+00:00"
    # Impacts were computed for the world average grid when the run was saved.
    assert summary["location"] == "world"
    assert summary["co2e_g"] == pytest.approx(m.impacts["co2e_g"]["central"])
    assert summary["co2e_g"] > 0


def test_impact_columns_come_from_the_computed_impacts(store: Store) -> None:
    m = make_measurement("fr-run", location="FR")
    store.save(m)
    (summary,) = store.list_runs()
    impacts = m.impacts
    assert summary["location"] == "FR"
    assert summary["co2e_g"] == pytest.approx(impacts["co2e_g"]["central"])
    assert summary["water_l"] == pytest.approx(impacts["water_l"]["total"]["central"])
    if impacts["cost"] is not None:
        assert summary["cost_amount"] == pytest.approx(impacts["cost"]["amount"]["central"])
        assert summary["cost_currency"] == impacts["cost"]["currency"]
    loaded = store.get("fr-run")
    assert loaded.location == "FR"
    assert loaded.impacts == impacts


def test_impact_columns_are_read_tolerantly(store: Store) -> None:
    older_shape = {
        "location": "FR",
        "co2e_g": {"p5": 1.0, "p50": 2.0, "p95": 3.0},
        "water_l": 0.2,
        "cost": {"amount": {"p5": 0.01, "p50": 0.02, "p95": 0.03}, "currency": "EUR"},
    }
    store.save(make_measurement("older-shape", impacts=older_shape))
    store.save(make_measurement("odd-shape", impacts={"co2e_g": "unknown", "cost": [1]}))
    by_id = {r["run_id"]: r for r in store.list_runs()}
    good = by_id["older-shape"]
    assert (good["location"], good["co2e_g"], good["water_l"]) == ("FR", 2.0, 0.2)
    assert (good["cost_amount"], good["cost_currency"]) == (0.02, "EUR")
    odd = by_id["odd-shape"]
    assert odd["co2e_g"] is None
    assert odd["cost_amount"] is None
    assert odd["location"] is None
    assert store.get("older-shape").impacts == older_shape


# -- delete ------------------------------------------------------------------------------------
def test_delete_removes_the_run_and_its_timeline(store: Store, db_url: str) -> None:
    store.save(make_measurement("keep-me"))
    store.save(make_measurement("drop-me", timeline_points=7))
    assert store.delete("drop") == "drop-me"
    assert [r["run_id"] for r in store.list_runs()] == ["keep-me"]
    assert _sqlite_rows(db_url, "SELECT count(*) FROM timeline WHERE run_id='drop-me'")[0][0] == 0
    with pytest.raises(RunNotFoundError):
        store.delete("drop-me")
    assert store.get("keep-me").timeline is not None


# -- export ------------------------------------------------------------------------------------
def test_csv_export_has_the_documented_columns(store: Store) -> None:
    _seed(store)
    out = io.StringIO()
    assert store.export("csv", out) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [r["run_id"] for r in rows] == ["r-old", "r-mid", "r-new"]  # oldest first
    assert float(rows[0]["energy_j"]) == pytest.approx(3500.0)
    assert rows[0]["methods"] == "counter"
    assert json.loads(rows[0]["command"])[0] == "python"
    assert float(rows[0]["co2e_g"]) > 0
    assert rows[0]["cost_currency"] in ("", "USD") or len(rows[0]["cost_currency"]) == 3


def test_json_export_parses_back_into_measurements(store: Store) -> None:
    m = make_measurement(modeled_ram=True)
    store.save(m)
    out = io.StringIO()
    store.export("json", out)
    data = json.loads(out.getvalue())
    assert data["count"] == 1
    (record,) = data["runs"]
    assert set(record) == set(m.to_dict())
    assert record["timeline"] is None
    assert Measurement.from_dict(record) == Measurement.from_dict({**m.to_dict(), "timeline": None})

    with_timeline = io.StringIO()
    store.export("json", with_timeline, timeline=True)
    assert Measurement.from_dict(json.loads(with_timeline.getvalue())["runs"][0]) == m


def test_export_filters_by_name(store: Store) -> None:
    _seed(store)
    out = io.StringIO()
    assert store.export("json", out, name="infer") == 1


# -- concurrency -------------------------------------------------------------------------------
_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from wattlens.measurement import ComponentEnergy, Measurement, TimelinePoint
    from wattlens.store import Store

    url, prefix, count, sync = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    (sync / f"ready-{prefix}").touch()
    deadline = time.monotonic() + 60
    while not (sync / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    component = ComponentEnergy(
        id="gpu:0", kind="gpu", name="gpu", method="counter", sensor="fake",
        basis="fake counter", energy_j=100.0, avg_power_w=10.0,
    )
    timeline = tuple(TimelinePoint(i * 0.01, {"gpu:0": 10.0 + i}) for i in range(200))
    with Store(url) as store:
        for i in range(count):
            store.save(
                Measurement(
                    run_id=f"{prefix}-{i:03d}", name=prefix,
                    started_at=f"2026-01-01T00:00:{i:02d}Z", ended_at="2026-01-01T00:01:00Z",
                    duration_s=10.0, components=(component,), timeline=timeline,
                )
            )
    """
)


def test_two_writer_processes_are_all_recorded(tmp_path: Path, db_url: str) -> None:
    count = 20
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, db_url, prefix, str(count), str(sync)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("alpha", "beta")
    ]
    try:
        deadline = time.monotonic() + 60
        while not all((sync / f"ready-{p}").exists() for p in ("alpha", "beta")):
            assert time.monotonic() < deadline, "writer processes did not start"
            time.sleep(0.01)
        (sync / "go").touch()  # both start writing (and creating the tables) together
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    for p, (_out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
    with Store(db_url) as store:
        assert store.count() == 2 * count
        assert store.count(name="alpha") == count
        assert store.count(name="beta") == count
        loaded = store.get("beta-019")
        assert loaded.timeline is not None
        assert len(loaded.timeline) == 200


# -- where the store lives, and errors ---------------------------------------------------------
def test_url_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "env" / "nested" / "runs.sqlite"
    monkeypatch.setenv("WATTLENS_DB", f"sqlite:///{path}")
    with Store() as store:
        store.save(make_measurement())
    assert path.is_file()


def test_default_store_is_in_the_user_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATTLENS_DB")
    with Store() as store:
        store.save(make_measurement())
    # conftest points XDG_DATA_HOME into a temporary home.
    assert (Path(os.environ["XDG_DATA_HOME"]) / "wattlens" / "runs.sqlite").is_file()


def test_store_under_a_regular_file_names_the_location(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError) as info:
        Store(f"sqlite:///{blocker / 'runs.sqlite'}")
    assert str(blocker) in info.value.message
    assert info.value.hint is not None
    assert "WATTLENS_DB" in info.value.hint


def test_store_path_that_is_a_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=str(tmp_path)):
        Store(f"sqlite:///{tmp_path}")


def test_read_only_store_reads_but_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    with Store(f"sqlite:///{path}") as writable:
        writable.save(make_measurement("first"))
    with Store(f"sqlite:///file:{path}?mode=ro&uri=true") as read_only:
        assert read_only.get("first").run_id == "first"
        with pytest.raises(StoreError) as info:
            read_only.save(make_measurement("second"))
    assert str(path) in info.value.message
    assert "readonly" in info.value.message.replace("-", "").replace(" ", "")


@pytest.mark.parametrize("url", ["not a url", "://nothing"])
def test_invalid_url_is_a_store_error(url: str) -> None:
    with pytest.raises(StoreError, match="invalid run store URL"):
        Store(url)


def test_unknown_dialect_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="no SQLAlchemy dialect"):
        Store("nosuchdb://user@host/db")


def test_missing_driver_names_the_extra_to_install() -> None:
    import importlib.util

    if importlib.util.find_spec("psycopg") is not None:
        pytest.skip("psycopg is installed here, so the driver is not missing")
    with pytest.raises(StoreError) as info:
        Store("postgresql+psycopg://user:secret@db.example/wattlens")
    assert "db.example" in info.value.message
    assert "secret" not in str(info.value)
    assert info.value.hint is not None
    assert "wattlens[postgres]" in info.value.hint


def test_fast_sqlite_path_writes_what_store_reads(tmp_path: Path) -> None:
    """`wattlens run` writes with sqlite3; SQLAlchemy must read back the same run."""
    from wattlens.store import save, save_sqlite_fast

    url = f"sqlite:///{tmp_path / 'fast.sqlite'}"
    first = make_measurement(run_id="fast-1")
    # No file yet: the fast path declines and Store creates the schema.
    assert save_sqlite_fast(first, url) is False
    save(first, url)
    second = make_measurement(run_id="fast-2")
    assert save_sqlite_fast(second, url) is True
    with Store(url) as store:
        again = store.get("fast-2")
        assert again.to_dict() == second.to_dict()
        assert store.count() == 2
    # Saving the same id again replaces it, as Store.save does.
    assert save_sqlite_fast(second, url) is True
    with Store(url) as store:
        assert store.count() == 2
