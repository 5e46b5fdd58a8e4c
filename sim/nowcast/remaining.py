"""What is left of each ledger project's plan on ``as_of``: residual durations, patience, steps.

The projects' days from ``as_of`` on (procedures, construction, completion and after), the
investor's patience given the days already waited, and the steps a resuming project still
has to take.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from sim.config.model import ModelConfig
from sim.config.steps import ApprovalConfig
from sim.model.leads import Leads
from sim.model.project_plan import DAYS_PER_MONTH, ProjectPlan, lognormal_days
from sim.model.recorder import MILESTONES
from sim.nowcast.residuals import TINY, quality_given_prework, residual_lognormal, residual_weibull

RESIDUALS: tuple[str, ...] = (
    "prework",
    "land_transfer",
    "energy_assessment",
    "construction",
    "registration_decision",
    "registration",
    "output_decision",
    "output",
    "patience",
    "stall",
    "applicant",
    "leave",
    "problem",  # appended last: the residuals above keep their uniforms
    "leader",
    "quality",
)


@dataclass(frozen=True)
class _AsOf:
    """What the ledger says on ``as_of``: milestone days, which are reached, days since them."""

    day: float
    t: dict[str, np.ndarray]
    has: dict[str, np.ndarray]

    def since(self, *names: str) -> np.ndarray:
        """Days from the first known of ``names`` (in order of preference) to as_of; 0 if none."""
        out = np.full(next(iter(self.t.values())).size, np.nan)
        for name in reversed(names):
            out = np.where(np.isfinite(self.t[name]), self.day - self.t[name], out)
        return np.nan_to_num(out)


def _residual_procedures(
    new: dict[str, np.ndarray],
    now: _AsOf,
    m: ModelConfig,
    rows: Leads,
    u: dict[str, np.ndarray],
    service: np.ndarray,
    in_problem: np.ndarray,
) -> None:
    """Prework, problem, land transfer, energy assessment, applicant and review left (in place).

    A project known to be in a problem on as_of (``in_problem``) has one that has lasted since
    its procedures began: the ordinary and the leader's routes are drawn given they outlast
    that (residual lognormals). Other projects in their procedures with no quota granted
    (possibly waiting for land) keep a problem drawn afresh, ``max(draw - elapsed, 0)``. Under
    problem-resolution meetings (问题会办) no problem outlasts the first meeting after its start
    plus the follow-up, as in :func:`sim.model.processes.resolve_problem`.
    """
    has, since = now.has, now.since
    pw = m.prework
    in_prework = has["signed"] & ~has["procedures"]
    # each project's median at quality 0.5 (ready or not, 全程代办; issue 23), from its plan
    base = new["prework_median_days"] / np.exp(-pw.quality_effect * (new["quality"] - 0.5))
    screened_all = m.appraisal.screen_share >= 1.0
    min_quality = m.appraisal.min_quality if screened_all else 0.0
    quality = quality_given_prework(since("signed"), pw, min_quality, u["quality"], base)
    new["quality"] = np.where(in_prework, quality, new["quality"])
    prework_median = base * np.exp(-pw.quality_effect * (new["quality"] - 0.5))
    rest = residual_lognormal(prework_median, pw.sigma_log, since("signed"), u["prework"])
    new["prework_days"] = np.where(has["procedures"], 0.0, rest)
    # a problem (堵点) is settled before any quota is taken
    in_proc = since("procedures", "signed")
    started_queues = has["land_granted"] | has["energy_granted"] | has["land"] | has["energy"]
    pr = m.problems
    ongoing = {
        "problem_days": residual_lognormal(pr.ordinary_median_days, pr.sigma_log, in_proc, u["problem"]),
        "leader_days": residual_lognormal(pr.leader_median_days, pr.sigma_log, in_proc, u["leader"]),
    }
    for name in ("problem_days", "leader_days"):
        left = np.where(has["procedures"], np.maximum(new[name] - in_proc, 0.0), new[name])
        left = np.where(in_problem, ongoing[name], left)
        new[name] = np.where(started_queues, 0.0, left)
    if pr.meeting_interval_days > 0:  # the meeting after the problem began settles it by then
        interval = pr.meeting_interval_days
        settled = (np.floor(now.t["procedures"] / interval) + 1.0) * interval + pr.meeting_followup_days
        by_meeting = np.maximum(np.nan_to_num(settled - now.day, nan=np.inf), 0.0)
        on_agenda = has["procedures"] & new["on_meeting_agenda"]
        new["problem_days"] = np.where(on_agenda, np.minimum(new["problem_days"], by_meeting), new["problem_days"])
    # land transfer: the ledger's land need and park flag; residual once the quota is granted
    land = m.land
    transfer_median = land.transfer_median_days * np.where(new["in_park"], land.in_park_transfer_factor, 1.0)
    fresh = transfer_median * np.exp(land.transfer_sigma_log * rows.normal("land_transfer"))
    rest = residual_lognormal(transfer_median, land.transfer_sigma_log, since("land_granted"), u["land_transfer"])
    new["land_transfer_days"] = np.where(new["land_mu"] > 0, np.where(has["land_granted"], rest, fresh), 0.0)
    en = m.energy
    rest = residual_lognormal(
        en.assessment_median_days, en.assessment_sigma_log, since("energy_granted"), u["energy_assessment"]
    )
    reviewed = has["energy_granted"] & ~new["energy_review_exempt"]  # exempt: no 能评 (issue 23)
    new["energy_days"] = np.where(reviewed, rest, new["energy_days"])
    # no review date yet: still preparing the file (approval queues are short next to the
    # applicant's time, so a file not under review is taken to be still in preparation)
    ap = m.approvals
    rest = residual_lognormal(ap.applicant_median_days, ap.sigma_log, since("energy"), u["applicant"])
    new["applicant_days"] = np.where(has["energy"], rest, new["applicant_days"])
    in_review = has["review"] & ~has["permits"]
    new["review_days"] = np.where(in_review, service, new["review_days"])
    new["permit_days"] = np.where(in_review, 0.0, new["permit_days"])


def _residual_construction(
    new: dict[str, np.ndarray], now: _AsOf, m: ModelConfig, rows: Leads, u: dict[str, np.ndarray]
) -> None:
    """Build time from the start (construction + stall) of projects building or done (in place).

    Build = construction + stall > elapsed. A stall is more likely among projects still
    building after long (posterior given the elapsed time, stall length drawn afresh), then
    construction is drawn given build > elapsed.
    """
    has, t = now.has, now.t
    c = m.construction
    months = np.asarray(c.median_months_by_tier)[new["size_tier"]] * DAYS_PER_MONTH
    building = has["started"] & ~has["completed"]
    elapsed = now.since("started")
    stall_len = lognormal_days(c.stall_median_days, c.sigma_log, rows.normal("stall"))

    def survive(days: np.ndarray) -> np.ndarray:
        if not c.sigma_log:
            return (days < months).astype(float)
        return norm.sf(np.log(np.maximum(days, TINY) / months) / c.sigma_log)

    p_stall = c.stall_probability * survive(elapsed - stall_len)
    p_stall = p_stall / np.maximum(p_stall + (1.0 - c.stall_probability) * survive(elapsed), TINY)
    stall = np.where(u["stall"] < p_stall, stall_len, 0.0)
    built = np.maximum(elapsed - stall, 0.0)
    total = built + residual_lognormal(months, c.sigma_log, built, u["construction"])
    new["construction_days"] = np.where(building, total, new["construction_days"])
    new["stall_days"] = np.where(building, stall, new["stall_days"])
    new["construction_days"] = np.where(has["completed"], t["completed"] - t["started"], new["construction_days"])
    new["stall_days"] = np.where(has["completed"], 0.0, new["stall_days"])


def _residual_after_completion(
    new: dict[str, np.ndarray], now: _AsOf, m: ModelConfig, rows: Leads, u: dict[str, np.ndarray]
) -> None:
    """Registration and output of completed projects: a cure model given no event so far (in place)."""
    comp = m.completion
    reg_p = np.asarray(comp.registration_probability.as_tuple())[rows.sector]
    e = now.since("completed")
    for name, p, median, sigma, milestone in (
        ("registration", reg_p, comp.registration_median_days, comp.registration_sigma_log, "registered"),
        ("output", np.full(e.size, comp.output_probability), comp.output_median_days, comp.sigma_log, "output"),
    ):
        if sigma > 0:
            still = norm.sf((np.log(np.maximum(e, TINY)) - np.log(median)) / sigma)
        else:
            still = (e < median).astype(float)
        p_now = p * still / np.maximum(p * still + 1.0 - p, TINY)
        happens = u[f"{name}_decision"] < p_now
        rest = residual_lognormal(median, sigma, e, u[name])
        waiting = now.has["completed"] & ~now.has[milestone]
        new[f"{name}_days"] = np.where(waiting, np.where(happens, rest, np.nan), new[f"{name}_days"])
        new[f"{name}_days"] = np.where(now.has[milestone], np.nan, new[f"{name}_days"])


def _start_lag(now: _AsOf, ap: ApprovalConfig, parallel: np.ndarray) -> np.ndarray:
    """Site preparation left once both land and permits are in hand (days).

    ``parallel``: the project took 拿地即开工 up (its site starts within days of the land).
    """
    t = now.t
    lag = np.where(parallel, ap.parallel_start_lag_days, ap.start_lag_days)
    ready_since = np.where(now.has["permits"] & now.has["land"], now.day - np.fmax(t["permits"], t["land"]), np.nan)
    return np.where(np.isfinite(ready_since), np.maximum(lag - ready_since, 0.0), lag)


def _patience_now(
    fresh: ProjectPlan,
    new: dict[str, np.ndarray],
    now: _AsOf,
    m: ModelConfig,
    u: np.ndarray,
    parallel: np.ndarray,
    in_problem: np.ndarray,
) -> np.ndarray:
    """The investor's one waiting budget left on as_of (days), given the waits so far.

    As in the model (:mod:`sim.model.waiting`): one budget covers every queue of both chains and
    is spent by wall-clock time while any request waits. The waits so far are estimated from
    the ledger's dates: the land queue from the end of the problem (fresh problem days) to the
    land grant, the energy queue from the land delivery (sequential) or the end of the problem
    (parallel) to the energy grant, the approval queue from the file's completion (fresh
    applicant days) to the review. Sequential, they follow each other and add up; under
    拿地即开工 (``parallel``, the rule in force when the project's procedures began) the land
    and energy queues begin together, so the time spent is the union of the land wait with the
    energy and approval waits (:func:`_union_of_waits`). Patience is drawn given it outlasted
    that time (the project has not left).
    """
    has, t, n = now.has, now.t, u.size
    a = now.day

    def until(name: str) -> np.ndarray:
        return np.where(has[name], t[name], a)

    t_proc = np.where(has["procedures"], t["procedures"], np.nan)
    problem_end = np.where(in_problem, a, np.minimum(t_proc + fresh.problem_days[:n], a))
    in_land_queue = has["procedures"] & (new["land_mu"] > 0)
    land_wait = np.where(in_land_queue, np.maximum(until("land_granted") - problem_end, 0.0), 0.0)
    # (a problem ending after as_of gives no wait either way: every ``until`` is at most as_of)
    energy_from = _energy_asked_day(t_proc, t["land"], fresh.problem_days[:n], parallel)
    energy_wait = np.nan_to_num(np.maximum(until("energy_granted") - energy_from, 0.0))
    file_ready = np.where(has["energy"], t["energy"] + fresh.applicant_days[:n], np.nan)
    approval_wait = np.nan_to_num(np.maximum(until("review") - file_ready, 0.0))
    sequential = land_wait + energy_wait + approval_wait
    side_by_side = _union_of_waits(land_wait, energy_wait, np.nan_to_num(file_ready - problem_end), approval_wait)
    spent = np.where(parallel, side_by_side, sequential)
    wk = m.walkaway
    return residual_weibull(wk.patience_scale_days, wk.patience_shape, spent, u)


def _union_of_waits(
    land_wait: np.ndarray, energy_wait: np.ndarray, file_from_start: np.ndarray, approval_wait: np.ndarray
) -> np.ndarray:
    """Days in which at least one queue of a 拿地即开工 project waited (the union of its waits).

    The land and energy waits both begin when the problem ends (day 0 here); the approval wait
    begins ``file_from_start`` days later (after the energy wait, the assessment and the file),
    so it overlaps the land wait only where the land wait is longer.
    """
    together = np.maximum(land_wait, energy_wait)
    approval_end = file_from_start + approval_wait
    after = np.maximum(approval_end - np.maximum(file_from_start, together), 0.0)
    return together + np.where(approval_wait > 0, np.minimum(after, approval_wait), 0.0)


def _energy_asked_day(
    t_procedures: np.ndarray, t_land: np.ndarray, problem_days: np.ndarray, parallel: np.ndarray
) -> np.ndarray:
    """Model day each ledger project asks for its energy quota (NaN if its ledger cannot tell).

    Under 拿地即开工 (``parallel``) it asks when its problem is settled (procedures start +
    the fresh problem days, an estimate); otherwise when its land is delivered.
    """
    return np.where(parallel, t_procedures + problem_days, t_land)


def _known_in_problem(
    done: list[frozenset[str]], land_mu: np.ndarray, land_level_mu: float, *, first_fit: bool
) -> np.ndarray:
    """Ledger projects that must be in a problem (堵点) on as_of.

    Their procedures began and no quota was granted: in the model that is a problem not yet
    settled, or a wait for land (a problem is settled before any quota is asked for; under
    拿地即开工 land and energy are asked for together, so a project past its problem holds a
    land grant unless it waits for land). Under first fit (``land.reserve_for_head`` off, the
    default) a request the land in stock on as_of covers would have been served, so a project
    whose need that stock covers cannot be waiting for land; under head-of-line service only
    a stock covering every such need at once rules the wait out.
    """
    queues = ("land_granted", "energy_granted", "land", "energy")
    pending = np.array([("procedures" in d) and not any(q in d for q in queues) for d in done], dtype=bool)
    if first_fit:
        return pending & (land_mu <= land_level_mu)
    return pending & (land_level_mu >= float(np.sum(land_mu[pending])))


@dataclass(frozen=True)
class _LedgerDraws:
    """What the ledger projects' residuals are drawn from.

    Parameters
    ----------
    rows
        The ledger projects' leads (:func:`ledger_leads`): sectors and fresh latents.
    u
        One uniform per project for each name in :data:`RESIDUALS` (the ``nowcast`` stream).
    service_left
        Remaining approval service (review and permits) of files under review, days.
    parallel
        Whether each ledger project's procedures run land and paperwork side by side.
    in_problem
        Whether each ledger project is known to be in a problem (堵点) on as_of: its procedures
        began, no quota was granted, and it cannot be waiting for land (see
        :func:`_known_in_problem`).
    """

    rows: Leads
    u: dict[str, np.ndarray]
    service_left: np.ndarray
    parallel: np.ndarray
    in_problem: np.ndarray


@dataclass(frozen=True)
class _Regimes:
    """The settings in force after the campaign launch (``model``) and before it (``base``).

    A step begun before ``launch_day`` (model day) draws its residual under ``base``
    (:data:`STEP_OF_FIELD`); ``base is model`` when the study has no separate baseline.
    """

    model: ModelConfig
    base: ModelConfig
    launch_day: float


def _residual_plan(
    plan: ProjectPlan,
    ledger: pd.DataFrame,
    done: list[frozenset[str]],
    as_of_day: float,
    draws: _LedgerDraws,
    regimes: _Regimes,
) -> tuple[ProjectPlan, np.ndarray, np.ndarray]:
    """Overwrite the first ``len(ledger)`` rows of ``plan`` with what remains on ``as_of_day``.

    Parameters
    ----------
    plan
        Fresh plan of ledger projects followed by new leads.
    ledger
        Model-day ledger (:func:`sim.ledger.io.to_model`).
    done
        Milestones each ledger project has reached.
    as_of_day
        Model day the run restarts.
    draws
        The ledger projects' leads, residual uniforms, approval service left and procedure mode.
    regimes
        The settings after and before the launch, and the launch day.

    Returns
    -------
    plan, start_lag_days, patience_now_days
        For ledger projects: the residual plan, the site preparation left (days) and the
        investor's one waiting budget left (days, for every queue of both chains).
    """
    n = len(ledger)
    now = _AsOf(
        as_of_day,
        {str(c)[2:]: ledger[c].to_numpy(dtype=float) for c in ledger.columns if str(c).startswith("t_")},
        {ms: np.array([ms in d for d in done], dtype=bool) for ms in MILESTONES},
    )
    new = {name: np.array(v[:n], copy=True) for name, v in vars(plan).items()}
    for flag in ("foreign", "taiwan", "tech_talent", "in_park"):
        new[flag] = ledger[flag].to_numpy(dtype=bool)
    feedstock_share = np.divide(
        new["energy_feedstock_tce"], new["energy_tce"], where=new["energy_tce"] > 0, out=np.zeros(n)
    )
    for need in ("land_mu", "energy_tce"):
        given = ledger[need].to_numpy(dtype=float)
        new[need] = np.where(np.isfinite(given), given, new[need])
    new["energy_feedstock_tce"] = feedstock_share * new["energy_tce"]
    m, launch_day = regimes.model, regimes.launch_day
    new, patience_now = _residual_steps(plan, new, now, m, draws)
    if regimes.base is not m:  # a step begun before the launch keeps the settings then in force
        old, patience_old = _residual_steps(plan, new, now, regimes.base, draws)
        for name, milestone in STEP_OF_FIELD.items():
            began_before = now.has[milestone] & (now.t[milestone] < launch_day)
            new[name] = np.where(began_before, old[name], new[name])
        chain_before = now.has["procedures"] & (now.t["procedures"] < launch_day)
        patience_now = np.where(chain_before, patience_old, patience_now)
    new["resigned"] = np.zeros(n, dtype=bool)
    new["never_proceeds"] = new["never_proceeds"] & ~now.has["procedures"]
    merged = {name: np.concatenate([new[name], np.asarray(v)[n:]]) for name, v in vars(plan).items()}
    return ProjectPlan(**merged), _start_lag(now, m.approvals, draws.parallel), patience_now


# The step each residual belongs to (the milestone that began it): a step begun before the
# campaign launch keeps the baseline's settings, as in the model, where a process reads the
# regime in force when the step begins.
STEP_OF_FIELD: dict[str, str] = {
    "prework_days": "signed",
    "leave_days": "signed",
    "problem_days": "procedures",
    "leader_days": "procedures",
    "land_transfer_days": "land_granted",
    "energy_days": "energy_granted",
    "applicant_days": "energy",
    "review_days": "review",
    "permit_days": "review",
    "construction_days": "started",
    "stall_days": "started",
    "registration_days": "completed",
    "output_days": "completed",
}


def _residual_steps(
    fresh: ProjectPlan,
    start: dict[str, np.ndarray],
    now: _AsOf,
    m: ModelConfig,
    draws: _LedgerDraws,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Residual durations of every step under the settings ``m`` (a copy of ``start``) and the patience left."""
    new = {name: v.copy() for name, v in start.items()}
    rows, u = draws.rows, draws.u
    _residual_procedures(new, now, m, rows, u, draws.service_left, draws.in_problem)
    _residual_construction(new, now, m, rows, u)
    _residual_after_completion(new, now, m, rows, u)
    patience = _patience_now(fresh, new, now, m, u["patience"], draws.parallel, draws.in_problem)
    # leaving by time since signing: the residual given no departure by as_of; ledger rows
    # are signed projects (not re-signings), and those past pre-work did proceed
    wk = m.walkaway
    new["leave_days"] = residual_weibull(wk.leave_scale_days, wk.leave_shape, now.since("signed"), u["leave"])
    return new, patience
