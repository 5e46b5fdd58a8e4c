"""Typed configuration schema for gongjian.

Hydra composes YAML from ``conf/`` and ``scenarios/`` into these dataclasses; the entry
point calls ``OmegaConf.to_object`` so every ``__post_init__`` runs once, at the boundary.
``__post_init__`` only *checks* and raises :class:`ConfigError` naming the field, the value
and what is allowed; it never changes a value. Code below ``sim/__main__.py`` sees only
these dataclasses, never a ``DictConfig``.

Every default is an assumption with a unit in its name. The comment above each field says
where it came from: ``calibration.md §x`` (published evidence), ``plan`` (the 2023 plan
text, ``shared/seed``), or ``assumption`` (judgement, to be calibrated; issue 7).

The schema is split by chapter, in the order a reader meets them:

- :mod:`sim.config.checks` -- validators and unit constants;
- :mod:`sim.config.demand` -- leads, campaign events, signing targets, attraction (招商);
- :mod:`sim.config.steps` -- the lifecycle steps, appraisal to retrofit, in order;
- :mod:`sim.config.model` -- :class:`ModelConfig`, the steps together and their cross-checks;
- :mod:`sim.config.run` -- :class:`RunConfig`: replications, seed, years, backends;
- :mod:`sim.config.priors` -- uncertain inputs (:class:`Prior`) and the field paths they name;
- :mod:`sim.config.study` -- :class:`StudyConfig`: one scenario x policy cell, and the views
  derived from it (its calendar, its KPI window).

This package face re-exports the classes a caller composes (``from sim.config import
StudyConfig``); modules inside ``sim`` import the chapter they need.
"""

from sim.config.checks import DAYS_PER_YEAR, MONTHS_PER_YEAR
from sim.config.demand import AttractionConfig, CampaignEvent, DemandConfig, SigningTarget
from sim.config.model import ModelConfig
from sim.config.priors import Prior, UncertaintyConfig
from sim.config.run import RunConfig
from sim.config.study import DefinitionsConfig, NowcastConfig, StudyConfig, calendar_of, kpi_window

__all__ = [
    "DAYS_PER_YEAR",
    "MONTHS_PER_YEAR",
    "AttractionConfig",
    "CampaignEvent",
    "DefinitionsConfig",
    "DemandConfig",
    "ModelConfig",
    "NowcastConfig",
    "Prior",
    "RunConfig",
    "SigningTarget",
    "StudyConfig",
    "UncertaintyConfig",
    "calendar_of",
    "kpi_window",
]
