"""Nowcast: restart the simulated city from a planner's ledger on its ``as_of`` date.

Every ledger project resumes in its stage with the time it has already spent there. A
duration that is one lognormal in the model (prework, land transfer, energy assessment, the
applicant's file, construction, registration and output delays) is drawn from its residual
distribution given the time elapsed: ``u ~ U(F(elapsed), 1)``, ``d = F^-1(u)``, remaining
``d - elapsed``; construction also weighs the chance of a stall, registration and output the
chance they never happen (cure model). A file under review on ``as_of`` (审批受理日期) keeps an
approval office for the service left, conditioned by rejection on fresh draws. The
investor's patience (Weibull) is drawn the same way given the days already waited in the
current queue. A project still in pre-work has its quality (which sets the pre-work median)
drawn from its posterior given the pre-work has lasted so far. A project known to be in a
problem (堵点) on ``as_of`` (procedures begun, no quota, and the land in stock would have served
its request) has its ordinary and leader's routes drawn given they outlasted the elapsed time.
Approximations: a project that may be waiting for land instead keeps a problem drawn afresh,
``max(draw - elapsed, 0)`` (the exact posterior if a project past its problem would still be
waiting); no problem outlasts the first problem-resolution meeting (问题会办) after it began plus
the follow-up, and a leader free on ``as_of`` takes an ongoing problem (the leaders' attention
before ``as_of`` is not in a ledger); a project waiting for land or energy quota on ``as_of``
rejoins that queue (by signing date, or by size under the "size" rule); a file with energy
approved but no review date is taken to be still in preparation. Residuals come from the
``nowcast`` stream, never from the streams that made a simulated ledger, so the nowcast cannot
know a project's future draws.

Quotas in stock on ``as_of`` are replayed from the model's release rule (initial stock,
monthly tranches, partial carry-over at 1 January) less every grant in the ledger (quota
used by projects not in the ledger is not deducted); the idle land (闲置土地) of an investor
who left before ``as_of`` comes back on its recovery day after it. Leads are drawn over the full
horizon as in a normal run (common random numbers); those arriving after ``as_of`` and
those still in appraisal on ``as_of`` enter the run, the rest are history the ledger holds.

Retrofits are not in a project ledger: their targets are forecast by the model for the whole
year in every replication (nothing counted as achieved). Industrial investment spent before
``as_of`` by projects still building follows the S-curve of their redrawn duration, so its
achieved part is a model estimate (exact for projects completed by ``as_of``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import simpy
from scipy.special import betaincinv
from scipy.stats import norm

from analysis.kpis import kpi_matrix
from sim.calendar import Calendar
from sim.config import SECTORS, ApprovalConfig, ModelConfig, PreworkConfig, StudyConfig
from sim.leads import DECISION_LATENTS, DURATION_LATENTS, Leads
from sim.ledger.io import LedgerError, Problem, load_ledger, to_model
from sim.ledger.recorder import MILESTONES
from sim.ledger.tolerant import LedgerRead, read_office_ledger
from sim.model import QuotaRelease, StartState, System, build_model, energy_release, feedstock_day, land_release
from sim.plan import DAYS_PER_MONTH, ProjectPlan, lognormal_days, plan_projects
from sim.runner import kpi_window
from sim.units import UNIT_KEYS

log = logging.getLogger(__name__)

TINY = 1e-300  # floor of survival probabilities before inverting (avoids inf)


def residual_lognormal(
    median_days: np.ndarray | float, sigma_log: float, elapsed: np.ndarray, u: np.ndarray
) -> np.ndarray:
    """Remaining days of a lognormal duration that has lasted ``elapsed`` days.

    Draws ``d`` from the lognormal (median, sigma) conditioned on ``d > elapsed`` by inverting
    ``u`` on ``(F(elapsed), 1)``; returns ``d - elapsed`` (days, >= 0).
    """
    median = np.broadcast_to(np.asarray(median_days, dtype=float), elapsed.shape)
    e = np.maximum(elapsed, 0.0)
    if sigma_log == 0:
        return np.maximum(median - e, 0.0)
    with np.errstate(divide="ignore"):
        x = (np.log(e) - np.log(median)) / sigma_log
    survive = np.maximum((1.0 - u) * norm.sf(x), TINY)
    return np.maximum(median * np.exp(sigma_log * norm.isf(survive)) - e, 0.0)


def residual_weibull(scale_days: float, shape: float, elapsed: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Remaining days of a Weibull(shape, scale) time that has lasted ``elapsed`` days (closed form)."""
    e = np.maximum(elapsed, 0.0)
    return scale_days * ((e / scale_days) ** shape - np.log1p(-u)) ** (1.0 / shape) - e


@functools.lru_cache(maxsize=4)
def read_ledger_file(path: str, as_of: str, strict: bool) -> LedgerRead:
    """Read a ledger once per process: strictly (template, all or nothing) or as offices send it.

    Raises LedgerError (strict: any problem; tolerant: no header, or no project read).
    """
    if strict:
        ledger = load_ledger(path, as_of=as_of)
        rows = ledger.index.to_numpy() + 2  # the template's header is row 1
        account = pd.DataFrame({"source_row": rows, "status": "read", "reason": ""})
        return LedgerRead(ledger.assign(source_row=rows), ledger, account)
    got = read_office_ledger(path, as_of=as_of)
    if got.ledger.empty:
        refused = got.account[got.account["status"] == "refused"]
        first = refused.head(20)
        problems = [
            Problem(int(row), "row", reason, "a project row that validates")
            for row, reason in zip(first["source_row"].to_numpy(dtype=int), first["reason"], strict=True)
        ]
        raise LedgerError(path, problems or [Problem(0, "file", path, "at least one project row")])
    return got


@functools.lru_cache(maxsize=4)
def load_model_ledger(path: str, as_of: str, first_year: int, strict: bool = False) -> pd.DataFrame:
    """Read, validate and convert a ledger once per process (raises LedgerError).

    Projects are put in one order whatever the file's (signing date, unit, name: unique once
    validated), so a ledger sorted or grouped differently, e.g. by county, gives the same
    nowcast: the fresh draws of :func:`ledger_leads` follow this order.
    """
    read = read_ledger_file(path, as_of, strict).ledger
    ordered = read.sort_values(["signed_date", "unit", "name"], kind="stable").reset_index(drop=True)
    ledger = to_model(ordered, Calendar(first_year, first_year))
    log.info("ledger %s: %d projects on %s", path, len(ledger), as_of)
    return ledger


def _subset(leads: Leads, idx: np.ndarray) -> Leads:
    return leads.take(idx)


def _concat(a: Leads, b: Leads) -> Leads:
    return Leads.concat(a, b)


def ledger_leads(ledger: pd.DataFrame, rng: np.random.Generator) -> Leads:
    """Leads for the ledger's projects: their sector and size, fresh latents from ``rng``.

    The signing day stands in for the arrival day (it orders first-come queues).
    """
    n = len(ledger)
    return Leads(
        arrival_day=ledger["t_signed"].to_numpy(dtype=float),
        sector=np.asarray([SECTORS.index(s) for s in ledger["sector"]], dtype=np.int8),
        investment_yi=ledger["investment_yi"].to_numpy(dtype=float),
        from_event=np.zeros(n, bool),
        event_taiwan=ledger["taiwan"].to_numpy(dtype=bool) & ledger["foreign"].to_numpy(dtype=bool),
        z=rng.standard_normal((len(DURATION_LATENTS), n)),
        u=rng.random((len(DECISION_LATENTS), n)),
        patience_u=rng.random(n),
        unit=_unit_index(ledger),
    )


def _unit_index(ledger: pd.DataFrame) -> np.ndarray:
    """Each ledger project's unit as an index of :data:`sim.units.UNIT_KEYS` (-1 if not given)."""
    index = {key: i for i, key in enumerate(UNIT_KEYS)}
    units = ledger["unit"] if "unit" in ledger else pd.Series([""] * len(ledger))
    return np.asarray([index.get(str(u), -1) for u in units.fillna("")], dtype=np.int8)


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
    launch, the policy's after), exactly as :func:`sim.processes.release_quota` applies it.
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


QUALITY_GRID_POINTS = 201  # posterior of a project's quality on this many points of [min_quality, 1]


def quality_given_prework(elapsed: np.ndarray, pw: PreworkConfig, min_quality: float, u: np.ndarray) -> np.ndarray:
    """A signed project's quality given its pre-work has lasted ``elapsed`` days (inverse CDF of ``u``).

    Quality (uniform on [min_quality, 1] among appraised projects) sets the pre-work median,
    ``median_days * exp(-quality_effect * (q - 0.5))``: a project still in pre-work after
    many days is more likely a slow, low-quality one. The posterior density is proportional
    to the chance the pre-work outlasts ``elapsed`` at that quality; drawing the quality from
    the prior instead made long-waiting projects too quick (too many second-half starts).
    """
    grid = np.linspace(min_quality, 1.0, QUALITY_GRID_POINTS)
    medians = pw.median_days * np.exp(-pw.quality_effect * (grid - 0.5))
    e = np.where(np.isfinite(elapsed), np.maximum(elapsed, 0.0), 0.0)
    with np.errstate(divide="ignore"):
        x = (np.log(e)[:, None] - np.log(medians)[None, :]) / max(pw.sigma_log, TINY)
    weight = norm.sf(x) + TINY  # (projects, grid)
    cdf = np.cumsum(weight, axis=1)
    cdf /= cdf[:, -1:]
    index = (cdf < u[:, None]).sum(axis=1)
    return grid[np.minimum(index, QUALITY_GRID_POINTS - 1)]


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
    plus the follow-up, as in :func:`sim.processes.resolve_problem`.
    """
    has, since = now.has, now.since
    pw = m.prework
    in_prework = has["signed"] & ~has["procedures"]
    quality = quality_given_prework(since("signed"), pw, m.appraisal.min_quality, u["quality"])
    new["quality"] = np.where(in_prework, quality, new["quality"])
    prework_median = pw.median_days * np.exp(-pw.quality_effect * (new["quality"] - 0.5))
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
        new["problem_days"] = np.where(
            has["procedures"], np.minimum(new["problem_days"], by_meeting), new["problem_days"]
        )
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
    new["energy_days"] = np.where(has["energy_granted"], rest, new["energy_days"])
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


def _start_lag(now: _AsOf, ap: ApprovalConfig) -> np.ndarray:
    """Site preparation left once both land and permits are in hand (days)."""
    t = now.t
    ready_since = np.where(now.has["permits"] & now.has["land"], now.day - np.fmax(t["permits"], t["land"]), np.nan)
    return np.where(np.isfinite(ready_since), np.maximum(ap.start_lag_days - ready_since, 0.0), ap.start_lag_days)


def _patience_now(
    fresh: ProjectPlan,
    new: dict[str, np.ndarray],
    now: _AsOf,
    m: ModelConfig,
    u: np.ndarray,
    parallel: np.ndarray,
    in_problem: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Patience each procedure chain has left on as_of (days), given the waits so far.

    As in the model (:func:`sim.processes.do_procedures`): sequential procedures give every
    queue (land, energy, approvals) the investor's full patience, a fresh tolerance per office;
    under 拿地即开工 (``parallel``, the rule in force when the project's procedures began) land is
    one chain and energy + approvals another, each spending one budget that starts from the same
    patience. The waits so far are estimated from the ledger's dates: the land queue from the
    end of the problem (fresh problem days) to the land grant, the energy queue from the land
    delivery (sequential) or the end of the problem (parallel) to the energy grant, the
    approval queue from the file's completion (fresh applicant days) to the review. Patience is
    drawn given it outlasted every wait it was spent on (the project has not left): the
    longest single queue wait (sequential) or the longest chain's total (parallel).

    Returns
    -------
    land_chain, paper_chain
        Parallel: patience left in each chain (days). Sequential: patience left in the queue the
        project waits in on as_of (its full patience if it waits in none), and the full
        patience every later queue gets.
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
    paper = energy_wait + approval_wait
    # sequential: the wait in the queue the project is in on as_of (0 between queues; a quota
    # of 0 is granted, and recorded, at once)
    current = np.where(~has["land_granted"], land_wait, np.where(~has["energy_granted"], energy_wait, approval_wait))
    spent_land = np.where(parallel, land_wait, current)
    spent_paper = np.where(parallel, paper, 0.0)
    longest = np.where(
        parallel, np.maximum(land_wait, paper), np.maximum(np.maximum(land_wait, energy_wait), approval_wait)
    )
    wk = m.walkaway
    patience = longest + residual_weibull(wk.patience_scale_days, wk.patience_shape, longest, u)
    return patience - spent_land, patience - spent_paper


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
) -> tuple[ProjectPlan, np.ndarray, tuple[np.ndarray, np.ndarray]]:
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
        patience left in each procedure chain (land chain, paper chain; days).
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
        patience_now = (
            np.where(chain_before, patience_old[0], patience_now[0]),
            np.where(chain_before, patience_old[1], patience_now[1]),
        )
    new["resigned"] = np.zeros(n, dtype=bool)
    new["never_proceeds"] = new["never_proceeds"] & ~now.has["procedures"]
    merged = {name: np.concatenate([new[name], np.asarray(v)[n:]]) for name, v in vars(plan).items()}
    return ProjectPlan(**merged), _start_lag(now, m.approvals), patience_now


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
) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, np.ndarray]]:
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


SERVICE_CANDIDATES = 32  # fresh service draws per file under review, to condition on its elapsed time


def residual_service(
    rows: Leads, elapsed: np.ndarray, model: ModelConfig, rng: np.random.Generator, k: int = SERVICE_CANDIDATES
) -> np.ndarray:
    """Remaining approval service (review, any rework, permits) of files under review for ``elapsed`` days.

    The service is a sum (and a mixture), so it is conditioned by rejection: ``k`` fresh plans
    of each project, the first service longer than ``elapsed``; if none is, the lognormal of
    the summed medians is conditioned instead (far in the tail).
    """
    n = len(rows)
    tiled = Leads(
        np.tile(rows.arrival_day, k),
        np.tile(rows.sector, k),
        np.tile(rows.investment_yi, k),
        np.zeros(k * n, bool),
        np.zeros(k * n, bool),
        rng.standard_normal((len(DURATION_LATENTS), k * n)),
        rng.random((len(DECISION_LATENTS), k * n)),
        rng.random(k * n),
    )
    plan = plan_projects(tiled, model)
    service = (plan.review_days + plan.permit_days).reshape(k, n)
    longer = service > elapsed
    first = service[np.argmax(longer, axis=0), np.arange(n)] - elapsed
    ap = model.approvals
    tail = residual_lognormal(ap.review_median_days + ap.permit_median_days, ap.sigma_log, elapsed, rng.random(n))
    return np.where(longer.any(axis=0), first, tail)


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
        The replication's full-horizon leads (:func:`sim.leads.draw_leads`).
    rng
        The replication's ``nowcast`` stream (residuals of ledger projects).
    """
    cal = Calendar(cfg.run.first_year, cfg.run.target_year)
    a = cal.day_of(cfg.nowcast.as_of) + 1.0
    n = len(ledger)
    rows = ledger_leads(ledger, rng)
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
    parallel = np.where(
        np.isfinite(t_proc) & (t_proc < launch), base.approvals.parallel_with_land, m.approvals.parallel_with_land
    )
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
        base.land.initial_stock_mu,
        a,
        returns=(np.where(land_grant <= walked, land_back, np.nan), land_mu),
    )
    in_problem = _known_in_problem(done, land_mu, land_level, first_fit=not m.land.reserve_for_head)
    draws = _LedgerDraws(rows, u, service_left, parallel, in_problem)
    plan, lag, patience_now = _residual_plan(plan, ledger, done, a, draws, _Regimes(m, base, launch))
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
        start_lag_days=np.concatenate([lag, np.full(len(pending), m.approvals.start_lag_days)]).tolist(),
        patience_now=np.concatenate([patience_now[0], plan.patience_days[n:]]).tolist(),
        paper_patience_now=np.concatenate([patience_now[1], plan.patience_days[n:]]).tolist(),
        land_level_mu=land_level,
        energy_level_tce=energy_level,
        parallel_procedures=[*parallel.tolist(), *([m.approvals.parallel_with_land] * len(pending))],
        idle_recoveries=[(int(i), float(land_back[i]), float(land_mu[i])) for i in recovering],
    )
    return everyone, start


def with_ledger_units(frame: pd.DataFrame, cfg: StudyConfig) -> pd.DataFrame:
    """A nowcast replication's project ledger with each ledger project's ``unit`` (county/park key).

    Projects ``0 .. len(ledger) - 1`` of a nowcast are the ledger's, in its order
    (:func:`starting_state`); the others keep the ``unit`` the model gave them, or "" if none.
    """
    now = cfg.nowcast
    units = load_model_ledger(now.ledger, now.as_of, cfg.run.first_year, now.strict)["unit"].to_numpy(dtype=object)
    column = frame["unit"].to_numpy(dtype=object).copy() if "unit" in frame else np.full(len(frame), "", dtype=object)
    project = frame["project"].to_numpy(dtype=int)
    ours = project < len(units)
    column[ours] = units[project[ours]]
    return frame.assign(unit=column.astype(str))


def simulate_from_ledger(cfg: StudyConfig, leads: Leads, streams: dict[str, np.random.Generator]) -> System:
    """Run one nowcast replication from ``cfg.nowcast.ledger`` on ``as_of`` to the horizon."""
    cal = Calendar(cfg.run.first_year, cfg.run.target_year)
    ledger = load_model_ledger(cfg.nowcast.ledger, cfg.nowcast.as_of, cfg.run.first_year, cfg.nowcast.strict)
    everyone, start = starting_state(cfg, ledger, leads, streams["nowcast"])
    env = simpy.Environment(initial_time=start.as_of_day)
    system = build_model(env, cfg.model, cal, everyone, start=start)
    env.run(until=cal.horizon_days)
    return system


def actual_monthly(ledger: pd.DataFrame, cfg: StudyConfig) -> pd.DataFrame:
    """The targets' actual path in the target year up to ``as_of``, from the ledger alone.

    Months whose end is after ``as_of`` are left out; retrofit targets are not in a project
    ledger and are left out too. Projects still building spend along the S-curve whose
    duration matches their reported spending (``spent_to_date_yi``); without it, along the
    median duration of their size tier (all build phases). Industrial investment is left out
    too when it counts retrofits (``definitions.industrial_investment_with_retrofits``).

    Returns
    -------
    DataFrame
        Columns ``target``, ``month`` (1..12), ``date`` (month end), ``value``.
    """
    cal = Calendar(cfg.run.first_year, cfg.run.target_year)
    a = cal.day_of(cfg.nowcast.as_of) + 1.0
    c = cfg.model.construction
    started = ledger["t_started"].to_numpy(dtype=float)
    inv = ledger["investment_yi"].to_numpy(dtype=float)
    share = ledger["spent_to_date_yi"].to_numpy(dtype=float) / (inv * c.spend_realisation_share)
    x = betaincinv(c.spend_curve_a, c.spend_curve_b, np.clip(share, 1e-9, 1.0 - 1e-9))
    tier = np.clip(np.searchsorted(np.asarray((0.1, 1.0, 10.0, 50.0)), inv, side="right") - 1, 0, 3)
    phases = 1.0 / (1.0 - np.asarray(c.later_phase_share_by_tier)[tier])  # spending span / first phase
    median = np.asarray(c.median_months_by_tier)[tier] * DAYS_PER_MONTH * phases
    build = np.where(np.isfinite(share), (a - started) / x, median)
    build = np.where(np.isfinite(ledger["t_completed"]), (ledger["t_completed"] - started) * phases, build)
    frame = ledger.assign(build_days=build)
    no_retrofits = pd.DataFrame({"investment_yi": [], "t_started": [], "t_benchmark": []})
    # retrofits, and spending that counts retrofits, are not in a project ledger
    with_retrofits = cfg.definitions.industrial_investment_with_retrofits
    projects = {
        k: t.measure
        for k, t in cfg.plan.targets.items()
        if t.measure.stream == "projects" and not (t.measure.with_retrofits and with_retrofits)
    }
    values = kpi_matrix(frame, no_retrofits, kpi_window(cfg), list(projects.values()))
    month_ends = cal.month_ends(cfg.run.target_year)
    dates = pd.date_range(f"{cfg.run.target_year}-01-31", periods=12, freq="ME")
    rows = [
        {"target": key, "month": j + 1, "date": dates[j], "value": values[i, j]}
        for i, key in enumerate(projects)
        for j in range(12)
        if month_ends[j] <= a
    ]
    return pd.DataFrame(rows, columns=["target", "month", "date", "value"])
