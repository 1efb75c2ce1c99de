"""Run ids: random, 32 hex digits, told apart by their 8-character short form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.store.test_store import make_measurement
from wattlens.store import AmbiguousRunIdError, RunNotFoundError, Store, new_run_id, short_id
from wattlens.store.ids import SHORT_ID_LENGTH


def test_ids_are_32_lowercase_hex_digits() -> None:
    for _ in range(100):
        assert re.fullmatch(r"[0-9a-f]{32}", new_run_id())


def test_ids_made_back_to_back_differ_in_their_short_form() -> None:
    """Ids made within one millisecond used to share their first 12 characters."""
    ids = [new_run_id() for _ in range(200)]
    # 200 random 32-bit short forms collide with probability 200·199/2 / 16⁸ ≈ 5e-6.
    assert len({short_id(i) for i in ids}) == len(ids)
    assert all(len(short_id(i)) == SHORT_ID_LENGTH == 8 for i in ids)


def test_short_form_is_random_in_every_digit() -> None:
    """No digit of the short form is fixed (a timestamp prefix would fix the leading ones)."""
    ids = [new_run_id() for _ in range(400)]
    for position in range(SHORT_ID_LENGTH):
        # Each of 16 digits is missed by 400 draws with probability 16·(15/16)⁴⁰⁰ ≈ 1e-10.
        assert {i[position] for i in ids} == set("0123456789abcdef")


def test_runs_saved_in_one_second_resolve_by_their_short_id(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    runs = [
        make_measurement(new_run_id(), started_at="2026-03-01T12:00:00.000+00:00")
        for _ in range(20)
    ]
    with Store(url) as store:
        for m in runs:
            store.save(m)
        for m in runs:
            assert store.resolve(short_id(m.run_id)) == m.run_id
            assert store.get(short_id(m.run_id)).run_id == m.run_id


def test_any_unique_prefix_resolves_and_a_shared_one_lists_the_candidates(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    ids = ["3f2a0000" + "0" * 24, "3f2a9999" + "0" * 24, "77" + "1" * 30]
    with Store(url) as store:
        for run_id in ids:
            store.save(make_measurement(run_id))
        assert store.resolve("7") == ids[2]
        assert store.resolve("3f2a9") == ids[1]
        with pytest.raises(AmbiguousRunIdError) as info:
            store.resolve("3f2a")
        assert info.value.matches == ids[:2]
        assert info.value.hint is not None
        assert ids[0] in info.value.hint
        assert ids[1] in info.value.hint
        with pytest.raises(RunNotFoundError):
            store.resolve("3f2b")


def test_windows_of_one_meter_in_one_instant_get_distinct_short_ids() -> None:
    from wattlens.meter import Meter
    from wattlens.sensors.fake import FakeSensor

    meter = Meter([FakeSensor({"gpu:0": 100.0})], timeline=False)
    try:
        for name in ("a", "b", "c"):
            meter.begin(name)
        results = [meter.end(name) for name in ("a", "b", "c")]
    finally:
        meter.close()
    assert len({short_id(m.run_id) for m in results}) == 3
