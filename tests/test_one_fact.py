"""One fact in one place (issue 21): the copies that had drifted now share one definition.

- A goal's direction: selection and the screen's attainment model read ``at_most`` as "stay at
  or under the goal" (both had tested ``>= goal`` whatever the plan said).
- The counting switches: the analyses' re-count of a run reads every ``definitions.*`` switch
  the run used (``unit_ranking.run_window`` had dropped four of them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import numpy as np

from analysis.effects import fit_target
from analysis.unit_ranking import run_window
from cityplan.counting import COUNTING_SETTINGS, KpiWindow
from cityplan.targets import Goal, attained, goal_of
from sim.config.study import StudyConfig, kpi_window
from sim.experiments.select import cheapest_feasible
from tests.helpers import HUAIAN_2023


class FixedSampler:
    """Year-end values per cell that do not depend on the replication (a deterministic sampler)."""

    per_draw = 1

    def __init__(self, values: list[float]) -> None:
        self.values = values

    def first_of_draws(self, cells: list[int], first: int, n: int) -> np.ndarray:
        return np.array([[self.values[c]] * n for c in cells])


def test_selection_reads_an_at_most_goal_as_stay_at_or_under() -> None:
    sampler = FixedSampler([5.0, 15.0])  # cell 0 stays under 10, cell 1 is above
    common = {"p_star": 0.5, "pcs": 0.9, "batch": 10, "max_replications": 60, "first_replication": 0}
    at_most = cheapest_feasible(
        sampler,
        ["low", "high"],
        [1, 0],
        "t",
        cost=[1.0, 2.0],
        goal=Goal(10.0, "at_most"),
        **common,  # type: ignore[arg-type]
    )
    status = dict(zip(at_most["cell"], at_most["status"], strict=True))
    assert status == {"high": "infeasible", "low": "feasible"}
    at_least = cheapest_feasible(
        sampler,
        ["low", "high"],
        [1, 0],
        "t",
        cost=[1.0, 2.0],
        goal=Goal(10.0, "at_least"),
        **common,  # type: ignore[arg-type]
    )
    assert dict(zip(at_least["cell"], at_least["status"], strict=True))["high"] == "feasible"


def test_the_plans_goal_carries_its_direction() -> None:
    key = next(iter(HUAIAN_2023.targets))
    goal, direction = goal_of(key, HUAIAN_2023)
    assert (goal, direction) == (float(HUAIAN_2023.targets[key].goal), HUAIAN_2023.targets[key].direction)
    assert Goal(10.0, "at_most").hits(np.array([9.0, 10.0, 11.0])).tolist() == [True, True, False]


def test_the_screens_attainment_model_honours_at_most() -> None:
    rng = np.random.default_rng(3)
    design = np.array([[s1, s2] for s1 in (-1.0, 1.0) for s2 in (-1.0, 1.0)])
    values = 10.0 + 3.0 * design[:, :1] + rng.standard_normal((4, 40))  # lever 1 raises the value
    up = fit_target("t", 10.0, design, values, seed=0, direction="at_least")
    down = fit_target("t", 10.0, design, values, seed=0, direction="at_most")
    assert up.direction == "at_least"
    assert down.direction == "at_most"
    # raising the value helps an at_least goal and hurts an at_most goal: lever 1's main effect flips sign
    assert up.attain_full[1] > 0 > down.attain_full[1]
    assert attained(values, 10.0, "at_most").mean() == (values <= 10.0).mean()


def test_a_recount_reads_every_counting_switch_the_run_used(study: Callable[..., StudyConfig]) -> None:
    cfg = study(
        "definitions.parks_share_scope=all_sectors",
        "definitions.retrofit_count=in_progress",
        "definitions.retrofit_amount=spent",
        "definitions.industrial_investment_with_retrofits=false",
    )
    recount = run_window(asdict(cfg))  # the run's .hydra/config.yaml holds the same tree
    assert recount == kpi_window(cfg)
    defaults = KpiWindow(
        year_start_day=0.0,
        cutoff_days=(),
        cny_per_usd=1.0,
        spend_realisation_share=1.0,
        spend_curve_a=1.0,
        spend_curve_b=1.0,
    )
    for name in ("parks_share_scope", "retrofit_count", "retrofit_amount", "industrial_investment_with_retrofits"):
        assert name in COUNTING_SETTINGS
        assert getattr(recount, name) != getattr(defaults, name), name
