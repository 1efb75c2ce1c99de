"""The rig fixture: one backend per parameter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sensors.conformance.rigs import BUILDERS, Rig


@pytest.fixture(params=sorted(BUILDERS))
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    built = BUILDERS[request.param](tmp_path)
    yield built
    for close in built.closers:
        close()
