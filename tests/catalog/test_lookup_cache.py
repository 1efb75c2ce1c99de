"""Look-ups are resolved once per catalog and answer the same every time."""

from __future__ import annotations

import pytest

from wattlens.catalog import Catalog
from wattlens.errors import AmbiguousNameError, UnknownNameError


def _fresh() -> Catalog:
    return Catalog(user_dir=False)


def test_a_repeated_lookup_gives_the_same_row() -> None:
    catalog = _fresh()
    first = catalog.get("accelerators", "H100 SXM")
    assert catalog.get("accelerators", "H100 SXM") is first
    assert catalog.get("accelerators", "h100-sxm").id == first.id


def test_a_repeated_miss_raises_the_same_error_each_time() -> None:
    catalog = _fresh()
    errors = []
    for _ in range(2):
        with pytest.raises(UnknownNameError) as info:
            catalog.get("accelerators", "H1000 SXM")
        errors.append(info.value)
    assert errors[0] is not errors[1]  # a new exception each time, no stale traceback
    assert str(errors[0]) == str(errors[1])
    assert errors[0].suggestions == errors[1].suggestions
    assert errors[0].suggestions, "a miss lists the closest names"
    assert errors[1].name == "H1000 SXM"


def test_a_repeated_ambiguous_name_lists_its_candidates_each_time() -> None:
    catalog = _fresh()
    for _ in range(2):
        with pytest.raises(AmbiguousNameError) as info:
            catalog.get("accelerators", "a100")
        assert len(info.value.candidates) >= 2


def test_an_unknown_kind_is_named_as_a_kind_every_time() -> None:
    catalog = _fresh()
    for _ in range(2):
        with pytest.raises(UnknownNameError, match="unknown catalog kind name 'acelerators'"):
            catalog.get("acelerators", "H100 SXM")


def test_rows_are_a_copy_the_caller_may_change() -> None:
    catalog = _fresh()
    rows = catalog.rows("pue")
    count = len(rows)
    rows.clear()
    assert len(catalog.rows("pue")) == count > 0


def test_derived_facts_are_built_once_per_catalog() -> None:
    catalog = _fresh()
    built: list[int] = []

    def build() -> int:
        built.append(1)
        return 42

    assert catalog.derived(("answer",), build) == 42
    assert catalog.derived(("answer",), build) == 42
    assert built == [1]
    assert _fresh().derived(("answer",), lambda: 7) == 7  # another catalog, its own facts


def test_a_failed_build_is_not_kept() -> None:
    catalog = _fresh()

    def broken() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        catalog.derived(("flaky",), broken)
    assert catalog.derived(("flaky",), lambda: 1) == 1
