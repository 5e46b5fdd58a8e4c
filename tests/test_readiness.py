"""Readiness at signing, the 研判 screen and the pre-work services (issue 23), on paired draws.

Each mechanism is checked on the same leads (common random numbers) with and without it: the
plan of every project (:func:`sim.model.project_plan.plan_projects`) moves the expected way
and only where the mechanism says. The snapshot of a ledger (:mod:`analysis.snapshot`) is
checked on a hand-made ledger.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analysis.snapshot import Cohort, stage_snapshot, started_within
from sim.config.model import ModelConfig
from sim.config.study import StudyConfig, calendar_of
from sim.model.leads import INDUSTRIAL, Leads, draw_leads
from sim.model.project_plan import ProjectPlan, energy_review_exempt, plan_projects
from sim.run.rng import replication_streams


@functools.cache
def leads() -> Leads:
    """One replication's candidate leads (default demand)."""
    cfg = StudyConfig()
    return draw_leads(cfg.model.demand, calendar_of(cfg), replication_streams(20230128, 0), cfg.model.attraction)


def plan(**sections: dict[str, float]) -> ProjectPlan:
    """The plan of :func:`leads` under the default model with ``sections`` changed."""
    m = ModelConfig()
    for name, values in sections.items():
        m = replace(m, **{name: replace(getattr(m, name), **values)})
    return plan_projects(leads(), m)


def test_ready_projects_need_no_land_and_take_the_fit_out_path() -> None:
    p = plan()
    assert p.ready.any()
    assert (p.land_mu[p.ready] == 0).all()
    assert (p.land_transfer_days[p.ready] == 0).all()
    assert (p.review_days[p.ready] == 0).all()  # no construction-drawing review of a new build
    slow = plan(readiness={"ready_share_of_no_land": 0.0})
    assert not slow.ready.any()
    # the same projects, paired: ready ones prepare faster and file less
    assert (p.prework_days[p.ready] < slow.prework_days[p.ready]).all()
    assert (p.permit_days[p.ready] <= slow.review_days[p.ready] + slow.permit_days[p.ready]).all()
    np.testing.assert_array_equal(p.prework_days[~p.ready], slow.prework_days[~p.ready])


def test_ready_share_is_its_share_of_the_no_land_projects() -> None:
    p = plan(readiness={"ready_share_of_no_land": 0.5})
    no_land = p.land_mu == 0
    assert abs(p.ready.mean() - 0.5 * no_land.mean()) < 0.01


def test_energy_review_only_above_the_national_threshold() -> None:
    m = ModelConfig()
    # below 1,000 吨标煤 and below 5 million kWh = 614.5 吨标煤 of electricity (当量值): at half
    # electricity the 1,000 binds; at 0.8 electricity the kWh leg binds, at 768 吨标煤
    tce = np.array([500.0, 999.0, 1001.0, 1300.0])
    np.testing.assert_array_equal(energy_review_exempt(m, tce), [True, True, False, False])
    power_heavy = replace(m, energy=replace(m.energy, electricity_share_of_energy=0.8))
    np.testing.assert_array_equal(energy_review_exempt(power_heavy, tce), [True, False, False, False])
    nobody = replace(m, energy=replace(m.energy, review_exempt_below_tce=0.0))
    assert not energy_review_exempt(nobody, tce).any()
    p = plan()
    assert (p.energy_days[p.energy_review_exempt] == 0).all()
    assert (p.energy_days[~p.energy_review_exempt] > 0).all()


def test_a_stricter_screen_signs_fewer_leads_that_need_less_land_and_energy() -> None:
    open_door = plan()
    screen = {"screen_share": 1.0, "min_quality": 0.15, "screen_land_ratio_max": 1.5, "screen_energy_ratio_max": 2.0}
    strict = plan(appraisal=screen)
    # paired: the screen only removes leads
    assert (strict.passes <= open_door.passes).all()
    assert strict.passes.sum() < open_door.passes.sum()
    industrial = leads().sector == INDUSTRIAL
    size = leads().investment_yi

    def per_yi(need: np.ndarray, keep: np.ndarray) -> float:
        return float(need[keep].sum() / size[keep].sum())

    assert per_yi(strict.land_mu, strict.passes & industrial) < per_yi(open_door.land_mu, open_door.passes & industrial)
    assert per_yi(strict.energy_tce, strict.passes) < per_yi(open_door.energy_tce, open_door.passes)
    # readiness: ready leads pass the readiness screen whatever their quality
    bars_off = {"screen_land_ratio_max": 0.0, "screen_energy_ratio_max": 0.0}
    readiness_only = plan(appraisal={"screen_share": 1.0, "min_quality": 0.5, **bars_off})
    low = open_door.passes & (open_door.quality < 0.5)
    assert readiness_only.passes[low & open_door.ready].all()
    assert not readiness_only.passes[low & ~open_door.ready].any()


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_the_screen_acts_on_its_dosage(share: float) -> None:
    strict = {"screen_share": share, "screen_land_ratio_max": 1.0, "screen_energy_ratio_max": 1.0}
    rejected = plan().passes & ~plan(appraisal=strict).passes
    # a cap of 1x the median rejects about three quarters of the leads it screens
    assert abs(rejected.mean() / plan().passes.mean() - 0.75 * share) < 0.05


def test_advance_service_overlaps_pre_work_with_appraisal() -> None:
    base = plan()
    guided = plan(prework={"advance_service_share": 1.0})
    before = base.appraisal_days + base.city_review_days
    expected = np.where(leads().from_event, base.prework_days, np.maximum(base.prework_days - before, 0.0))
    np.testing.assert_allclose(guided.prework_days, expected)
    assert (guided.prework_days < base.prework_days).mean() > 0.8


def test_pre_work_agency_shortens_pre_work_for_its_takers_only() -> None:
    """全程代办 is one service: the projects that take it up get their file and their pre-work filings run."""
    m = ModelConfig()
    none = replace(m.uptake, agency_service=replace(m.uptake.agency_service, status_quo_share=0.0))
    half = replace(m.uptake, agency_service=replace(m.uptake.agency_service, status_quo_share=0.5))
    base = plan_projects(leads(), replace(m, uptake=none))
    served = plan_projects(leads(), replace(m, uptake=half))
    takers = served.prework_days < base.prework_days
    assert abs(takers.mean() - 0.5) < 0.01
    np.testing.assert_allclose(served.prework_days[takers], m.prework.agency_factor * base.prework_days[takers])
    np.testing.assert_array_equal(served.prework_days[~takers], base.prework_days[~takers])
    # the same projects have their permit file prepared by the agent (ready ones file a fit-out)
    shorter_file = served.applicant_days < base.applicant_days
    assert (shorter_file <= takers).all()
    assert shorter_file[takers & ~served.ready].all()


def _ledger() -> pd.DataFrame:
    nan = np.nan
    return pd.DataFrame(
        {
            "sector": ["industrial"] * 5 + ["agriculture"],
            "investment_yi": [2.0, 2.0, 2.0, 2.0, 0.5, 2.0],
            "t_signed": [10.0, 20.0, 30.0, 100.0, 10.0, 10.0],
            "t_procedures": [40.0, 60.0, nan, 150.0, 20.0, 20.0],
            "t_started": [90.0, 300.0, nan, nan, 30.0, 30.0],
            "t_walked": [nan, nan, nan, 170.0, nan, nan],
        }
    )


def test_snapshot_reads_three_states_off_a_ledger() -> None:
    cohort = Cohort(0.0, 181.0, ("industrial",))
    snap = stage_snapshot(_ledger(), cohort, 180.0)
    # 4 industrial >= 1亿 signings: one started (day 90), one in procedures (60, starts 300),
    # one before procedures, one left after its procedures (counted before procedures)
    assert snap == {"n": 4.0, "started": 0.25, "procedures": 0.25, "prework": 0.5}
    assert started_within(_ledger(), cohort, 90.0) == 0.25
    assert started_within(_ledger(), cohort, 79.0) == 0.0
    assert np.isnan(stage_snapshot(_ledger(), Cohort(500.0, 600.0), 700.0)["started"])


@pytest.mark.parametrize("policy", ["status_quo", "plan"])
def test_the_no_queue_ceiling_is_the_models_own_durations_without_waiting(policy: str) -> None:
    """scenario=no_queue_ceiling removes every queue and walk-away and nothing else.

    Paired on one replication's draws: every project signs on the same day, and one signed
    after the campaign launch starts no later than in the default run (the same durations, no
    waiting), on the same day if it never waited. (Before the launch a project that waited
    could begin a step under the levers and overtake: waiting past the launch pays.) A
    ceiling computed from anything but the model's own durations breaks one of these.
    """
    from sim.run.replication import run_replication
    from tests.conftest import compose_study

    base = ["run=smoke", "uncertainty=none", f"policy={policy}"]
    cfg = compose_study(base)
    launch = calendar_of(cfg).day_of(cfg.launch_date())
    default = run_replication(cfg, 0, keep_ledger=True).ledger
    ceiling = run_replication(compose_study([*base, "scenario=no_queue_ceiling"]), 0, keep_ledger=True).ledger
    assert default is not None
    assert ceiling is not None
    np.testing.assert_array_equal(default["t_signed"], ceiling["t_signed"])
    after_launch = (default["t_signed"] >= launch).to_numpy()
    never = np.inf
    started = default["t_started"].fillna(never).to_numpy()[after_launch]
    started_ceiling = ceiling["t_started"].fillna(never).to_numpy()[after_launch]
    assert (started_ceiling <= started + 1e-9).all()
    waits = default[["wait_land_days", "wait_energy_days", "wait_approvals_days"]]
    waited = waits.sum(axis=1).to_numpy()[after_launch] > 0
    unhindered = np.isfinite(started) & ~waited
    np.testing.assert_allclose(started_ceiling[unhindered], started[unhindered])
    assert (started_ceiling < started).sum() > 0


def test_a_nowcast_keeps_the_ledgers_land_need_and_readiness_follows_it() -> None:
    """A ledger project with land cannot be ready; one without land draws its no-land uniform below the share."""
    from sim.nowcast.read import ledger_leads
    from sim.nowcast.start import land_need_as_ledgered

    n = 300
    ledger = pd.DataFrame(
        {
            "t_signed": np.zeros(n),
            "sector": ["industrial"] * n,
            "investment_yi": np.full(n, 2.0),
            "taiwan": np.zeros(n, bool),
            "foreign": np.zeros(n, bool),
            "land_mu": np.tile([0.0, 30.0, np.nan], n // 3),
        }
    )
    m = ModelConfig()
    rows = land_need_as_ledgered(ledger_leads(ledger, np.random.default_rng(1)), ledger, m)
    p = plan_projects(rows, m)
    no_land, land = ledger["land_mu"].to_numpy() == 0, ledger["land_mu"].to_numpy() > 0
    assert p.ready[no_land].all()  # ready_share_of_no_land 1.0: every no-land project is ready
    assert not p.ready[land].any()
    assert (p.land_mu[land] > 0).all()
