"""Compose a study from ``conf/`` with Hydra: the boundary where YAML becomes typed config.

The entry point (:mod:`sim.__main__`) and every caller that needs the study ``python -m sim
<overrides>`` would run (tests, the bench, :mod:`sim.experiments.cells`) go through here, so
group choices, validation and the no-lever baseline are done one way. With
:mod:`sim.__main__` this is the only module that imports Hydra.

The no-lever baseline model (the regime before the campaign launch) takes as long to compose
as the study; cells of a sweep, a screen or a test module that differ only in their levers
share it, so it is composed once per process and overrides and each caller gets its own copy.
It is cached here, not in :mod:`sim.__main__`: a launcher that pickles the entry point's
functions by name (joblib) must not meet a cached wrapper there.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import replace
from pathlib import Path
from typing import Any

from hydra import compose
from hydra.core.config_store import ConfigStore
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf

from cityplan.files import to_validated
from sim.config.model import ModelConfig
from sim.config.study import StudyConfig

__all__ = ["HydraException", "compose_study", "composed_model", "finish_study", "group_choices", "to_study"]

ConfigStore.instance().store(name="study_schema", node=StudyConfig)


def choice_label(value: Any) -> str:
    """Name a Hydra group choice; a multi-select ``[a,b]`` becomes ``a+b``."""
    if isinstance(value, list | tuple):
        return "+".join(str(v) for v in value) or "none"
    text = str(value).strip("[]").replace(" ", "").replace("'", "")
    return text.replace(",", "+") or "none"


def group_choices(hydra_cfg: Any) -> dict[str, Any]:
    """Scenario and policy chosen for this job.

    Hydra records single choices in ``runtime.choices`` but not multi-select lists such as
    ``policy=[a,b]``; those are read back from the job's overrides.
    """
    choices = {k: v for k, v in dict(hydra_cfg.runtime.choices).items() if k in ("scenario", "policy")}
    what_if = []
    for override in hydra_cfg.overrides.task:
        key, _, value = str(override).partition("=")
        key = key.lstrip("+~")
        if key in ("scenario", "policy"):
            choices[key] = value
        elif key.startswith(("model.", "plan.targets.", "plan.units.")) or key in ("campaign_launch", "plan"):
            what_if.append(f"{key.removeprefix('model.').removeprefix('plan.targets.')}={value}")
    if what_if:  # a what-if sweep: each value is its own cell
        choices["what_if"] = ",".join(what_if)
    return choices


def baseline_overrides(task_overrides: list[str]) -> list[str]:
    """The job's overrides with the policy replaced by ``status_quo`` (no levers)."""
    kept = [o for o in task_overrides if o.partition("=")[0].lstrip("+~") != "policy"]
    return [*kept, "policy=status_quo"]


def compose_baseline(task_overrides: list[str]) -> ModelConfig:
    """Compose the same scenario without levers (the regime before the campaign launch).

    Composed once per process and overrides (below): cells that differ only in
    their levers share it.
    """
    return composed_model(baseline_overrides(task_overrides))


def to_study(cfg: DictConfig, choices: dict[str, Any]) -> StudyConfig:
    """Validate the composed config into a :class:`StudyConfig` (raises ConfigError)."""
    study = to_validated(cfg)
    assert isinstance(study, StudyConfig)
    return replace(
        study,
        scenario_name=choice_label(choices.get("scenario", study.scenario_name))
        + (f"[{choices['what_if']}]" if "what_if" in choices else ""),
        policy_name=choice_label(choices.get("policy", study.policy_name)),
    )


def finish_study(study: StudyConfig, task_overrides: list[str]) -> StudyConfig:
    """Add what composition cannot: the no-lever baseline model, and priors the user pinned."""
    from sim.run.parameters import pin_overrides

    study = replace(study, baseline_model=compose_baseline(task_overrides))
    return pin_overrides(study, task_overrides)


def compose_study(overrides: list[str]) -> StudyConfig:
    """The validated StudyConfig that ``python -m sim <overrides>`` would run (for tests, bench).

    Uses Hydra's compose API on ``conf/`` and the same steps as :func:`main`: group choices,
    validation, and the baseline (no-lever) model for the warm-up.
    """
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import open_dict

    conf = Path(__file__).resolve().parents[1] / "conf"
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides, return_hydra_config=True)
        choices = group_choices(cfg.hydra)
        with open_dict(cfg):
            del cfg["hydra"]
        study = to_study(cfg, choices)
        return finish_study(study, overrides)


BASELINE_CACHE_SIZE = 256  # distinct override lists kept (a model is a few kB)


def composed_model(overrides: list[str]) -> ModelConfig:
    """The validated ``model`` of ``conf/`` composed with ``overrides`` (a private copy).

    Needs Hydra initialised on ``conf/`` (the entry point, or :func:`compose_study`).
    """
    return copy.deepcopy(_composed_model(tuple(overrides)))


@functools.lru_cache(maxsize=BASELINE_CACHE_SIZE)
def _composed_model(overrides: tuple[str, ...]) -> ModelConfig:
    cfg = compose(config_name="config", overrides=list(overrides))
    model = OmegaConf.to_object(cfg.model)
    assert isinstance(model, ModelConfig)
    return model
