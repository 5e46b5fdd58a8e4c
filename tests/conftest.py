"""Shared fixtures: compose Hydra configs the way the CLI does, and small runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sim.__main__ import compose_study as _compose
from sim.config import StudyConfig

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"


def compose_study(overrides: list[str] | None = None) -> StudyConfig:
    """Compose conf/ with ``overrides`` and validate it into a StudyConfig (like the CLI)."""
    return _compose(list(overrides or []))


@pytest.fixture
def study() -> Callable[..., StudyConfig]:
    """Factory: ``study("policy=status_quo", ...)`` -> validated StudyConfig (smoke run)."""

    def make(*overrides: str) -> StudyConfig:
        return compose_study(["run=smoke", *overrides])

    return make
