"""Behaviour: one generator per real step of a project's life, read like the process map.

lead arrives -> appraise (前期研判, city review if >= 10亿) -> sign (签约; a re-signing of a
project signed before is recorded, not counted again) -> prework (a signing that never
proceeds, 签而不落, ends here) -> procedures (手续: resolve problems, land, energy, permits;
sequential, or permits in parallel with land under 拿地即开工) -> start (开工) -> construct ->
complete (竣工) -> register (列统) and reach output (达效).

From signing to the start the investor may leave: at its leave day (a hazard growing with
the time since signing, in any step) or when its waits in queues, on either chain, outlast
its one budget of patience (:mod:`sim.model.waiting`). Quota granted to
a project that leaves goes back to the pool, or, once the plot is delivered, lies idle until
the city recovers it (闲置土地); the ledger records which.

Every duration comes from the project's precomputed plan (:mod:`sim.model.project_plan`); processes hold
no literals and draw no random numbers. Bookkeeping goes to the ledger.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Generator
from typing import Any

import simpy
from simpy.events import ProcessGenerator

from sim.engine.clock import at
from sim.engine.detached import Detached
from sim.engine.resources import PriorityContainer, QueuedRequest
from sim.model.system import AfterLaunchError, PlanLists, System
from sim.model.waiting import WaitingBudget

StepResult = Generator[simpy.Event, Any, bool]


def appraise(env: simpy.Environment, project: int, s: System, day: float) -> None:
    """A lead that came on ``day``: due diligence (前期研判); >= 10亿 projects wait for the city review.

    Both are pure delays, so a lead screened out or signed again (a re-signing of a project
    signed before is recorded, not counted again) is recorded on the day it happens with no
    process; a signing starts the project's life, which waits for that day. A chain that
    reaches the campaign launch before it is parked and replayed at the launch
    (:meth:`~sim.model.system.System.park`).
    """
    try:
        appraise_and_sign(env, project, s, day)
    except AfterLaunchError:
        s.park(appraise, env, project, s, day)


def appraise_and_sign(env: simpy.Environment, project: int, s: System, day: float) -> None:
    """:func:`appraise`'s chain from the arrival to the start of procedures (pure delays, computed now)."""
    s.ledger.enter(project)
    appraised = day + s.regime_at(day).lists.appraisal_days[project]
    p = s.regime_at(appraised).lists
    if not p.passes[project]:
        record_ahead(s, "rejected", project, appraised)
        return
    review = p.city_review_days[project]
    signing = appraised + review if review > 0 else appraised
    if s.regime_at(signing).lists.resigned[project]:
        record_ahead(s, "resigned", project, signing)
        return
    if signing >= s.horizon_day:
        return
    s.ledger.record("signed", project, signing)
    s.leave_day[project] = signing + s.regime_at(signing).lists.leave_days[project]
    procedures = prepare(s, project, signing)
    if procedures is not None:
        Detached(env, project_life(env, project, s), start=at(env, procedures))


def record_ahead(s: System, milestone: str, project: int, day: float) -> None:
    """Record ``milestone`` on ``day`` (now or later, after pure delays) if the run gets there."""
    if day < s.horizon_day:
        s.ledger.record(milestone, project, day)


def project_life(env: simpy.Environment, project: int, s: System) -> ProcessGenerator:
    """Carry one project from the start of its procedures until the start, or until it walks away.

    Runs as a :class:`~sim.engine.detached.Detached` process from the day its procedures begin. Before,
    from the arrival to the end of pre-work, and after, from the end of the procedures on, its
    life is pure delays (:func:`appraise`, :func:`prepare`, :func:`start_and_build`).
    """
    s.ledger.record("procedures", project, env.now)
    ready = yield from do_procedures(env, project, s)
    if ready:
        start_and_build(s, project, env.now, s.p.start_lag_days[project])


def prepare(s: System, project: int, day: float) -> float | None:
    """Pre-work from ``day`` (前期工作): the day procedures begin, or None if the project ends here.

    A pure delay: the investor may leave at its leave day (walk cause ``prework``), and a
    signing that never proceeds (签而不落) is dropped at its end; both are recorded on their
    day, as :func:`hold` and :func:`walk_away` would. None also if the run ends first.
    """
    left = s.leave_day[project] - day
    days = s.regime_at(day).lists.prework_days[project]
    if days > left:
        walk_away_ahead(s, project, day + max(left, 0.0), "prework")
        return None
    end = day + days
    if end >= s.horizon_day:
        return None
    if s.regime_at(end).lists.never_proceeds[project]:
        walk_away_ahead(s, project, end, "never_proceeds")
        return None
    return end


def walk_away_ahead(s: System, project: int, day: float, cause: str) -> None:
    """The investor of a project holding no quota and waiting in no line leaves on ``day`` (if the run gets there)."""
    if day < s.horizon_day:
        s.walked[project] = True
        s.ledger.walk_away(cause, project, day)


def hold(env: simpy.Environment, project: int, s: System, days: float, cause: str) -> StepResult:
    """Spend ``days`` on a step; the investor leaves at its leave day if that comes first.

    Returns False if the investor has left (now, or earlier in a parallel chain).
    """
    left = s.leave_day[project] - env.now
    if days <= left:
        yield env.timeout(days)
        return not s.walked[project]
    yield env.timeout(max(left, 0.0))
    walk_away(env, project, s, cause)
    return False


def walk_away(env: simpy.Environment, project: int, s: System, cause: str) -> None:
    """The investor leaves: record it, withdraw its waiting requests, release the quota it holds.

    Quota granted but not yet used goes back to the pool; land already delivered lies idle
    (闲置土地) until the city recovers it after ``land.idle_recovery_days``.
    """
    if s.walked[project]:
        return
    s.walked[project] = True
    s.ledger.walk_away(cause, project, env.now)
    for request in s.pending.pop(project, ()):
        if not request.triggered:
            request.cancel()
    land, energy = s.held_land[project], s.held_energy[project]
    s.held_land[project] = s.held_energy[project] = 0.0
    if land > 0 and math.isnan(s.ledger.times["land"][project]):
        s.land.give_back(land)
        s.ledger.record("land_returned", project, env.now)
    elif land > 0:
        s.land.lie_idle(land)
        s.ledger.record("land_idle", project, env.now)
        if s.cfg.land.idle_recovery_days > 0:
            env.process(recover_idle_land(env, project, s, land, s.cfg.land.idle_recovery_days))
    if energy > 0:
        s.energy.give_back(energy)
        s.ledger.record("energy_returned", project, env.now)


def recover_idle_land(env: simpy.Environment, project: int, s: System, amount: float, days: float) -> ProcessGenerator:
    """The city recovers an idle plot (闲置土地处置) into the land quota after ``days``."""
    yield env.timeout(days)
    s.land.recover_idle(amount)
    s.ledger.record("land_recovered", project, env.now)


def do_procedures(env: simpy.Environment, project: int, s: System) -> StepResult:
    """Procedures (手续): settle any problem, then land, energy and permits.

    Conventionally land -> energy -> permits, one after the other. A project that takes
    拿地即开工 up (its uptake draw, ``model.uptake.parallel_with_land``) prepares the energy
    assessment and permits while the land is delivered, and is ready when both are done.
    """
    solved = yield from resolve_problem(env, project, s)
    if not solved:
        return False
    patience = waiting_budget(s, project)
    if not s.p.parallel_procedures[project]:
        for step in (obtain_land, take_energy_quota):
            ok = yield from step(env, project, s, patience)
            if not ok:
                return False
        file_rules = yield from assess_energy_then_file(env, project, s)
        if file_rules is None:
            return False
        return (yield from seek_permits(env, project, s, patience, file_rules))
    paperwork = env.process(energy_then_permits(env, project, s, patience))
    land = yield from obtain_land(env, project, s, patience)
    paperwork_done = yield paperwork
    return bool(land and paperwork_done)


def waiting_budget(s: System, project: int) -> WaitingBudget:
    """The investor's one waiting budget for all its queues: its patience under the rules in force now.

    Drawn when its procedures begin (after any problem), shared by every queue of whichever
    chain it takes (:mod:`sim.model.waiting`).
    """
    return WaitingBudget(s.p.patience_days[project])


def energy_then_permits(env: simpy.Environment, project: int, s: System, patience: WaitingBudget) -> StepResult:
    """Energy assessment, then permits: the paperwork chain run beside land delivery."""
    ok = yield from obtain_energy(env, project, s, patience)
    if not ok:
        return False
    return (yield from obtain_permits(env, project, s, patience))


def resolve_problem(env: simpy.Environment, project: int, s: System) -> StepResult:
    """A problem (堵点) holds the project until the fastest available route settles it.

    Routes: the ordinary route; the project's assigned leader (领导挂钩帮办) if its size tier
    has attention free; the next problem-resolution meeting (问题会办) plus follow-up if the
    project is on the meetings' agenda. A project a leader has taken up (a nowcast's help,
    ``StartState.helped``) gets its leader even when the tier's attention is all taken.
    """
    ordinary = s.p.problem_days[project]
    if ordinary <= 0:
        return True
    tier = s.p.leader_tier[project]
    taken_up = s.start is not None and project in s.start.helped
    has_leader = tier >= 0 and (s.leaders_free[tier] > 0 or taken_up)
    routes = [ordinary]
    if has_leader:
        s.leaders_free[tier] -= 1
        routes.append(s.p.leader_days[project])
    interval = s.cfg.problems.meeting_interval_days
    if interval > 0 and s.p.on_meeting_agenda[project]:
        next_meeting = (math.floor(env.now / interval) + 1) * interval
        routes.append(next_meeting - env.now + s.cfg.problems.meeting_followup_days)
    ok = yield from hold(env, project, s, min(routes), "procedures")
    if has_leader:
        s.leaders_free[tier] += 1
    return ok


def wait_in_line(
    env: simpy.Environment, request: QueuedRequest, project: int, s: System, patience: WaitingBudget, cause: str
) -> StepResult:
    """Wait for ``request``; the investor leaves if the wait outlasts its patience or its leave day.

    ``patience`` is the investor's one waiting budget (:class:`~sim.model.waiting.WaitingBudget`):
    every wait of either chain spends it, by wall-clock time while any of its requests waits, so
    the hazard of leaving grows with all the waiting so far. A granted request returns True even
    if the investor left meanwhile (the caller gives the grant back).
    """
    if request.triggered:
        return True
    start = env.now
    waiting = s.pending.setdefault(project, [])
    waiting.append(request)
    # while this request waits the budget runs down one day a day (another chain's wait runs
    # the same clock), so it runs out left_on(start) days from now
    tolerated = patience.left_on(start)
    patience.begin(start)
    yield request | env.timeout(max(min(tolerated, s.leave_day[project] - start), 0.0))
    patience.end(env.now)
    waited = env.now - start
    s.ledger.add_wait(cause, project, waited)
    if request in waiting:
        waiting.remove(request)
    if request.triggered:
        return True
    if not s.walked[project]:
        request.cancel()
        walk_away(env, project, s, cause)
    return False


def take_quota(
    env: simpy.Environment,
    pool: PriorityContainer,
    amount: float,
    priority: float,
    project: int,
    s: System,
    patience: WaitingBudget,
    cause: str,
) -> StepResult:
    """Queue for ``amount`` of a quota (land 亩 or energy 吨标煤) and hold what is granted.

    The ledger records the amount drawn from the city's pool (``<resource>_quota``). A grant
    that arrives just as the investor leaves goes straight back to the pool.
    """
    if amount <= 0:
        return not s.walked[project]
    if not pool.take_at_once(amount, priority):
        ok = yield from wait_in_line(env, pool.get(amount, priority, project), project, s, patience, cause)
        if not ok:
            return False
    s.ledger.quota[cause][project] = amount
    if s.walked[project]:
        pool.give_back(amount)
        s.ledger.record(f"{cause}_returned", project, env.now)
        return False
    held = s.held_land if cause == "land" else s.held_energy
    held[project] = amount
    return True


def obtain_land(env: simpy.Environment, project: int, s: System, patience: WaitingBudget) -> StepResult:
    """Get land quota, then the land transfer (征地, 招拍挂) delivers the plot (供地)."""
    p = s.p
    ok = yield from take_quota(env, s.land, p.land_mu[project], p.land_priority[project], project, s, patience, "land")
    if not ok:
        return False
    s.ledger.record("land_granted", project, env.now)
    return (yield from deliver_land(env, project, s, patience))


def deliver_land(env: simpy.Environment, project: int, s: System, patience: WaitingBudget) -> StepResult:
    """The land transfer (征地, 招拍挂) after the quota is granted delivers the plot (供地)."""
    ok = yield from hold(env, project, s, s.p.land_transfer_days[project], "land")
    if not ok:
        return False
    s.ledger.record("land", project, env.now)
    return True


def energy_need_tce(env: simpy.Environment, project: int, s: System) -> float:
    """Energy quota the project needs from the city (吨标煤).

    National major projects draw on the national reserve (0 from the city); feedstock use
    is deducted from the date the rule applies (calibration.md §8).
    """
    p = s.p
    if p.energy_national[project]:
        return 0.0
    feedstock = p.energy_feedstock_tce[project] if env.now >= s.feedstock_day else 0.0
    return float(p.energy_tce[project] - feedstock)


def obtain_energy(env: simpy.Environment, project: int, s: System, patience: WaitingBudget) -> StepResult:
    """Get energy quota, then the energy assessment (能评)."""
    ok = yield from take_energy_quota(env, project, s, patience)
    if not ok:
        return False
    return (yield from assess_energy(env, project, s, patience))


def take_energy_quota(env: simpy.Environment, project: int, s: System, patience: WaitingBudget) -> StepResult:
    """Queue for the energy quota the project needs (吨标煤) and hold it."""
    need = energy_need_tce(env, project, s)
    ok = yield from take_quota(env, s.energy, need, s.p.energy_priority[project], project, s, patience, "energy")
    if not ok:
        return False
    s.ledger.record("energy_granted", project, env.now)
    return True


def assess_energy(env: simpy.Environment, project: int, s: System, patience: WaitingBudget) -> StepResult:
    """The energy assessment (能评) once the energy quota is granted."""
    ok = yield from hold(env, project, s, s.p.energy_days[project], "energy")
    if not ok:
        return False
    s.ledger.record("energy", project, env.now)
    return True


def assess_energy_then_file(
    env: simpy.Environment, project: int, s: System
) -> Generator[simpy.Event, Any, PlanLists | None]:
    """Sequential chain: the energy assessment (能评), then the applicant prepares the file.

    Two pure delays in one wait: the same days, sums, regime and walk-away causes as
    :func:`assess_energy` followed by the file's :func:`hold` in :func:`obtain_permits`; the
    assessment's end is recorded by arithmetic. Only where no parallel chain can make the
    investor leave in between. Returns the plan lists in force when the file was begun (the
    office's rules for it, as in :func:`obtain_permits`), or None if the investor left. A
    file begun after the campaign launch while the clock is before it waits for the launch to
    read its rules (one event more; the days met are the same, :func:`~sim.engine.clock.at`).
    """
    left = s.leave_day[project] - env.now
    days = s.p.energy_days[project]
    if days > left:
        yield env.timeout(max(left, 0.0))
        walk_away(env, project, s, "energy")
        return None
    assessed = env.now + days
    record_ahead(s, "energy", project, assessed)
    left = s.leave_day[project] - assessed
    try:
        rules = s.regime_at(assessed).lists
    except AfterLaunchError:  # the file is begun after the launch: its rules are known at the launch
        yield at(env, s.launch_day)
        rules = s.regime_at(assessed).lists
    days = rules.applicant_days[project]
    if days <= left:
        yield at(env, assessed + days)
        return rules
    yield at(env, assessed + max(left, 0.0))
    walk_away(env, project, s, "procedures")
    return None


def obtain_permits(env: simpy.Environment, project: int, s: System, patience: WaitingBudget) -> StepResult:
    """Applicant prepares the file, then waits for an approval office: review and permits."""
    rules = s.p
    ok = yield from hold(env, project, s, rules.applicant_days[project], "procedures")
    if not ok:
        return False
    return (yield from seek_permits(env, project, s, patience, rules))


def seek_permits(
    env: simpy.Environment, project: int, s: System, patience: WaitingBudget, rules: PlanLists
) -> StepResult:
    """With the file ready, wait for an approval office: review and permits.

    ``rules``: the plan lists in force when the file was begun; the request's priority and the
    review and permit days are read from them (a file begun before the launch keeps the
    baseline's, as it always has).
    """
    request = s.approvals.request_at_once(rules.approval_priority[project], project)
    ok = yield from wait_in_line(env, request, project, s, patience, "approvals")
    if ok and not s.walked[project]:
        s.ledger.record("review", project, env.now)
        ok = yield from hold(env, project, s, rules.review_days[project] + rules.permit_days[project], "procedures")
    if request.triggered:
        s.approvals.free(request)
    if not ok or s.walked[project]:
        return False
    s.ledger.record("permits", project, env.now)
    return True


def start_and_build(s: System, project: int, ready_day: float, lag_days: float) -> None:
    """Site preparation, the start (开工), construction, completion, registration and output.

    After ``ready_day`` (procedures done) nothing can stop the project: every step is a pure
    delay, so each milestone is recorded by arithmetic on the day the event path reaches it
    (same sums in the same order), under the regime in force on that day. ``lag_days`` is
    the site preparation (``approvals.start_lag_days``, or a nowcast's remainder). A chain
    that reaches the campaign launch before it is parked and replayed at the launch
    (:meth:`~sim.model.system.System.park`).
    """
    try:
        start_build_and_complete(s, project, ready_day, lag_days)
    except AfterLaunchError:
        s.park(start_and_build, s, project, ready_day, lag_days)


def start_build_and_complete(s: System, project: int, ready_day: float, lag_days: float) -> None:
    """:func:`start_and_build`'s chain from the end of procedures to output (pure delays, computed now)."""
    s.held_land[project] = s.held_energy[project] = 0.0  # the quota is in use from the start
    start = ready_day + lag_days
    if start >= s.horizon_day:
        return
    lull_start, lull_end = s.festival_lull(start)  # no start in the Spring Festival lull
    if lull_start <= start < lull_end:
        # not ``lull_end``: the event path waited (lull_end - start) from start, and floating
        # point may round that sum differently; the same sum keeps the tables bit-identical
        start = start + (lull_end - start)
    start = join_ceremony(s, ready_day, start)
    record_ahead(s, "started", project, start)
    p = s.regime_at(start).lists
    build_and_reach_output(s, project, start, p.construction_days[project] + p.stall_days[project])


def join_ceremony(s: System, ready_day: float, start: float) -> float:
    """The start day once a concentrated-start ceremony (集中开工) or the year-end deadline pulls it forward.

    A project whose procedures are done (``ready_day``) and whose site preparation would end
    on ``start`` starts at a ceremony (or the year-end assessment deadline) that falls on or
    after ``ready_day``, before ``start`` and at most ``construction.ceremony_pull_days``
    before it, outside the Spring Festival dead period; the latest such day (model days).
    The start so brought forward is the one the city verifies and counts (calibration.md §4, §6).
    """
    c = s.regime_at(ready_day)[0].construction
    earliest = max(ready_day, start - c.ceremony_pull_days)
    i = bisect.bisect_right(s.year_starts, start) - 1
    days = [s.year_starts[j] + d for j in (i - 1, i) if 0 <= j < len(s.year_starts) for d in c.ceremony_days_of_year]
    for day in sorted(days, reverse=True):
        if earliest <= day < start:
            lull_start, lull_end = s.festival_lull(day)
            if not lull_start <= day < lull_end:
                return day
    return start


def build_and_reach_output(s: System, project: int, day: float, build_days: float) -> None:
    """Build (with any stall) from ``day`` for ``build_days`` until completion (竣工验收), then output."""
    completed = day + build_days
    if completed >= s.horizon_day:
        return
    s.ledger.record("completed", project, completed)
    reach_output(s, project, completed)


def reach_output(s: System, project: int, completed: float) -> None:
    """After completion on day ``completed``: statistical registration (列统) and design output (达效)."""
    p = s.regime_at(completed).lists
    delays = [
        (d, m)
        for d, m in ((p.registration_days[project], "registered"), (p.output_days[project], "output"))
        if not math.isnan(d)
    ]
    day, elapsed = completed, 0.0
    for delay, milestone in sorted(delays):
        day, elapsed = day + (delay - elapsed), delay
        record_ahead(s, milestone, project, day)
