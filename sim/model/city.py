"""Behaviour: the city's own processes beside the projects' lives.

The lead source (candidates thinned by the intensity in force), the monthly bulletin
(一月一通报), the campaign launch (攻坚 starts: the policy's levers apply and queues are
re-ranked), the monthly quota releases and the monitor of queues and leaders. Like
:mod:`sim.model.processes` they hold no literals and draw no random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy
from simpy.events import ProcessGenerator

from sim.config.checks import MONTHS_PER_YEAR
from sim.engine.resources import PriorityContainer
from sim.model.processes import appraise
from sim.model.recorder import ResourceLog
from sim.model.system import QuotaRelease, System


def lead_source(env: simpy.Environment, s: System, intensity_changes: list[float]) -> ProcessGenerator:
    """Each candidate lead comes on its day if the intensity in force keeps it (thinning).

    The intensity changes only on the days in ``intensity_changes`` (the monthly bulletins and
    the campaign launch; the last is the horizon), so the candidates arriving before the next
    change are thinned together when the previous one is in force (:meth:`System.leads_coming`),
    and each that comes is appraised from its arrival day.
    """
    first = 0
    for change in intensity_changes:
        coming, first = s.leads_coming(first, change)
        for project in coming:
            appraise(env, project, s, s.p.arrival_day[project])
        yield env.timeout(change - env.now)


def monthly_bulletin(env: simpy.Environment, s: System, schedule: list[tuple[float, int, int]]) -> ProcessGenerator:
    """一月一通报: the monthly bulletin, and the promotion effort that answers it.

    On each (day, year, month) it compares every unit's signings with its pace line.
    """
    for day, year, month in schedule:
        if day > env.now:
            yield env.timeout(day - env.now)
        s.publish_bulletin(env.now, year, month)


def launch_campaign(env: simpy.Environment, s: System, launch_day: float) -> ProcessGenerator:
    """The campaign launches (攻坚 starts): the policy's levers (``s.launch_regime``) apply from this day on.

    Steps that begin afterwards read the new durations, priorities and rules; leaders'
    attention and approval capacity change by the difference between the regimes. Then the
    steps parked at a look-ahead past the launch are replayed under the policy
    (:meth:`System.replay_parked`). Every plain run has a launch, the status quo too, so the
    state on the launch day is the same whatever the policy.
    """
    yield env.timeout(launch_day - env.now)
    assert s.launch_regime is not None
    launch = s.launch_regime
    cfg, lists = launch.regime
    for tier, (old, new) in enumerate(zip(s.cfg.problems.leader_capacity, cfg.problems.leader_capacity, strict=True)):
        s.leaders_free[tier] += new - old
    s.approvals.set_capacity(cfg.approvals.capacity_projects)
    s.put_in_force(launch)
    # one priority key for the backlog and new requests: the waiting lines are re-ranked
    # under the new rule (差别化供给 ranks the carried-over backlog by size too)
    s.land.rekey(lambda request: lists.land_priority[request.project])
    s.energy.rekey(lambda request: lists.energy_priority[request.project])
    s.approvals.rekey(lambda request: (lists.approval_priority[request.project], request.time, False))
    s.land.set_first_fit(not cfg.land.reserve_for_head)
    s.energy.set_first_fit(not cfg.energy.reserve_for_head)
    s.replay_parked()  # the look-aheads that reached the launch before it, now under the policy


def release_quota(
    env: simpy.Environment,
    pool: PriorityContainer,
    name: str,
    month_starts: list[float],
    rule: Callable[[float], QuotaRelease],
    log: ResourceLog,
    skip_before: float = -math.inf,
) -> ProcessGenerator:
    """Release a monthly tranche of quota at each month start, and log the pool.

    ``rule(day)`` gives the release in force that month (it changes at the campaign launch).
    On each 1 January after the first, the unused quota is carried over only in part; the
    rest lapses with the annual plan. Month starts before ``skip_before`` are skipped (a
    nowcast starts with the level on its ``as_of`` date; a tranche on that day waits for the
    ledger's projects to rejoin their queues).
    """
    for month, day in enumerate(month_starts):
        if day < skip_before:
            continue
        if day > env.now:
            yield env.timeout(day - env.now)
        elif day == skip_before:
            # a nowcast's tranche on as_of comes after the ledger's projects have rejoined their
            # queues (their start-up steps are urgent events of this instant), so it is shared by
            # the queue's priority, as the tranche was in the run the ledger records
            yield env.timeout(0.0)
        release = rule(day)
        if month and month % MONTHS_PER_YEAR == 0:
            pool.lapse(1.0 - release.carryover_share)
        if release.tranche > 0:
            yield pool.put(release.tranche)
        log.log(env.now, name, "added", pool.added)
        log.log(env.now, name, "granted", pool.granted)
        log.log(env.now, name, "lapsed", pool.lapsed)
        log.log(env.now, name, "returned", pool.returned)
        log.log(env.now, name, "idle", pool.idle)
        log.log(env.now, name, "recovered", pool.recovered)
        log.log(env.now, name, "level", pool.level)
        log.log(env.now, name, "waiting", pool.waiting)


def monitor(env: simpy.Environment, s: System, month_starts: list[float]) -> ProcessGenerator:
    """Log approval queue and leaders' free attention at each month start."""
    for day in month_starts:
        if day > env.now:
            yield env.timeout(day - env.now)
        s.log.log(env.now, "approvals", "busy", s.approvals.count)
        s.log.log(env.now, "approvals", "waiting", len(s.approvals.queue))
        for tier, free in enumerate(s.leaders_free):
            s.log.log(env.now, f"leaders_tier{tier}", "free", free)
