"""Behaviour: a nowcast's projects resume mid-life on the ledger's ``as_of`` date.

Each ledger project re-enters its stage with the steps it has done (:func:`resume_life`); a
file under review keeps its approval office for the service left (:func:`finish_review`).
The state they start from is built by :mod:`sim.nowcast`.
"""

from __future__ import annotations

import math
from typing import Any

import simpy
from simpy.events import ProcessGenerator

from sim.engine.clock import at
from sim.model.processes import (
    StepResult,
    appraise,
    assess_energy,
    build_and_reach_output,
    deliver_land,
    hold,
    obtain_energy,
    obtain_land,
    obtain_permits,
    prepare,
    reach_output,
    resolve_problem,
    start_and_build,
)
from sim.model.system import System
from sim.model.waiting import WaitingBudget


def resume_source(env: simpy.Environment, s: System) -> ProcessGenerator:
    """Nowcast: start every project at its release day, mid-lifecycle if it is in the ledger.

    Ledger projects (``s.start.done[project]`` not None) resume with :func:`resume_life`;
    leads still in appraisal on ``as_of`` and leads arriving later are appraised (:func:`appraise`).
    """
    assert s.start is not None
    release = s.start.release_day
    for project in sorted(range(len(release)), key=release.__getitem__):
        if release[project] > env.now:
            yield env.timeout(release[project] - env.now)
        done = s.start.done[project]
        if done is None:
            if s.lead_comes(project, env.now):
                appraise(env, project, s, env.now)
            continue
        s.ledger.enter(project)
        env.process(resume_life(env, project, s, done))


def resume_life(env: simpy.Environment, project: int, s: System, done: frozenset[str]) -> ProcessGenerator:
    """Carry a ledger project from where it stood on ``as_of`` through the rest of its life.

    ``done`` holds the milestones it had reached; the plan holds what remains (residual
    durations drawn by :mod:`sim.nowcast`), and construction time counts from the start.
    """
    assert s.start is not None
    if "started" not in done:
        s.leave_day[project] = env.now + s.p.leave_days[project]
    if "procedures" not in done:
        procedures = prepare(s, project, env.now)
        if procedures is None:
            return
        yield at(env, procedures)
        s.ledger.record("procedures", project, env.now)
    if "started" not in done:
        if not {"land", "energy", "permits"} <= done:
            ready = yield from resume_procedures(env, project, s, done)
            if not ready:
                return
        start_and_build(s, project, env.now, s.start.start_lag_days[project])
    elif "completed" not in done:
        built = env.now - s.ledger.times["started"][project]
        left = max(s.p.construction_days[project] + s.p.stall_days[project] - built, 0.0)
        build_and_reach_output(s, project, env.now, left)
    else:
        reach_output(s, project, env.now)


def resume_procedures(env: simpy.Environment, project: int, s: System, done: frozenset[str]) -> StepResult:
    """The procedures a ledger project has not finished, in the order :func:`do_procedures` runs them.

    A project holding its land quota only waits for the transfer, one holding its energy quota
    only for the assessment. Its investor's one waiting budget (:mod:`sim.model.waiting`) is what
    it has left on ``as_of`` (``s.start.patience_now``), shared by both chains under 拿地即开工, as
    in :func:`~sim.model.processes.do_procedures`.
    """
    assert s.start is not None
    solved = yield from resolve_problem(env, project, s)
    if not solved:
        return False
    if "land_granted" in done:
        s.held_land[project] = s.p.land_mu[project]
    if "energy_granted" in done:
        s.held_energy[project] = s.p.energy_tce[project]
    land = [] if "land" in done else [deliver_land if "land_granted" in done else obtain_land]
    paper = [] if "energy" in done else [assess_energy if "energy_granted" in done else obtain_energy]
    paper += [] if "permits" in done else [finish_review if "review" in done else obtain_permits]
    patience = WaitingBudget(s.start.patience_now[project])
    if not s.start.parallel_procedures[project]:
        return (yield from run_steps(env, project, s, land + paper, patience))
    runs = [
        env.process(run_steps(env, project, s, land, patience)),
        env.process(run_steps(env, project, s, paper, patience)),
    ]
    yield env.all_of(runs)
    return all(run.value for run in runs)


def run_steps(env: simpy.Environment, project: int, s: System, steps: list[Any], patience: WaitingBudget) -> StepResult:
    """Run procedure ``steps`` in order; every queue wait spends the investor's one budget ``patience``."""
    for step in steps:
        ok = yield from step(env, project, s, patience)
        if not ok:
            return False
    return True


def finish_review(env: simpy.Environment, project: int, s: System, patience: WaitingBudget) -> StepResult:
    """A file an approval office was reviewing on ``as_of``: it keeps an office until the permits.

    It asks ahead of every waiting file (it held the office already), for its remaining
    review and permit time (the plan's ``review_days``); the investor may still leave on its
    leave day meanwhile, as in :func:`seek_permits`.
    """
    request = s.approvals.request_at_once(-math.inf, project)
    if not request.triggered:  # else served the moment it was made
        yield request
    ok = yield from hold(env, project, s, s.p.review_days[project] + s.p.permit_days[project], "procedures")
    s.approvals.free(request)
    if not ok:
        return False
    s.ledger.record("permits", project, env.now)
    return True
