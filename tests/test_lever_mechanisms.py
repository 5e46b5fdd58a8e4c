"""Each lever changes what it says it changes: one paired test per lever, in the default suite.

Issue 24 ("tests that bite"): a lever made inert must fail its test. Each test runs the status
quo and the lever on the same replication (common random numbers: the same leads, sizes and
latent draws, so a project's row in the two ledgers is the same project) and checks the
lever's own mechanism in the ledger or the resource log, not a target that other parts of a
bundle also move. 拿地即开工, for instance, is checked by what only the parallel chain can do
(an energy assessment finished before the land is delivered), not by the start rate, which the
shorter start lag of the same policy also raises.

Point values (``uncertainty=none``) and one replication of ``run=smoke`` (~0.3 s a run): the
checks are exact per project or counts, so one city is enough; the slow paired t-tests of
``tests/test_policies.py`` give each lever's effect on its target with statistical strength.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from sim.config.study import StudyConfig, calendar_of
from sim.model.attraction import BIG_LEAD_YI
from sim.run.replication import run_replication
from tests.conftest import compose_study

REPLICATION = 0
# Float sums of days taken in another order (a start = signing + pre-work) differ in their last
# bits only; 1e-6 of a day is 0.1 s, far below any modelled duration.
DAY_TOLERANCE = 1e-6

# The land queue binds (half the quota) and its head blocks the line (model.land.reserve_for_head),
# so every grant follows the priority order exactly: the order 差别化供给 sets is observable.
BINDING_LAND = ("scenario=land_halved", "model.land.reserve_for_head=true")


@functools.cache
def study(policy: str, *extra: str) -> StudyConfig:
    return compose_study(["run=smoke", f"policy={policy}", "uncertainty=none", *extra])


@functools.cache
def tables(policy: str, *extra: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ledger (indexed by project) and the resource log of one replication of ``policy``."""
    result = run_replication(study(policy, *extra), REPLICATION, keep_ledger=True)
    assert result.ledger is not None
    assert result.resources is not None
    return result.ledger.set_index("project"), result.resources


def ledger(policy: str, *extra: str) -> pd.DataFrame:
    return tables(policy, *extra)[0]


def both(lever: str, column: str, *extra: str) -> tuple[pd.Series, pd.Series]:
    """A ledger column of the status quo and of ``lever``, on the projects present in both."""
    sq, lv = ledger("status_quo", *extra), ledger(lever, *extra)
    common = sq.index.intersection(lv.index)
    return sq[column].reindex(common), lv[column].reindex(common)


def duration(frame: pd.DataFrame, start: str, end: str) -> pd.Series:
    return frame[end] - frame[start]


def paired_duration(lever: str, start: str, end: str, *extra: str) -> tuple[np.ndarray, np.ndarray]:
    """Days from ``start`` to ``end`` of each project that has both in both runs (status quo, lever)."""
    sq, lv = ledger("status_quo", *extra), ledger(lever, *extra)
    a, b = duration(sq, start, end), duration(lv, start, end)
    common = a.dropna().index.intersection(b.dropna().index)
    return a[common].to_numpy(), b[common].to_numpy()


def assert_never_longer_sometimes_shorter(sq: np.ndarray, lever: np.ndarray, what: str) -> None:
    """A lever that shortens a step: no project's step is longer, some are shorter (by a day or more)."""
    assert sq.size > 100, f"{what}: too few projects to compare ({sq.size})"
    assert np.all(lever <= sq + DAY_TOLERANCE), f"{what}: longer for {int((lever > sq + DAY_TOLERANCE).sum())}"
    shorter = int((lever < sq - 1.0).sum())
    assert shorter > 0, f"{what}: no project is faster under the lever"


def resource_series(policy: str, resource: str, metric: str, *extra: str) -> pd.Series:
    log = tables(policy, *extra)[1]
    rows = log[(log["resource"] == resource) & (log["metric"] == metric)]
    return rows.set_index("day")["value"]


def launch_day(cfg: StudyConfig) -> float:
    return calendar_of(cfg).day_of(cfg.launch_date())


# --- procedures ------------------------------------------------------------------------------


def test_ready_to_build_runs_paperwork_beside_land_delivery() -> None:
    """拿地即开工: energy assessment done before the land is delivered, which only the parallel chain allows."""
    counts = {}
    for policy in ("status_quo", "ready_to_build"):
        frame = ledger(policy)
        counts[policy] = int((frame["t_energy"] < frame["t_land"]).sum())
    # the status quo has it too (>= 10亿 projects always take it up), the lever for more projects
    assert 0 < counts["status_quo"] < counts["ready_to_build"], counts


def test_five_permits_shorten_the_office_step() -> None:
    """五证联发: from the office taking the file to the permits, never longer, shorter for the new takers."""
    sq, lever = paired_duration("five_permits", "t_review", "t_permits")
    assert_never_longer_sometimes_shorter(sq, lever, "review + permits")


def test_joint_review_shortens_the_office_step() -> None:
    """数字化联合审图: a shorter review with less rework, never a longer one."""
    sq, lever = paired_duration("joint_review", "t_review", "t_permits")
    assert_never_longer_sometimes_shorter(sq, lever, "review + permits")


def test_agency_service_scales_pre_work_by_its_factor() -> None:
    """全程代办: a project that takes it up has its pre-work times ``prework.agency_factor``, the others unchanged."""
    sq, lever = paired_duration("agency_service", "t_signed", "t_procedures")
    factor = study("agency_service").model.prework.agency_factor
    assert factor < 1
    unchanged = np.isclose(lever, sq, rtol=1e-9, atol=DAY_TOLERANCE)
    scaled = np.isclose(lever, sq * factor, rtol=1e-9, atol=DAY_TOLERANCE)
    assert np.all(unchanged | scaled), f"pre-work changed otherwise for {int((~(unchanged | scaled)).sum())}"
    assert (scaled & ~unchanged).sum() > 0, "no project took the agency service up"


def test_advance_service_counts_the_days_before_signing() -> None:
    """前移指导: a taker's pre-work left at signing is its pre-work less the days from arrival to signing."""
    sq, lever = both("advance_service", "t_procedures")
    signed_sq, signed_lv = both("advance_service", "t_signed")
    arrival, _ = both("advance_service", "t_arrival")
    ok = sq.notna() & lever.notna()
    np.testing.assert_array_equal(signed_sq[ok], signed_lv[ok])  # the service does not move the signing
    prework_sq = (sq - signed_sq)[ok].to_numpy()
    prework_lv = (lever - signed_lv)[ok].to_numpy()
    before_signing = (signed_sq - arrival)[ok].to_numpy()
    advanced = np.maximum(prework_sq - before_signing, 0.0)
    unchanged = np.isclose(prework_lv, prework_sq, atol=DAY_TOLERANCE)
    taken = np.isclose(prework_lv, advanced, atol=DAY_TOLERANCE)
    assert np.all(unchanged | taken), f"pre-work changed otherwise for {int((~(unchanged | taken)).sum())}"
    assert (taken & ~unchanged).sum() > 0, "no project's pre-work was advanced"


def test_leader_help_settles_problems_sooner() -> None:
    """领导挂钩帮办 and 问题会办: more problems settled by a leader or a meeting, sooner.

    For a project needing no new land the land step is immediate, so the days from the start
    of its procedures to its land grant are the days its problem took.
    """
    sq, lv = ledger("status_quo"), ledger("leader_help")
    common = sq.index[(sq["land_mu"] == 0)].intersection(lv.index[lv["land_mu"] == 0])
    a = duration(sq, "t_procedures", "t_land_granted").reindex(common)
    b = duration(lv, "t_procedures", "t_land_granted").reindex(common)
    ok = a.notna() & b.notna() & (a > 0)
    d = (b - a)[ok].to_numpy()
    assert ok.sum() > 100, f"too few projects with a problem ({int(ok.sum())})"
    shorter, longer = int((d < -DAY_TOLERANCE).sum()), int((d > DAY_TOLERANCE).sum())
    assert shorter > longer, f"problem days shorter for {shorter}, longer for {longer}"
    assert d.mean() < 0, f"mean change in problem days {d.mean():.3f}"


# --- appraisal -------------------------------------------------------------------------------


def test_appraisal_screens_out_exactly_the_leads_below_its_bars() -> None:
    """前期研判: rejected are the leads the status quo rejects plus those failing a screen bar, no others."""
    cfg = study("appraisal")
    a = cfg.model.appraisal
    assert a.screen_share == 1.0
    sq, lv = ledger("status_quo"), ledger("appraisal")
    common = sq.index.intersection(lv.index)
    sq, lv = sq.loc[common], lv.loc[common]
    appraised = (sq["t_rejected"].notna() | sq["t_signed"].notna() | sq["t_resigned"].notna()) & (
        lv["t_rejected"].notna() | lv["t_signed"].notna() | lv["t_resigned"].notna()
    )
    sq, lv = sq[appraised], lv[appraised]
    sectors = ["industrial", "producer_services", "other_services", "agriculture"]
    mu = sq["sector"].map(dict(zip(sectors, cfg.model.land.land_mu_per_yi.as_tuple(), strict=True)))
    tce = sq["sector"].map(dict(zip(sectors, cfg.model.energy.tce_per_yi.as_tuple(), strict=True)))
    land_ratio = sq["land_mu"] / (sq["investment_yi"] * mu)
    energy_ratio = sq["energy_tce"] / (sq["investment_yi"] * tce)
    needs_land = sq["land_mu"] > 0  # a project needing land is never ready at signing
    too_much_energy = energy_ratio > a.screen_energy_ratio_max * (1 + 1e-9)
    too_much_land = needs_land & (land_ratio > a.screen_land_ratio_max * (1 + 1e-9))
    surely_fails = too_much_energy | too_much_land | (needs_land & (sq["quality"] < a.min_quality))
    may_fail = surely_fails | (sq["quality"] < a.min_quality)  # (a project needing no land may be ready)
    rejected_sq, rejected_lv = sq["t_rejected"].notna(), lv["t_rejected"].notna()
    assert (rejected_lv | ~rejected_sq).all(), "the screen let through a lead the status quo rejects"
    newly = rejected_lv & ~rejected_sq
    assert (newly <= may_fail).all(), f"{int((newly & ~may_fail).sum())} rejected though above every bar"
    # the screen is in force from the launch: a lead that came after it is appraised under it
    after = sq["t_arrival"] >= launch_day(cfg)
    below = surely_fails & after
    assert (rejected_lv | ~below).all(), f"{int((below & ~rejected_lv).sum())} below a bar passed"
    assert newly.sum() > 0
    assert below.sum() > 0


# --- quotas ----------------------------------------------------------------------------------


def _added_each_month(policy: str, resource: str) -> np.ndarray:
    """Quota added month by month under ``policy`` beyond the status quo's (the log is cumulative in a year)."""
    extra = resource_series(policy, resource, "added") - resource_series("status_quo", resource, "added")
    return np.diff(extra.to_numpy())


def _months_after_launch(policy: str, resource: str) -> int:
    days = resource_series(policy, resource, "added").index.to_numpy()
    return int((days[1:] > launch_day(study(policy))).sum())


def test_land_reclamation_adds_its_mu_every_month_and_recovers_idle_land_sooner() -> None:
    """清理闲置低效用地: ``reclamation_mu_per_month`` more 亩 a month; idle plots recovered sooner.

    An idle plot left from the launch on is recovered after the lever's ``idle_recovery_days``.
    """
    cfg = study("land_reclamation")
    per_month = cfg.model.land.reclamation_mu_per_month
    steps = _added_each_month("land_reclamation", "land_mu")
    assert per_month > 0
    assert np.all(np.isclose(steps, 0.0) | np.isclose(steps, per_month) | (steps < 0)), steps
    assert int(np.isclose(steps, per_month).sum()) >= _months_after_launch("land_reclamation", "land_mu") - 1
    frame = ledger("land_reclamation")
    lag = duration(frame, "t_land_idle", "t_land_recovered").dropna()
    after = frame.loc[lag.index, "t_land_idle"] >= launch_day(cfg)
    assert after.sum() > 0, "no plot left idle after the launch"
    np.testing.assert_allclose(lag[after], cfg.model.land.idle_recovery_days)
    np.testing.assert_allclose(lag[~after], study("status_quo").model.land.idle_recovery_days)


def test_energy_swap_adds_its_tce_every_month() -> None:
    """腾退能耗: ``swap_tce_per_month`` more 吨标煤 released each month of the campaign."""
    per_month = study("energy_swap").model.energy.swap_tce_per_month
    steps = _added_each_month("energy_swap", "energy_tce")
    assert per_month > 0
    assert np.all(np.isclose(steps, 0.0) | np.isclose(steps, per_month) | (steps < 0)), steps
    assert int(np.isclose(steps, per_month).sum()) >= _months_after_launch("energy_swap", "energy_tce") - 1


def _favoured(frame: pd.DataFrame, cfg: StudyConfig) -> pd.Series:
    """Projects 差别化供给 favours at the plan's level (every eligible one takes it up)."""
    dosage = cfg.model.uptake.differentiated_supply
    assert dosage.share_in_force() == 1.0
    assert dosage.always_from_yi == np.inf
    return frame["sector"].isin(dosage.sectors) & (frame["investment_yi"] >= dosage.min_size_yi)


def land_requests(frame: pd.DataFrame, horizon: float) -> pd.DataFrame:
    """Every request for pool land: when it was made and when it left the line, granted or not.

    A request never granted left when its investor walked away, or is still waiting at the
    horizon; it waited ``wait_land_days`` until then. ``granted`` marks the grants.
    """
    rows = frame[(frame["land_mu"] > 0) & (frame["t_land_granted"].notna() | (frame["wait_land_days"] > 0))]
    granted = rows["t_land_granted"].notna().to_numpy()
    gone = rows["t_walked"].fillna(horizon).clip(upper=horizon) if "t_walked" in rows else horizon
    left = np.where(granted, rows["t_land_granted"], gone)
    return rows.assign(asked=left - rows["wait_land_days"], left=left, granted=granted)


def overtakes(requests: pd.DataFrame, rank: np.ndarray, from_day: float) -> np.ndarray:
    """``[i, j]``: ``i`` granted from ``from_day`` on while ``j``, who asked earlier, still waited.

    Asserts there are such pairs and that in none of them ``j`` ranks above ``i`` (smaller rank
    first): under a line that blocks at its head no grant passes a higher-ranked request. ``j``
    may never be granted (it waited until its investor left or the horizon).
    """
    grant, asked = requests["t_land_granted"].to_numpy(), requests["asked"].to_numpy()
    left = requests["left"].to_numpy()
    is_grant = requests["granted"].to_numpy()
    waiting = (
        (is_grant & (grant >= from_day))[:, None]
        & (asked[None, :] < grant[:, None] - DAY_TOLERANCE)
        & (left[None, :] > grant[:, None] + DAY_TOLERANCE)
    )
    assert waiting.sum() > 0, "nobody waited for land"
    breach = waiting & (rank[:, None] > rank[None, :])
    assert not breach.any(), f"{int(breach.sum())} grants while a higher-ranked request waited"
    return waiting & (asked[:, None] > asked[None, :])


def test_differentiated_supply_serves_the_largest_favoured_first() -> None:
    """差别化供给: with the land line blocking at its head, no grant while a higher-ranked request waits.

    Rank: favoured projects before all others, largest first among them; the others by arrival.
    Checked from the launch on (the lines are re-ranked that day; before it the status quo's
    uptake of the same rule applies, with draws the ledger does not show). Some favoured project
    must have overtaken an earlier request, and some larger favoured one an earlier smaller one.
    """
    cfg = study("differentiated_supply", *BINDING_LAND)
    requests = land_requests(ledger("differentiated_supply", *BINDING_LAND), calendar_of(cfg).horizon_days)
    favoured = _favoured(requests, cfg).to_numpy()
    size = requests["investment_yi"].to_numpy()
    rank = np.where(favoured, -size, requests["t_arrival"].to_numpy())
    overtook = overtakes(requests, rank, launch_day(cfg))
    assert (overtook & favoured[:, None] & ~favoured[None, :]).any(), "no favoured project overtook another"
    bigger = overtook & favoured[:, None] & favoured[None, :] & (size[:, None] > size[None, :])
    assert bigger.any(), "no larger favoured project overtook a smaller one"


def test_the_size_rule_serves_the_largest_first() -> None:
    """``model.land.priority=size``: every land request ranked by size alone, from the first day."""
    cfg = study("status_quo", *BINDING_LAND, "model.land.priority=size")
    size_rule = (*BINDING_LAND, "model.land.priority=size")
    requests = land_requests(ledger("status_quo", *size_rule), calendar_of(cfg).horizon_days)
    size = requests["investment_yi"].to_numpy()
    overtook = overtakes(requests, -size, 0.0)
    assert (overtook & (size[:, None] > size[None, :])).any(), "no larger request overtook a smaller one"


# --- construction and after ------------------------------------------------------------------


def test_supervision_shortens_stalls() -> None:
    """督查考核: construction (with any stall) never longer, shorter for some stalled projects."""
    sq, lv = ledger("status_quo"), ledger("supervision")
    common = sq.index[sq["t_started"].notna()].intersection(lv.index[lv["t_started"].notna()])
    assert_never_longer_sometimes_shorter(
        sq.loc[common, "build_days"].to_numpy(), lv.loc[common, "build_days"].to_numpy(), "build days"
    )


def test_completion_service_shortens_registration() -> None:
    """竣工项目服务帮办: from completion to registration never longer, shorter for the new takers."""
    sq, lever = paired_duration("completion_service", "t_completed", "t_registered")
    assert_never_longer_sometimes_shorter(sq, lever, "registration wait")


def test_parks_platform_scales_park_land_transfer_and_draws_leads_to_parks() -> None:
    """园区主平台: a park plot's transfer takes ``in_park_transfer_factor`` of the time outside; more leads in parks."""
    factor_sq = study("status_quo").model.land.in_park_transfer_factor
    factor = study("parks_platform").model.land.in_park_transfer_factor
    assert factor < factor_sq
    sq, lv = ledger("status_quo"), ledger("parks_platform")
    a, b = duration(sq, "t_land_granted", "t_land"), duration(lv, "t_land_granted", "t_land")
    # plots transferred (new land) in both, of projects that chose their site under the lever
    # (the ledger's in_park is the choice at signing; the plot's transfer follows the plan in force)
    signed_after = lv.index[lv["t_signed"] >= launch_day(study("parks_platform"))]
    common = a[a > 0].index.intersection(b[b > 0].index).intersection(signed_after)
    in_both = (sq.loc[common, "in_park"] & lv.loc[common, "in_park"]).to_numpy()
    ratio = (b[common] / a[common]).to_numpy()
    assert in_both.sum() > 0
    np.testing.assert_allclose(ratio[in_both], factor / factor_sq, rtol=1e-9)
    outside = ~(sq.loc[common, "in_park"] | lv.loc[common, "in_park"]).to_numpy()
    np.testing.assert_allclose(ratio[outside], 1.0, rtol=1e-9)
    signed_sq, signed_lv = sq[sq["t_signed"].notna()], lv[lv["t_signed"].notna()]
    assert signed_lv["in_park"].mean() > signed_sq["in_park"].mean()


# --- attraction ------------------------------------------------------------------------------


def _added_leads(lever: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    sq, lv = ledger("status_quo"), ledger(lever)
    return lv.loc[~lv.index.isin(sq.index)], sq.loc[~sq.index.isin(lv.index)]


def test_promotion_events_bring_event_leads() -> None:
    """ "3+7+5" 系列招商活动: the series events bring leads that come at an event."""
    added, _ = _added_leads("promotion_events")
    assert added["from_event"].sum() > 0
    assert ledger("promotion_events")["from_event"].sum() > ledger("status_quo")["from_event"].sum()


@pytest.mark.parametrize(
    ("lever", "favoured"),
    [
        # 链式招商: extra industrial leads only
        ("chain_targeting", lambda f: f["sector"] == "industrial"),
        # 一号招商员: extra >= 10亿 leads only
        ("lead_promoter", lambda f: f["investment_yi"] >= BIG_LEAD_YI),
    ],
)
def test_attraction_levers_add_only_the_leads_they_court(
    lever: str, favoured: Callable[[pd.DataFrame], pd.Series]
) -> None:
    """Candidates are the same in every policy (thinned by their own uniform): the lever only adds, and only its own."""
    added, lost = _added_leads(lever)
    assert lost.empty, f"{len(lost)} leads of the status quo did not come"
    assert len(added) > 0, "no lead added"
    assert favoured(added).all(), added.loc[~favoured(added), ["sector", "investment_yi"]]
