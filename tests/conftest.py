"""Shared fixtures: compose Hydra configs the way the CLI does, and small runs."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from cityplan.errors import ConfigError
from sim.compose import compose_study as _compose
from sim.config.study import StudyConfig

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"

# Fields of ``run`` the entry point passes to the runner untouched: no group choice, cell name,
# pinned prior or derived field depends on them, and RunConfig / StudyConfig validate them
# in __post_init__. A test that varies only these derives its study from the composed one with
# dataclasses.replace (Hydra's compose takes ~0.6 s); a value the dataclasses refuse is composed
# after all, so every error a test sees comes from the CLI's own path.
PASS_THROUGH_RUN_FIELDS: dict[str, type] = {
    "replications": int,
    "seed": int,
    "jobs": int,
    "chunk_size": int,
    "keep_ledgers": int,
    "progress": bool,
    "resume": bool,
}


def _parse(kind: type, text: str) -> object | None:
    """``text`` as Hydra would read it for a field of type ``kind``, or None when unsure."""
    if kind is bool:
        return {"true": True, "false": False}.get(text.lower())
    return int(text) if text.lstrip("-").isdigit() else None


def _split(overrides: list[str]) -> tuple[list[str], dict[str, object]]:
    """Overrides Hydra must compose, and pass-through ``run`` fields with their values."""
    composed, run_fields = [], {}
    for override in overrides:
        key, _, text = override.partition("=")
        name = key.removeprefix("run.")
        value = (
            _parse(PASS_THROUGH_RUN_FIELDS[name], text)
            if key.startswith("run.") and name in PASS_THROUGH_RUN_FIELDS
            else None
        )
        if value is None:
            composed.append(override)
        else:
            run_fields[name] = value
    return composed, run_fields


@functools.lru_cache(maxsize=128)
def _composed(overrides: tuple[str, ...]) -> StudyConfig:
    return _compose(list(overrides))


def compose_study(overrides: list[str] | None = None) -> StudyConfig:
    """Compose conf/ with ``overrides`` and validate it into a StudyConfig (like the CLI).

    Each distinct composition runs once per test process; callers get their own copy.
    """
    composed, run_fields = _split(list(overrides or []))
    study = copy.deepcopy(_composed(tuple(composed)))
    if not run_fields:
        return study
    try:
        return replace(study, run=replace(study.run, **run_fields))  # type: ignore[arg-type]
    except ConfigError:  # let the CLI's path raise it
        return _compose(list(overrides or []))


@pytest.fixture
def study() -> Callable[..., StudyConfig]:
    """Factory: ``study("policy=status_quo", ...)`` -> validated StudyConfig (smoke run)."""

    def make(*overrides: str) -> StudyConfig:
        return compose_study(["run=smoke", *overrides])

    return make
