"""Compose a study exactly as ``python -m sim`` does (Hydra compose API, then validate)."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import open_dict

from sim.__main__ import group_choices, to_study
from sim.config import StudyConfig

CONF = Path(__file__).resolve().parents[1] / "conf"


def compose_study(overrides: list[str]) -> StudyConfig:
    """The validated StudyConfig of ``python -m sim <overrides>``."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides, return_hydra_config=True)
        choices = group_choices(cfg.hydra)
        with open_dict(cfg):
            del cfg["hydra"]
        return to_study(cfg, choices)
