"""Read a plan file (``conf/plan/<name>.yaml``) without Hydra, for tests, bench and tools.

``python -m sim`` composes the plan through Hydra's ``plan`` group; this reads the same file
into the same validated :class:`cityplan.schema.PlanConfig` (unknown keys and bad words
raise before anything runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from cityplan.errors import ConfigError
from cityplan.schema import PlanConfig

PLAN_DIR = Path(__file__).resolve().parents[1] / "conf" / "plan"
DEFAULT_PLAN = "huaian_2023"


def load_plan(name: str | Path = DEFAULT_PLAN) -> PlanConfig:
    """The validated plan of ``conf/plan/<name>.yaml`` (or of a path to a YAML file)."""
    path = Path(name) if str(name).endswith((".yaml", ".yml")) else PLAN_DIR / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in PLAN_DIR.glob("*.yaml")))
        raise ConfigError(f"config field 'plan' = {str(name)!r} is not allowed: expected one of {known} or a YAML file")
    try:
        merged = OmegaConf.merge(OmegaConf.structured(PlanConfig), OmegaConf.load(path))
    except Exception as err:  # a YAML error (e.g. a duplicate key) or a key not in the schema
        raise ConfigError(f"plan file {path}: {err}") from None
    plan = to_validated(merged)
    assert isinstance(plan, PlanConfig)
    return plan


def to_validated(node: Any) -> Any:
    """``OmegaConf.to_object``: the dataclasses, checked; their ConfigError surfaces as itself.

    OmegaConf wraps an error raised while building a dataclass; the ConfigError inside (the
    field, the value and what is allowed) is what a user should read.
    """
    try:
        return OmegaConf.to_object(node)
    except ConfigError:
        raise
    except Exception as err:
        cause = err.__cause__ or err.__context__
        if isinstance(cause, ConfigError):
            raise cause from None
        raise ConfigError(str(err)) from None
