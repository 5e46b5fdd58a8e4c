"""The city on ``as_of``: who is where, what is left, what is in stock (:func:`starting_state`).

Milestones done per project, the quota stock replayed from the release rule less the
ledger's grants, the idle land coming back, and the leads still to come.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from cityplan.calendar import Calendar
from cityplan.errors import fail
from sim.config.model import ModelConfig
from sim.config.study import StudyConfig
from sim.model.land_plan import initial_land_stock_mu
from sim.model.leads import DECISION_LATENTS, Leads
from sim.model.project_plan import ProjectPlan, leader_tiers, plan_projects, takes_up
from sim.model.recorder import MILESTONES
from sim.model.system import QuotaRelease, StartState, energy_release, feedstock_day, land_release
from sim.nowcast.read import _concat, _subset, ledger_leads, source_rows
from sim.nowcast.remaining import (
    RESIDUALS,
    _energy_asked_day,
    _known_in_problem,
    _LedgerDraws,
    _Regimes,
    _residual_plan,
)
from sim.nowcast.residuals import residual_service

log = logging.getLogger(__name__)


def _done_sets(t: dict[str, np.ndarray], stage: np.ndarray) -> list[frozenset[str]]:
    """Milestones each ledger project has reached, including those its later dates imply."""
    implied = {
        "registered": ("completed",),
        "completed": ("started",),
        "started": ("permits", "land", "energy"),
        "permits": ("review",),
        "review": ("energy",),
        "land": ("land_granted",),
        "energy": ("energy_granted",),
        "land_granted": ("procedures",),
        "energy_granted": ("procedures",),
    }
    out = []
    for i in range(stage.size):
        done = {m for m, v in t.items() if np.isfinite(v[i])}
        if stage[i] == "procedures":
            done.add("procedures")
        for m, before in implied.items():  # in lifecycle order, latest first
            if m in done:
                done.update(before)
        if "walked" in done:  # dropped: nothing more happens
            done.update(("procedures", "land", "land_granted", "energy", "energy_granted", "review", "permits"))
            done.add("started")
            done.update(("completed", "registered", "output"))
        out.append(frozenset(done))
    return out


def _replay_quota(
    grants: tuple[np.ndarray, np.ndarray],
    month_starts: np.ndarray,
    year_starts: set[float],
    rule: Callable[[float], QuotaRelease],
    initial: float,
    until: float,
    returns: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0)),
) -> float:
    """Quota in stock on ``until``: the model's release rule less the ledger's grants.

    ``rule(day)`` is the release in force that month (the baseline's before the campaign
    launch, the policy's after), exactly as :func:`sim.model.city.release_quota` applies it.
    ``returns`` (days, amounts) is quota that came back: given back by departed investors,
    or idle land recovered.
    """
    times, amounts = grants
    events = [(float(d), 0, rule(float(d)).tranche) for d in month_starts if d < until]
    # grants before the first simulated year are already out of the initial stock
    events += [(float(t), 1, -float(a)) for t, a in zip(times, amounts, strict=True) if 0 <= t < until]
    events += [(float(t), 1, float(a)) for t, a in zip(*returns, strict=True) if 0 <= t < until]
    level = initial
    for day, kind, amount in sorted(events):
        if kind == 0 and day in year_starts:
            level *= rule(day).carryover_share
        level += amount
    if level < 0:
        log.warning("ledger grants exceed the quota the model released by as_of (%.0f short); stock set to 0", -level)
    return max(level, 0.0)


def land_need_as_ledgered(rows: Leads, ledger: pd.DataFrame, model: ModelConfig) -> Leads:
    """The ledger projects' leads with their no-land uniform drawn given the ledger's land need.

    Whether a project needs new land (and so whether it can be ready at signing, issue 23)
    comes from one uniform (:func:`sim.model.project_plan.land_and_readiness`): a project the
    ledger shows with no new land draws it below ``land.standard_plant_share``, one with land
    above it; an unknown land need keeps the fresh draw.
    """
    if "land_mu" not in ledger:
        return rows
    given = ledger["land_mu"].to_numpy(dtype=float)
    share = model.land.standard_plant_share
    u = rows.u.copy()
    k = DECISION_LATENTS.index("standard_plant")
    u[k] = np.where(given == 0, u[k] * share, np.where(given > 0, share + u[k] * (1.0 - share), u[k]))
    return replace(rows, u=u)


def _paperwork_before_land(ledger: pd.DataFrame) -> np.ndarray:
    """Ledger projects whose dates show 拿地即开工: energy or permits reached before the land.

    A ledger does not say which projects took 拿地即开工 up; where its dates show paperwork done
    ahead of the land delivery the project did (sequentially the paperwork begins after the
    land); elsewhere its uptake draw decides.
    """
    n = len(ledger)

    def t(milestone: str) -> np.ndarray:
        return ledger[f"t_{milestone}"].to_numpy(dtype=float) if f"t_{milestone}" in ledger else np.full(n, np.nan)

    land = np.where(np.isfinite(t("land")), t("land"), np.inf)
    paper = np.fmin(np.fmin(t("energy_granted"), t("energy")), np.fmin(t("review"), t("permits")))
    return np.isfinite(paper) & (paper < land)


def helped_projects(cfg: StudyConfig, investment_yi: np.ndarray) -> np.ndarray:
    """The ledger projects (indices, model order) a leader takes up from ``as_of`` (``nowcast.helped_rows``).

    ``investment_yi`` is each ledger project's agreed investment (亿元). Raises ConfigError
    naming the field unless every row is a forecast row of the ledger (台账行号 as in
    ``watchlist.csv``) of a project in a leaders' tier (at least the county heads' threshold,
    ``model.problems.leader_threshold_yi``).
    """
    now = cfg.nowcast
    if not now.helped_rows:
        return np.empty(0, dtype=np.int64)
    rows = source_rows(now.ledger, now.as_of, now.strict)
    where = {int(r): i for i, r in enumerate(rows)}
    smallest = cfg.model.problems.leader_threshold_yi[0]
    out = []
    for row in now.helped_rows:
        if int(row) not in where:
            fail("nowcast.helped_rows", row, "a ledger row the nowcast forecasts (台账行号 in watchlist.csv)")
        if not investment_yi[where[int(row)]] >= smallest:
            fail("nowcast.helped_rows", row, f"a project of at least {smallest:g}亿 (the leaders' help tiers)")
        out.append(where[int(row)])
    return np.unique(np.asarray(out, dtype=np.int64))


def taken_up(plan: ProjectPlan, helped: np.ndarray, investment_yi: np.ndarray, model: ModelConfig) -> ProjectPlan:
    """The plan with a leader assigned to each ``helped`` project: the leader of its size tier.

    Whatever its uptake draw (``model.uptake.leader_help``) gave it: a leader who takes a project
    up is its assigned leader.
    """
    if not helped.size:
        return plan
    tier = np.asarray(plan.leader_tier).copy()
    tier[helped] = leader_tiers(investment_yi[helped], model)
    return replace(plan, leader_tier=tier)


def starting_state(
    cfg: StudyConfig, ledger: pd.DataFrame, leads: Leads, rng: np.random.Generator
) -> tuple[Leads, StartState]:
    """Ledger projects plus the replication's leads still to come, and where each starts.

    Parameters
    ----------
    cfg
        The study (``nowcast.as_of`` set).
    ledger
        Model-day ledger (:func:`load_model_ledger`).
    leads
        The replication's full-horizon leads (:func:`sim.model.leads.draw_leads`).
    rng
        The replication's ``nowcast`` stream (residuals of ledger projects).
    """
    cal = Calendar(cfg.run.first_year, cfg.run.target_year)
    a = cal.day_of(cfg.nowcast.as_of) + 1.0
    n = len(ledger)
    rows = land_need_as_ledgered(ledger_leads(ledger, rng), ledger, cfg.model)
    u = dict(zip(RESIDUALS, rng.random((len(RESIDUALS), n)), strict=True))
    # new leads: those arriving after as_of and those still in appraisal on as_of
    fresh = plan_projects(leads, cfg.model)
    appraised = leads.arrival_day + fresh.appraisal_days
    decided = appraised + np.where(fresh.passes, fresh.city_review_days, 0.0)
    keep = np.flatnonzero(decided >= a)
    pending = _subset(leads, keep)
    everyone = _concat(rows, pending)
    plan = plan_projects(everyone, cfg.model)
    times = {str(c)[2:]: ledger[c].to_numpy(dtype=float) for c in ledger.columns if str(c).startswith("t_")}
    done = _done_sets(times, ledger["stage"].to_numpy())
    in_review = np.flatnonzero([("review" in d) and ("permits" not in d) for d in done])
    service_left = np.zeros(n)
    if in_review.size:
        review_elapsed = a - ledger["t_review"].to_numpy(dtype=float)[in_review]
        service_left[in_review] = residual_service(_subset(rows, in_review), review_elapsed, cfg.model, rng)
    m = cfg.model
    base = cfg.baseline_model or m
    launch = cal.day_of(cfg.launch_date())
    # The rule in force when a project's procedures began is the one it follows to the end
    # (as in the model, where a step reads the regime when it begins): a backlog project whose
    # procedures began before the launch stays sequential under 拿地即开工.
    t_proc = ledger["t_procedures"].to_numpy(dtype=float) if "t_procedures" in ledger else np.full(n, np.nan)
    # whether each project takes 拿地即开工 up (its uptake draw) under either regime
    base_parallel = plan.parallel_procedures[:n]
    if base is not m:
        base_parallel = takes_up(base.uptake.parallel_with_land, rows, "parallel_with_land", plan.land_mu[:n] > 0)
    parallel = np.where(np.isfinite(t_proc) & (t_proc < launch), base_parallel, plan.parallel_procedures[:n])
    parallel = np.where(_paperwork_before_land(ledger), True, parallel)
    fresh_problem_days = plan.problem_days[:n].copy()
    history = {ms: np.full(len(everyone), np.nan) for ms in MILESTONES}
    for ms in MILESTONES:
        if f"t_{ms}" in ledger:
            history[ms][:n] = ledger[f"t_{ms}"].to_numpy(dtype=float)
    years = range(cal.first_year, cal.last_year + 1)
    month_starts = np.concatenate([cal.month_starts(y) for y in years])
    year_starts = {cal.year_start(y) for y in years if y > cal.first_year}

    def in_force(day: float) -> ModelConfig:
        return base if day < launch else m

    # the ledger's land need where it gives one (as the residual plan takes it), else the draw
    given = ledger["land_mu"].to_numpy(dtype=float)
    land_mu = np.where(np.isfinite(given), given, plan.land_mu[:n])
    land_grant = np.fmin(history["land_granted"][:n], history["land"][:n])
    walked = history["walked"][:n]
    delivered = history["land"][:n] <= walked
    recovery = np.array([in_force(w).land.idle_recovery_days if np.isfinite(w) else 0.0 for w in walked])
    land_back = np.where(delivered, np.where(recovery > 0, walked + recovery, np.nan), walked)
    # idle plots of investors who left before as_of and that the city recovers after it
    recovering = np.flatnonzero(
        delivered & (land_grant <= walked) & (land_mu > 0) & (land_back >= a) & (land_back < cal.horizon_days)
    )
    land_level = _replay_quota(
        (land_grant, land_mu),
        month_starts,
        year_starts,
        lambda d: land_release(in_force(d), cal, d),
        initial_land_stock_mu(base, cal.first_year),
        a,
        returns=(np.where(land_grant <= walked, land_back, np.nan), land_mu),
    )
    in_problem = _known_in_problem(done, land_mu, land_level, first_fit=not m.land.reserve_for_head)
    draws = _LedgerDraws(rows, u, service_left, parallel, in_problem)
    plan, lag, patience_now = _residual_plan(plan, ledger, done, a, draws, _Regimes(m, base, launch))
    helped = helped_projects(cfg, ledger["investment_yi"].to_numpy(dtype=float))
    plan = taken_up(plan, helped, ledger["investment_yi"].to_numpy(dtype=float), m)
    # Feedstock is deducted from a request made on or after its date (the model computes the
    # need when the project asks): the request day is the land delivery (sequential) or the
    # end of the problem (parallel), estimated with the fresh problem days; not yet asked: as_of.
    asked = _energy_asked_day(t_proc, ledger["t_land"].to_numpy(dtype=float), fresh_problem_days, parallel)
    granted = np.fmin(ledger["t_energy_granted"].to_numpy(dtype=float), ledger["t_energy"].to_numpy(dtype=float))
    asked = np.fmin(np.where(np.isfinite(asked), asked, a), granted)
    feedstock = np.where(asked >= feedstock_day(m, cal), plan.energy_feedstock_tce[:n], 0.0)
    plan = replace(plan, energy_feedstock_tce=np.concatenate([feedstock, plan.energy_feedstock_tce[n:]]))
    arrival = pending.arrival_day
    waited_appraisal = np.maximum(a - arrival, 0.0)
    appraisal_left = np.maximum(plan.appraisal_days[n:] - waited_appraisal, 0.0)
    review_left = np.maximum(appraised[keep] + plan.city_review_days[n:] - np.maximum(appraised[keep], a), 0.0)
    plan = replace(
        plan,
        appraisal_days=np.concatenate([plan.appraisal_days[:n], appraisal_left]),
        city_review_days=np.concatenate([plan.city_review_days[:n], review_left]),
    )
    energy_grant = np.fmin(history["energy_granted"][:n], history["energy"][:n])
    energy_need = np.where(plan.energy_national[:n], 0.0, plan.energy_tce[:n] - plan.energy_feedstock_tce[:n])
    energy_level = _replay_quota(
        (energy_grant, energy_need),
        month_starts,
        year_starts,
        lambda d: energy_release(in_force(d), cal, d),
        base.energy.initial_stock_tce,
        a,
        returns=(np.where(energy_grant <= walked, walked, np.nan), energy_need),
    )
    release = np.concatenate([np.full(n, a), np.maximum(arrival, a)])
    start = StartState(
        as_of_day=a,
        plan=plan,
        release_day=release.tolist(),
        done=[*done, *([None] * len(pending))],
        history=history,
        start_lag_days=np.concatenate([lag, plan.start_lag_days[n:]]).tolist(),
        patience_now=np.concatenate([patience_now, plan.patience_days[n:]]).tolist(),
        land_level_mu=land_level,
        energy_level_tce=energy_level,
        parallel_procedures=[*parallel.tolist(), *plan.parallel_procedures[n:].tolist()],
        idle_recoveries=[(int(i), float(land_back[i]), float(land_mu[i])) for i in recovering],
        helped=frozenset(int(i) for i in helped),
    )
    return everyone, start
