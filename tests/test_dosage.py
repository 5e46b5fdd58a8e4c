"""Each service reform is a dosage on common random numbers (issue 23, items 3 and 8).

Paired on the same leads: the plan's level against 2022's (the status quo) moves every
project the way the reform says and only the projects that take it up; an uptake share equal
to 2022's reproduces the status quo exactly; a larger share only adds projects.
"""

from __future__ import annotations

import functools
from dataclasses import fields, replace

import numpy as np
import pandas as pd
import pytest

from cityplan.calendar import Calendar
from cityplan.schema import SECTORS
from sim.config.model import ModelConfig
from sim.config.uptake import UPTAKE_LEVERS, Dosage
from sim.model.leads import Leads, draw_leads
from sim.model.project_plan import ProjectPlan, plan_projects, takes_up
from sim.run.rng import STREAMS, replication_streams
from sim.run.study import run_study
from tests.conftest import compose_study


@functools.cache
def leads() -> Leads:
    """One replication's candidate leads, 2021-2023 (default demand)."""
    model = ModelConfig()
    return draw_leads(model.demand, Calendar(2021, 2023), replication_streams(7, 0), model.attraction)


def at_plan_level(model: ModelConfig, *levers: str, **changes: float) -> ModelConfig:
    """``model`` with ``levers`` at the plan's level (and their Dosage fields changed)."""
    uptake = model.uptake
    for lever in levers:
        uptake = replace(uptake, **{lever: replace(getattr(uptake, lever), plan_level=True, **changes)})
    return replace(model, uptake=uptake)


def plans(*levers: str) -> tuple[ProjectPlan, ProjectPlan, ModelConfig]:
    """Plans of the same leads at 2022's level and with ``levers`` at the plan's."""
    base = ModelConfig()
    return plan_projects(leads(), base), plan_projects(leads(), at_plan_level(base, *levers)), base


def taking_up(model: ModelConfig, lever: str) -> np.ndarray:
    needs_land = plan_projects(leads(), model).land_mu > 0
    return takes_up(getattr(model.uptake, lever), leads(), lever, needs_land)


def test_the_uptake_stream_is_appended_last() -> None:
    """A new source of randomness comes last, so every earlier stream keeps its draws."""
    assert STREAMS[-1] == "uptake"
    assert leads().uptake_u.shape == (len(UPTAKE_LEVERS), len(leads()))


@pytest.mark.parametrize("lever", UPTAKE_LEVERS)
def test_a_plan_share_equal_to_2022s_is_the_status_quo_exactly(lever: str) -> None:
    base = ModelConfig()
    same = at_plan_level(base, lever, plan_share=getattr(base.uptake, lever).status_quo_share)
    a, b = plan_projects(leads(), base), plan_projects(leads(), same)
    for f in fields(ProjectPlan):
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name), err_msg=f.name)


@pytest.mark.parametrize("lever", UPTAKE_LEVERS)
def test_a_larger_share_only_adds_projects(lever: str) -> None:
    """Common random numbers: a project taking a reform up at 40% also takes it up at 80%."""
    base = ModelConfig()
    at = {s: taking_up(at_plan_level(base, lever, plan_share=s), lever) for s in (0.0, 0.4, 0.8)}
    assert not (at[0.4] & ~at[0.8]).any()
    assert at[0.8].sum() > at[0.4].sum() > at[0.0].sum()


def test_who_is_eligible_for_ready_to_build() -> None:
    """拿地即开工: industrial projects from 1亿 that take new land; the city major projects always."""
    base = ModelConfig()
    everyone = at_plan_level(base, "parallel_with_land", plan_share=1.0)
    land = plan_projects(leads(), base).land_mu > 0
    size, industrial = leads().investment_yi, leads().sector == SECTORS.index("industrial")
    np.testing.assert_array_equal(taking_up(everyone, "parallel_with_land"), industrial & land & (size >= 1.0))
    nobody = at_plan_level(base, "parallel_with_land", plan_share=0.0)
    np.testing.assert_array_equal(taking_up(nobody, "parallel_with_land"), industrial & land & (size >= 10.0))


def test_2022_takes_ready_to_build_up_at_the_recorded_level() -> None:
    """2022: a minority of the ordinary projects (§2.2), every city major project (§9)."""
    base = ModelConfig()
    up = taking_up(base, "parallel_with_land")
    size = leads().investment_yi
    eligible = taking_up(at_plan_level(base, "parallel_with_land", plan_share=1.0), "parallel_with_land")
    ordinary = eligible & (size < 10.0)
    assert up[eligible & (size >= 10.0)].all()
    assert 0.15 < up[ordinary].mean() < 0.25


def test_ready_to_build_runs_land_and_paperwork_side_by_side_for_those_who_take_it_up() -> None:
    base, plan, model = plans("parallel_with_land")
    assert not (base.parallel_procedures & ~plan.parallel_procedures).any()
    added = plan.parallel_procedures & ~base.parallel_procedures
    assert added.any()
    assert (plan.start_lag_days[added] == model.approvals.parallel_start_lag_days).all()
    np.testing.assert_array_equal(base.start_lag_days[~added], plan.start_lag_days[~added])


@pytest.mark.parametrize(
    ("lever", "days"),
    [
        ("five_permits", "permit_days"),
        ("joint_review", "review_days"),
        ("agency_service", "applicant_days"),
        ("completion_service", "registration_days"),
        ("completion_service", "output_days"),
    ],
)
def test_a_reform_at_the_plans_level_shortens_the_step_of_those_who_take_it_up(lever: str, days: str) -> None:
    base, plan, model = plans(lever)
    before, after = getattr(base, days), getattr(plan, days)
    np.testing.assert_array_equal(np.isnan(before), np.isnan(after))  # who registers is unchanged
    known = ~np.isnan(before)
    assert (after[known] <= before[known]).all()
    shorter = known & (after < before)
    assert shorter.any()
    added = taking_up(at_plan_level(model, lever), lever) & ~taking_up(model, lever)
    assert not (shorter & ~added).any()  # only the projects the plan's level adds


def test_leader_help_and_meetings_at_the_plans_level_reach_more_projects() -> None:
    base, plan, _ = plans("leader_help", "problem_meetings")
    assert not ((base.leader_tier >= 0) & (plan.leader_tier < 0)).any()
    assert ((plan.leader_tier >= 0) & (base.leader_tier < 0)).any()
    assert not (base.on_meeting_agenda & ~plan.on_meeting_agenda).any()
    assert (plan.on_meeting_agenda & ~base.on_meeting_agenda).any()
    assert (base.leader_tier >= 0).any()  # leaders were assigned before 2023
    assert base.on_meeting_agenda.any()  # and problem meetings held


def test_differentiated_supply_serves_the_favoured_first_in_every_queue() -> None:
    base, plan, _ = plans("differentiated_supply")
    for key in ("land_priority", "energy_priority", "approval_priority"):
        assert (getattr(plan, key) <= getattr(base, key)).all()
        assert (getattr(plan, key) < getattr(base, key)).any()


def test_supervision_in_force_makes_investors_more_patient_and_stalls_shorter() -> None:
    base = ModelConfig()
    on = replace(base, supervision=replace(base.supervision, in_force=True))
    a, b = plan_projects(leads(), base), plan_projects(leads(), on)
    assert (b.patience_days > a.patience_days).all()
    stalls = a.stall_days > 0
    assert (b.stall_days[stalls] < a.stall_days[stalls]).all()


def test_a_dosage_outside_what_is_allowed_fails_naming_the_field() -> None:
    from cityplan.errors import ConfigError

    with pytest.raises(ConfigError, match=r"model\.uptake\.joint_review\.plan_share"):
        replace(ModelConfig().uptake, joint_review=Dosage(plan_share=1.5))
    with pytest.raises(ConfigError, match=r"model\.uptake\.agency_service\.sectors"):
        replace(ModelConfig().uptake, agency_service=Dosage(sectors=["mining"]))


def year_end(*overrides: str) -> pd.DataFrame:
    cfg = compose_study(["run=smoke", "run.replications=2", "run.keep_ledgers=0", "uncertainty=none", *overrides])
    return run_study(cfg).kpis.pivot(index="replication", columns="target", values="value")


def test_a_policy_at_2022s_share_runs_as_the_status_quo_exactly() -> None:
    """The simulation, not only the plan: 拿地即开工 and 五证联发 'at the plan's level' with the plan's
    share set to 2022's give the status quo's targets to the last digit (the launch switch and the
    per-project choice of the chain change nothing else)."""
    same = (
        "policy=[ready_to_build,five_permits]",
        "model.uptake.parallel_with_land.plan_share=0.2",
        "model.uptake.five_permits.plan_share=0.2",
    )
    pd.testing.assert_frame_equal(year_end(*same), year_end("policy=status_quo"))
