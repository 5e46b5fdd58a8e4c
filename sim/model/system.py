"""Structure: build the simulated city (resources, plans, sources) for one replication.

:func:`build_model` creates the quota containers, the approval offices and the leaders'
attention, turns the leads' latent draws into per-project plans, and starts the source
processes. It holds no behaviour; the behaviour is in :mod:`sim.model.processes`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import simpy

from cityplan.calendar import Calendar
from sim.config.checks import MONTHS_PER_YEAR
from sim.config.model import ModelConfig
from sim.engine.resources import HeapPriorityResource, PriorityContainer, QueuedRequest
from sim.model.attraction import EffortState, intensity_factor, intensity_factors, pace_shares, target_of
from sim.model.land_plan import annual_land_quota_mu
from sim.model.leads import Leads
from sim.model.project_plan import ProjectPlan
from sim.model.recorder import ProjectLedger, ResourceLog


@dataclass(frozen=True)
class QuotaRelease:
    """How a quota is released in a month: the tranche, and the share carried over at year end."""

    tranche: float
    carryover_share: float


@dataclass(slots=True)
class PlanLists:
    """One regime's plan as Python lists, one element per project, read by the processes.

    The fields are :class:`~sim.model.project_plan.ProjectPlan`'s (same names, same meaning)
    followed by the leads' :data:`LEAD_LISTS`. List indexing is several times faster than
    numpy scalar indexing in the hot path, and a slots dataclass reads an attribute as fast
    as the ``SimpleNamespace`` it replaces. Built by :func:`plan_lists` only; never mutated.
    """

    # ProjectPlan's fields, in its order
    passes: list[bool]
    quality: list[float]
    size_tier: list[int]
    leader_tier: list[int]
    in_park: list[bool]
    foreign: list[bool]
    taiwan: list[bool]
    tech_talent: list[bool]
    land_mu: list[float]
    energy_tce: list[float]
    appraisal_days: list[float]
    city_review_days: list[float]
    prework_days: list[float]
    land_transfer_days: list[float]
    energy_days: list[float]
    applicant_days: list[float]
    review_days: list[float]
    permit_days: list[float]
    problem_days: list[float]
    leader_days: list[float]
    construction_days: list[float]
    stall_days: list[float]
    registration_days: list[float]
    output_days: list[float]
    patience_days: list[float]
    land_priority: list[float]
    energy_priority: list[float]
    approval_priority: list[float]
    never_proceeds: list[bool]
    leave_days: list[float]
    resigned: list[bool]
    energy_national: list[bool]
    energy_feedstock_tce: list[float]
    spend_span_factor: list[float]
    ready: list[bool]
    prework_median_days: list[float]
    energy_review_exempt: list[bool]
    parallel_procedures: list[bool]
    start_lag_days: list[float]
    on_meeting_agenda: list[bool]
    # the leads' (LEAD_LISTS)
    arrival_day: list[float]
    investment_yi: list[float]
    from_event: list[bool]
    series_slot: list[int]
    accept_u: list[float]


class Regime(NamedTuple):
    """The rules in force on a day: the model configuration and the plan lists it gives."""

    cfg: ModelConfig
    lists: PlanLists


class LaunchRegime(NamedTuple):
    """The policy's regime waiting for the campaign launch: its rules and the plan they come from."""

    regime: Regime
    plan: ProjectPlan


class AfterLaunchError(Exception):
    """A look-ahead reached the campaign launch while the clock is before it (:meth:`System.regime_at`).

    The rules in force on that day are not known before the launch: the step that looked ahead
    is parked (:meth:`System.park`) and replayed at the launch under the regime then in force.
    """


def plan_lists(plan: ProjectPlan, leads: Leads, shared_with: tuple[ProjectPlan, PlanLists] | None = None) -> PlanLists:
    """The plan as Python lists (:class:`PlanLists`), read one element at a time by the processes.

    ``shared_with``: another plan of the same leads (the baseline's) and its lists; a field
    whose array is the same bit for bit shares that list (lists are only read): converting
    every field of every candidate lead twice was most of the time building the model took.
    """
    values: dict[str, Any] = {}
    for name, array in vars(plan).items():
        if not isinstance(array, np.ndarray):
            values[name] = array
        elif shared_with is not None and _same_bits(array, getattr(shared_with[0], name)):
            values[name] = getattr(shared_with[1], name)
        else:
            values[name] = array.tolist()
    for name in LEAD_LISTS:
        values[name] = getattr(leads, name).tolist() if shared_with is None else getattr(shared_with[1], name)
    return PlanLists(**values)


# Attributes of the leads the processes read as lists, beside the plan's.
LEAD_LISTS: tuple[str, ...] = ("arrival_day", "investment_yi", "from_event", "series_slot", "accept_u")


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays hold the same values bit for bit (same dtype and shape)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def land_release(cfg: ModelConfig, calendar: Calendar, day: float) -> QuotaRelease:
    """Land quota released in the month starting ``day``: a twelfth of the year's quota plus reclamation.

    The year's quota follows the land its expected projects need (:mod:`sim.model.land_plan`).
    """
    land = cfg.land
    year = calendar.first_year
    while calendar.year_start(year + 1) <= day:
        year += 1
    quota = annual_land_quota_mu(cfg, year)
    return QuotaRelease(quota / MONTHS_PER_YEAR + land.reclamation_mu_per_month, land.carryover_share)


def energy_release(cfg: ModelConfig, calendar: Calendar, day: float) -> QuotaRelease:
    """Energy quota released in the month starting ``day``: the quota (none once frozen) plus the swap.

    Energy freed by retiring backward capacity (腾退) is released even when the ordinary quota
    is frozen: it is how a frozen city makes room for new projects.
    """
    e = cfg.energy
    frozen = bool(e.frozen_from_year) and day >= calendar.year_start(e.frozen_from_year)
    quota = 0.0 if frozen else e.quota_tce_per_year / MONTHS_PER_YEAR
    return QuotaRelease(quota + e.swap_tce_per_month, e.carryover_share)


def feedstock_day(cfg: ModelConfig, calendar: Calendar) -> float:
    """Model day from which feedstock energy is deducted from a request (inf = never)."""
    deducted_from = cfg.energy.feedstock_deducted_from
    return calendar.day_of(deducted_from) if deducted_from else math.inf


@dataclass(frozen=True)
class StartState:
    """Where a nowcast starts: the city on ``as_of_day``, built by :mod:`sim.nowcast`.

    Projects are the ledger's projects followed by the replication's new leads. Lists hold
    one element per project.

    Attributes
    ----------
    as_of_day
        Model day the run restarts (the day after the ledger's date).
    plan
        Every project's plan; for ledger projects it holds residual durations.
    release_day
        Model day each project's process starts.
    done
        Milestones a ledger project had reached (None for new leads: full lifecycle).
    history
        Milestone -> model days already reached (NaN otherwise), copied into the ledger.
    start_lag_days
        Days of site preparation left before the start (after permits).
    patience_now
        Days of queue waiting the investor still tolerates on ``as_of``: its one waiting budget
        for all the queues it has left, on either chain (:mod:`sim.model.waiting`).
    land_level_mu, energy_level_tce
        Quota in stock on ``as_of_day`` (亩, 吨标煤).
    parallel_procedures
        Whether a ledger project runs land and paperwork side by side (拿地即开工): the rule in
        force when its procedures began (the baseline's if before the campaign launch).
    idle_recoveries
        ``(project, day, amount)``: idle land (闲置土地) of an investor who left before
        ``as_of_day`` that the city recovers into the quota on ``day`` (亩), after ``as_of_day``.
    helped
        Ledger projects a leader takes up from ``as_of`` (领导帮办, ``nowcast.helped_rows``):
        their problem gets their tier's leader even when that tier's attention is all taken.
    """

    as_of_day: float
    plan: ProjectPlan
    release_day: list[float]
    done: list[frozenset[str] | None]
    history: dict[str, np.ndarray]
    start_lag_days: list[float]
    patience_now: list[float]
    land_level_mu: float
    energy_level_tce: float
    parallel_procedures: list[bool]
    idle_recoveries: list[tuple[int, float, float]] = field(default_factory=list)
    helped: frozenset[int] = frozenset()


@dataclass
class System:
    """Everything a process may touch: resources, per-project plan, recorder, config.

    ``cfg``, ``plan`` and ``p`` are the regime in force: the baseline (no levers) until the
    campaign launch, then the policy's (:func:`sim.model.city.launch_campaign` swaps them
    with :meth:`put_in_force`). A process reads them when a step begins, so a lever applies
    to steps begun after launch.

    Launch-boundary continuations: before the launch nothing reads the policy's regime. A
    chain of pure delays computed ahead (:mod:`sim.model.processes`) that reaches a day at or
    after the launch meets :class:`AfterLaunchError` in :meth:`regime_at`; its step is parked in
    ``at_launch`` and replayed, from its start, once the launch has put the policy in force.
    So the state on the launch day is the same under every policy (the years before it can be
    simulated once for many policies, :mod:`sim.run.fork`), in every run.
    """

    env: simpy.Environment
    cfg: ModelConfig
    calendar: Calendar
    leads: Leads
    plan: ProjectPlan
    p: PlanLists
    land: PriorityContainer
    energy: PriorityContainer
    approvals: HeapPriorityResource
    leaders_free: list[int]
    walked: list[bool]
    # Model day the investor leaves if it has not started by then (inf until signed).
    leave_day: list[float]
    # Quota granted and not yet in use (亩, 吨标煤): released if the investor leaves.
    held_land: list[float]
    held_energy: list[float]
    # Requests a project is waiting on (withdrawn if it leaves); model day from which
    # feedstock energy is deducted (inf = never).
    pending: dict[int, list[QueuedRequest]]
    feedstock_day: float
    ledger: ProjectLedger
    log: ResourceLog
    year_starts: list[float]
    # Model day of the Spring Festival of each simulated year, first_year first.
    festival_days: list[float]
    base_plan: ProjectPlan
    launch_day: float

    # Set when the run starts from a planner ledger (nowcast); None for a normal run.
    start: StartState | None = None
    # The policy's regime until the campaign launch puts it in force; None after.
    launch_regime: LaunchRegime | None = None
    # Model day the run stops (1 January after the last year): nothing at or after it is recorded.
    horizon_day: float = math.inf
    # Units' promotion effort, moved by the monthly bulletin (sim.model.attraction).
    effort: EffortState | None = None
    # Pace line of each (year, month weights): share of the year's target due by each month start.
    pace_lines: dict[tuple[int, tuple[float, ...]], list[float]] = field(default_factory=dict)
    # ``Regime(cfg, p)``, built once per regime: :meth:`regime_at` answers ~40,000 times a
    # replication, and building a NamedTuple each time would cost ~2% of it (measured).
    in_force: Regime = field(init=False, repr=False)
    # The regime in force before the launch (the baseline's): what a replayed step reads for its days before it.
    before_launch: Regime = field(init=False, repr=False)
    # Steps parked at a look-ahead past the launch, replayed in order at the launch (:meth:`park`).
    at_launch: list[tuple[Callable[..., None], tuple[Any, ...]]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.in_force = self.before_launch = Regime(self.cfg, self.p)

    def park(self, step: Callable[..., None], *args: Any) -> None:
        """Replay ``step(*args)`` at the launch: it looked ahead past the launch before it (:class:`AfterLaunchError`).

        Re-running a step from its start is exact: before its first read of a day after the
        launch it only assigns (ledger records, the leave day, held quota set to 0), the same
        values again, and every day it computes after that read is at or after the launch.
        """
        self.at_launch.append((step, args))

    def replay_parked(self) -> None:
        """At the launch, with the policy in force: run every parked step, in the order parked."""
        parked, self.at_launch = self.at_launch, []
        for step, args in parked:
            step(*args)

    def put_in_force(self, launch: LaunchRegime) -> None:
        """Make ``launch`` the regime in force (the campaign launch); nothing waits to launch after."""
        self.cfg, self.p = self.in_force = launch.regime
        self.plan = launch.plan
        self.launch_regime = None

    def year_of(self, day: float) -> int:
        """Calendar year containing model ``day``."""
        return self.calendar.first_year + bisect.bisect_right(self.year_starts, day) - 1

    def lead_comes(self, project: int, day: float) -> bool:
        """Thinning: whether candidate ``project`` comes on ``day``.

        It comes if its uniform is below the intensity in force over the candidate ceiling
        (:func:`sim.model.attraction.intensity_factor`).
        """
        assert self.effort is not None
        year = self.year_of(day)
        factor = intensity_factor(
            self.cfg,
            self.effort,
            project,
            tier=self.p.size_tier[project],
            from_event=self.p.from_event[project],
            series_slot=self.p.series_slot[project],
            last_year=year == self.calendar.last_year,
            target=target_of(self.cfg.attraction, year),
        )
        return bool(self.p.accept_u[project] * self.cfg.attraction.candidate_intensity_factor < factor)

    def leads_coming(self, first: int, end_day: float) -> tuple[list[int], int]:
        """Thinning of the candidates from ``first`` that arrive before ``end_day``, decided now.

        The intensity in force stays the same until ``end_day`` (the next bulletin or the
        launch), so each candidate gets the decision :meth:`lead_comes` gives on its own day.
        Returns the candidates that come (ascending) and the first candidate not decided.
        """
        assert self.effort is not None
        end = bisect.bisect_left(self.p.arrival_day, end_day, lo=first)
        projects = np.arange(first, end)
        year = self.year_of(self.env.now)
        factor = intensity_factors(
            self.cfg,
            self.effort,
            projects,
            tier=self.plan.size_tier[first:end],
            from_event=self.leads.from_event[first:end],
            series_slot=self.leads.series_slot[first:end],
            last_year=year == self.calendar.last_year,
            target=target_of(self.cfg.attraction, year),
        )
        comes = self.leads.accept_u[first:end] * self.cfg.attraction.candidate_intensity_factor < factor
        return projects[comes].tolist(), end

    def regime_at(self, day: float) -> Regime:
        """Config and plan lists in force on model ``day``: the baseline's before the launch, the policy's after.

        Raises :class:`AfterLaunchError` for a day at or after the launch while the clock is before it
        (the policy is not in force yet): the caller's step is parked until the launch. A day
        before the launch after it is a parked step replayed, which reads the baseline's.
        """
        if day < self.launch_day:
            return self.before_launch
        if self.launch_regime is not None:
            raise AfterLaunchError
        return self.in_force

    def publish_bulletin(self, day: float, year: int, month: int, *, log: bool = True) -> None:
        """The monthly bulletin of ``month`` (0-11) of ``year``: effort answers each unit's pace.

        ``log=False`` replays a past bulletin (a nowcast rebuilding the effort on ``as_of``).
        """
        assert self.effort is not None
        a = self.cfg.attraction
        target = target_of(a, year)
        weights = tuple(self.cfg.demand.month_weights)
        if (year, weights) not in self.pace_lines:
            self.pace_lines[year, weights] = pace_shares(weights, self.calendar, year).tolist()
        pace = self.pace_lines[year, weights][month]
        signed = np.zeros_like(self.effort.effort)
        if target is not None:
            signed = self.effort.signings_to_date(
                a, self.ledger.times["signed"], self.year_starts[year - self.calendar.first_year], day, target
            )
        self.effort.bulletin(a, target, pace, signed)
        if log:
            self.log.log(day, "promotion", "effort_mean", float(self.effort.effort.mean()))

    def land_release(self, day: float) -> QuotaRelease:
        """Land quota release on ``day`` under the regime in force."""
        return land_release(self.cfg, self.calendar, day)

    def energy_release(self, day: float) -> QuotaRelease:
        """Energy quota release on ``day`` under the regime in force."""
        return energy_release(self.cfg, self.calendar, day)

    def day_of_year(self, day: float) -> float:
        """Days since 1 January of the year containing model ``day``."""
        i = bisect.bisect_right(self.year_starts, day) - 1
        return day - self.year_starts[i]

    def festival_lull(self, day: float) -> tuple[float, float]:
        """The Spring Festival dead period of the year containing ``day``: [start, end) model days.

        Under the regime in force that day (``construction.dead_period_days_before/after_festival``).
        """
        i = bisect.bisect_right(self.year_starts, day) - 1
        festival = self.festival_days[i]
        c = self.regime_at(day).cfg.construction
        return festival - c.dead_period_days_before_festival, festival + c.dead_period_days_after_festival

    def next_year_start(self, day: float) -> float:
        """Model day of the next 1 January after ``day``."""
        return self.year_starts[bisect.bisect_right(self.year_starts, day)]
