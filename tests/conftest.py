"""Shared fixtures: compose Hydra configs the way the CLI does, and small runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import open_dict

from sim.__main__ import compose_baseline, group_choices, to_study
from sim.config import StudyConfig

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"


def compose_study(overrides: list[str] | None = None) -> StudyConfig:
    """Compose conf/ with ``overrides`` and validate it into a StudyConfig (like the CLI)."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides or [], return_hydra_config=True)
        choices = group_choices(cfg.hydra)
        with open_dict(cfg):
            del cfg["hydra"]
        study = to_study(cfg, choices)
        return replace(study, baseline_model=compose_baseline(overrides or []))


@pytest.fixture
def study() -> Callable[..., StudyConfig]:
    """Factory: ``study("policy=status_quo", ...)`` -> validated StudyConfig (smoke run)."""

    def make(*overrides: str) -> StudyConfig:
        return compose_study(["run=smoke", *overrides])

    return make
