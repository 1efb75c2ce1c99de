"""The dashboard tests' temporary run store, for the report commands."""

from __future__ import annotations

from tests.web.conftest import seeded

__all__ = ["seeded"]
