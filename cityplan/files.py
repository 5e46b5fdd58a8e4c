"""Read a plan file (``conf/plan/<name>.yaml``) without Hydra, for tests, bench and tools.

``python -m sim`` composes the plan through Hydra's ``plan`` group; this reads the same file
into the same validated :class:`cityplan.schema.PlanConfig` (unknown keys and bad words
raise before anything runs).
"""

from __future__ import annotations

from collections.abc import Iterable
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
    field, the value and what is allowed) is what a user should read. A key the schema does not
    have is refused first (:func:`check_keys`).
    """
    check_keys(node)
    try:
        return OmegaConf.to_object(node)
    except ConfigError:
        raise
    except Exception as err:
        cause = err.__cause__ or err.__context__
        if isinstance(cause, ConfigError):
            raise cause from None
        raise ConfigError(str(err)) from None


def check_keys(node: Any, where: str = "") -> None:
    """Refuse a key the dataclass schema lacks (ConfigError naming it, the class and the fields).

    Hydra's ``+key=value`` adds a key even to a structured config (it opens the struct flag),
    and ``OmegaConf.to_object`` then drops it without a word: ``+model.land.quota_mu_per_yr=5``
    ran the default quota. Every mapping node typed by a dataclass is checked, recursively.
    """
    import dataclasses
    import difflib

    from omegaconf import DictConfig, ListConfig

    if isinstance(node, DictConfig):
        kind = OmegaConf.get_type(node)
        if kind is not None and dataclasses.is_dataclass(kind):
            fields = [f.name for f in dataclasses.fields(kind)]
            for raw_key in node:
                key = str(raw_key)
                if key not in fields:
                    name = f"{where}.{key}" if where else key
                    close = difflib.get_close_matches(key, fields, n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise ConfigError(
                        f"config key '{name}' is not a field of {kind.__name__}: expected one of {', '.join(fields)}"
                        f"{hint}"
                    )
        for raw in node:
            key = str(raw)
            if not OmegaConf.is_missing(node, key) and not OmegaConf.is_interpolation(node, key):
                check_keys(node._get_node(key), f"{where}.{key}" if where else key)
    elif isinstance(node, ListConfig):
        for i in range(len(node)):
            if not OmegaConf.is_missing(node, i):
                check_keys(node._get_node(i), f"{where}[{i}]")


def refuse_overwrite(
    paths: Iterable[str | Path], *, force: bool = False, hint: str = "choose another --out or pass --force"
) -> None:
    """Raise FileExistsError naming the first of ``paths`` that exists, unless ``force``.

    No command writes over a file it did not create in that run (issue 24): an output name that
    exists is someone's file (an earlier result, or an input ledger given as ``--out``).
    """
    if force:
        return
    for path in paths:
        if Path(path).exists():
            raise FileExistsError(f"{path} exists and this run did not write it; {hint}")
