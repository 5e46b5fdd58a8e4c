"""The no-lever baseline model of a composition, composed once per process and overrides.

Every study needs the model of its scenario without levers (the regime before the campaign
launch); composing it takes as long as composing the study. Cells of a sweep, a screen or a
test module that differ only in their levers share that baseline, so it is composed once per
process (Hydra's config directory is ``conf/`` in every caller) and each caller gets its own
copy. It lives outside ``sim/__main__.py``: a launcher that pickles the entry point's
functions by name (joblib) must not meet a cached wrapper there.
"""

from __future__ import annotations

import copy
import functools

from hydra import compose
from omegaconf import OmegaConf

from sim.config import ModelConfig

BASELINE_CACHE_SIZE = 256  # distinct override lists kept (a model is a few kB)


def composed_model(overrides: list[str]) -> ModelConfig:
    """The validated ``model`` of ``conf/`` composed with ``overrides`` (a private copy).

    Needs Hydra initialised on ``conf/`` (the entry point, or :func:`sim.__main__.compose_study`).
    """
    return copy.deepcopy(_composed_model(tuple(overrides)))


@functools.lru_cache(maxsize=BASELINE_CACHE_SIZE)
def _composed_model(overrides: tuple[str, ...]) -> ModelConfig:
    cfg = compose(config_name="config", overrides=list(overrides))
    model = OmegaConf.to_object(cfg.model)
    assert isinstance(model, ModelConfig)
    return model
