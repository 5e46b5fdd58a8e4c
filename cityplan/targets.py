"""A plan's targets as a table: one row per key, in the plan's order.

The targets themselves are data: ``conf/plan/<city>_<year>.yaml`` (the default is Huai'an
2023), read into :class:`cityplan.schema.PlanConfig`. Nothing here lists a target.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import pandas as pd

from cityplan.files import DEFAULT_PLAN, load_plan
from cityplan.schema import CITY, PlanConfig, plan_rows

TARGET_COLUMNS: tuple[str, ...] = ("target", "label_zh", "label_en", "unit", "goal", "direction")


@functools.cache
def default_plan() -> PlanConfig:
    """The default plan file (Huai'an 2023), for code that does not yet carry the run's plan.

    Read by :func:`cityplan.files.load_plan` (the one plan loader) from
    ``conf/plan/huaian_2023.yaml``; a run's own plan (``StudyConfig.plan``) is what the runner,
    the attainment table and the comparison use.
    """
    return load_plan(DEFAULT_PLAN)


def targets_frame(plan: PlanConfig | None = None) -> pd.DataFrame:
    """The plan's city-wide targets: target, label_zh, label_en, unit, goal, direction.

    ``plan`` None: the default plan file (:func:`default_plan`).
    """
    plan = plan if plan is not None else default_plan()
    rows = [(key, t.label_zh, t.label_en, t.unit, float(t.goal), t.direction) for key, t in plan.targets.items()]
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS))


def unit_targets_frame(plan: PlanConfig) -> pd.DataFrame:
    """Every counted row of the plan: the city's targets, then each unit's goals.

    Columns ``unit`` (the county, district or park key; ``city`` for the whole city),
    ``target``, labels, ``target_unit`` (the measurement unit: 个, 亿元, %), ``goal`` (the
    unit's own goal) and ``direction``.
    """
    city = targets_frame(plan).rename(columns={"unit": "target_unit"}).set_index("target")
    rows = [
        {"unit": r.unit, "target": r.target} | city.loc[r.target].to_dict() | {"goal": float(r.goal)}
        for r in plan_rows(plan)
    ]
    columns = ["unit", *(c if c != "unit" else "target_unit" for c in TARGET_COLUMNS)]
    return pd.DataFrame(rows, columns=columns)


class Goal(NamedTuple):
    """A target's goal and which way it points: ``at_least`` (reach it) or ``at_most`` (stay under)."""

    value: float
    direction: str = "at_least"

    def hits(self, values: np.ndarray) -> np.ndarray:
        """Whether each value attains the goal (:func:`attained`)."""
        return attained(np.asarray(values), self.value, self.direction)


def as_goal(goal: float | Goal) -> Goal:
    """A :class:`Goal`; a bare number is an ``at_least`` goal."""
    return goal if isinstance(goal, Goal) else Goal(float(goal))


def plan_goals(plan: PlanConfig | None = None) -> dict[str, Goal]:
    """Every city-wide target's :class:`Goal` in ``plan`` (None: the default plan file), in plan order."""
    specs = (plan if plan is not None else default_plan()).targets
    return {key: Goal(float(t.goal), t.direction) for key, t in specs.items()}


def goal_of(target: str, plan: PlanConfig | None = None) -> tuple[float, str]:
    """The goal of ``target`` and its direction (``at_least`` or ``at_most``) in ``plan``.

    ``plan`` None: the default plan file. Every caller that tests a value against a goal takes
    both from here and tests with :func:`attained`, so an ``at_most`` target is never read as
    ``at_least``.
    """
    spec = (plan if plan is not None else default_plan()).targets[target]
    return float(spec.goal), spec.direction


def attained(values: np.ndarray, goal: float, direction: str) -> np.ndarray:
    """Whether each value reaches the goal: ``>=`` for at_least, ``<=`` for at_most."""
    return values <= goal if direction == "at_most" else values >= goal


__all__ = [
    "CITY",
    "TARGET_COLUMNS",
    "Goal",
    "as_goal",
    "attained",
    "goal_of",
    "plan_goals",
    "targets_frame",
    "unit_targets_frame",
]
