"""Counter wrap-around: the pure rule, the accumulator, the read-interval bound."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wattlens.sensors.wrap import WrapAccumulator, max_read_interval_s, unwrap_delta


def test_no_wrap_is_plain_difference() -> None:
    assert unwrap_delta(100, 350, 1000) == 250


def test_one_wrap_adds_the_range() -> None:
    # 900 -> (wrap at 1000) -> 150: 100 to the top plus 150 after it.
    assert unwrap_delta(900, 150, 1000) == 250


def test_non_wrapping_counter_reset_counts_from_zero() -> None:
    # NVML's counter restarts at 0 on driver reload: what follows the reset is the energy.
    assert unwrap_delta(5_000, 120, None) == 120


@pytest.mark.parametrize(
    ("previous", "current", "max_range"), [(-1, 5, 10), (5, 11, 10), (1, 2, 0)]
)
def test_out_of_range_values_are_rejected(previous: int, current: int, max_range: int) -> None:
    with pytest.raises(ValueError, match=r"\d"):
        unwrap_delta(previous, current, max_range)


@given(
    max_range=st.integers(min_value=1, max_value=2**40),
    start_fraction=st.floats(min_value=0, max_value=1, exclude_max=True),
    steps=st.lists(st.floats(min_value=0, max_value=1, exclude_max=True), max_size=50),
)
def test_cumulative_equals_true_total_when_each_step_is_below_the_range(
    max_range: int, start_fraction: float, steps: list[float]
) -> None:
    start = int(start_fraction * max_range)
    acc = WrapAccumulator(max_range)
    assert acc.update(start) == start
    true_total = start
    raw = start
    previous_out = start
    for fraction in steps:
        step = int(fraction * max_range)  # strictly below one wrap period
        true_total += step
        raw = (raw + step) % max_range
        out = acc.update(raw)
        assert out == true_total
        assert out >= previous_out
        previous_out = out


@given(
    max_range=st.integers(min_value=2, max_value=10**6),
    wraps=st.integers(min_value=2, max_value=5),
)
def test_several_wraps_between_reads_are_undetectable(max_range: int, wraps: int) -> None:
    # The documented limit: k full wraps plus a remainder read as the remainder only.
    acc = WrapAccumulator(max_range)
    acc.update(0)
    assert acc.update(1) == 1  # the true total was wraps * max_range + 1
    assert acc.total == 1 < wraps * max_range + 1


def test_max_read_interval_from_range_and_power() -> None:
    # 262143328850 µJ at 350 W: 262143.32885 J / 350 W = 748.98 s (12.5 minutes).
    assert max_read_interval_s(262_143_328_850, 350) == pytest.approx(748.98094, rel=1e-6)
    # A 65.5 kJ DRAM/AMD range at 300 W wraps in about 218 s.
    assert max_read_interval_s(65_532_610_987, 300) == pytest.approx(218.44204, rel=1e-6)
    with pytest.raises(ValueError, match="> 0"):
        max_read_interval_s(1_000, 0)
