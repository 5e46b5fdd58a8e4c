"""Experiments score against the plan in use (issue 24), with its directions.

The screen, the selection, the tuner and what-it-takes read the plan (keys and their order,
goals, directions; the run counts with its counting switches) from the composed study of their
cells, not from the default 2023 plan; cells composed with different plans are refused.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analysis.effects import TargetFit, rank_packages
from sim.experiments import select as select_module
from sim.experiments.cells import plan_of, target_index, year_end_values
from sim.experiments.screen import values_frame
from sim.experiments.select import CellSampler, select
from tests.helpers import HUAIAN_2023

SMOKE = ("run=smoke", "uncertainty=none")


def _with_direction(target: str, direction: str):
    spec = replace(HUAIAN_2023.targets[target], direction=direction)
    return replace(HUAIAN_2023, targets={**HUAIAN_2023.targets, target: spec})


def test_the_plan_comes_from_the_cells_composition() -> None:
    example = plan_of([*SMOKE, "plan=example_2024"])
    assert example.name == "example_2024"
    assert list(example.keys) != list(HUAIAN_2023.keys)
    assert target_index(example, list(example.keys)[2]) == 2
    with pytest.raises(ValueError, match="is not a target of plan 'example_2024'"):
        target_index(example, "no_such_target")
    tighter = plan_of([*SMOKE, "plan.targets.start_rate_same_year.goal=0.7"])
    assert tighter.targets["start_rate_same_year"].goal == pytest.approx(0.7)


def test_cells_of_another_plan_are_refused() -> None:
    cells = [[*SMOKE, "run.replications=1"], [*SMOKE, "run.replications=1", "plan=example_2024"]]
    with pytest.raises(ValueError, match=r"composed with another plan than 'huaian_2023'"):
        year_end_values(cells, 0, 1, plan=plan_of(cells[0]))
    values = year_end_values(cells[1:], 0, 1, plan=plan_of(cells[1]))
    assert values.shape[1] >= len(plan_of(cells[1]).keys)  # the example plan's rows, not 28


def test_values_frame_names_the_plans_targets() -> None:
    example = plan_of([*SMOKE, "plan=example_2024"])
    values = np.arange(2 * len(example.keys) * 3, dtype=float).reshape(2, len(example.keys), 3)
    frame = values_frame(["status_quo", "a"], values, "s", 1, 0, example)
    assert list(dict.fromkeys(frame["target"])) == list(example.keys)


@pytest.mark.parametrize(("direction", "best"), [("at_least", 1), ("at_most", 0)])
def test_selection_honours_the_goals_direction(direction: str, best: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ``at_most`` target: the lowest mean is best, and the table reports the values as they are."""
    plan = _with_direction("start_rate_same_year", direction)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.05, (2, 1000))

    def fake_values(cells, first, n, runner=None, plan=None):
        rows = len(HUAIAN_2023.keys)
        return np.stack([np.tile(0.3 + 0.2 * i + noise[i, first : first + n], (rows, 1)) for i in range(len(cells))])

    monkeypatch.setattr(select_module, "year_end_values", fake_values)
    sampler = CellSampler([["a"], ["b"]], "start_rate_same_year", runner=None, plan=plan)
    assert sampler.goal.direction == direction
    got = select(
        ["a", "b"],
        "start_rate_same_year",
        pcs=0.95,
        delta=0.05,
        n0=10,
        batch=5,
        max_replications=200,
        seed=1,
        scenario="huaian_2023",
        sampler=sampler,
    )
    table = got["selection"].table
    assert got["selection"].best == best
    assert table["mean"].iloc[0] == pytest.approx(0.3, abs=0.05)
    assert (table["ci_low"] <= table["mean"]).all()


def test_packages_rank_lowest_first_for_an_at_most_goal() -> None:
    coef = np.array([[1.0, 2.0, -1.0, 0.0]])
    for direction, first in (("at_least", "a"), ("at_most", "b")):
        fit = TargetFit("t", 1.0, direction, coef, np.zeros(4), np.zeros((1, 4)))
        ranked = rank_packages(fit, ["a", "b"])
        assert ranked["package"].iloc[0] == first
        assert isinstance(ranked, pd.DataFrame)


def test_the_budget_and_discovery_read_the_runs_own_plan(tmp_path) -> None:
    """A run's attainment.csv carries its plan's goals and directions; the default plan is only a fallback."""
    from analysis.report.budget import goals, run_targets

    table = pd.DataFrame(
        {
            "scenario": "s",
            "policy": "p",
            "target": ["only_target"],
            "label_zh": ["唯一目标"],
            "label_en": ["The only target"],
            "unit": ["个"],
            "goal": [5.0],
            "direction": ["at_most"],
            "p_attain": [0.5],
        }
    )
    table.to_csv(tmp_path / "attainment.csv", index=False, encoding="utf-8-sig")
    assert goals(tmp_path) == {"only_target": (5.0, "at_most")}
    assert run_targets(tmp_path)["label_en"].tolist() == ["The only target"]
    assert list(goals(tmp_path / "elsewhere")) == list(HUAIAN_2023.keys)
