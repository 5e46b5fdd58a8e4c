"""Structure: build one replication's SimPy environment, resources and plans, and start its processes.

Three ways to start: plain (the status quo until the campaign launch, then the policy's
regime), and from a nowcast's starting state (:class:`sim.model.system.StartState`).
Holds no behaviour: the processes are in :mod:`sim.model.processes`, :mod:`sim.model.city`
and :mod:`sim.model.resume`.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from cityplan.calendar import Calendar
from cityplan.errors import ConfigError
from sim.config.model import ModelConfig
from sim.engine.resources import HeapPriorityResource, PriorityContainer
from sim.model.attraction import EffortState
from sim.model.city import launch_campaign, lead_source, monitor, monthly_bulletin, release_quota
from sim.model.land_plan import initial_land_stock_mu
from sim.model.leads import Leads
from sim.model.processes import recover_idle_land
from sim.model.project_plan import plan_projects
from sim.model.recorder import ProjectLedger, ResourceLog
from sim.model.resume import resume_source
from sim.model.system import LaunchRegime, Regime, StartState, System, feedstock_day, plan_lists


def policy_regime(cfg: ModelConfig, system: System) -> LaunchRegime:
    """The policy's regime (``cfg`` and its plan of the system's leads), to be put in force at the launch.

    Its plan lists share every list equal to the baseline's (:func:`~sim.model.system.plan_lists`);
    a policy with the baseline's rules (the status quo) gets the baseline's own regime. A
    forked cell (:mod:`sim.run.fork`) swaps its own in before the launch.
    """
    if cfg == system.before_launch.cfg:
        return LaunchRegime(system.before_launch, system.base_plan)
    plan = plan_projects(system.leads, cfg)
    return LaunchRegime(Regime(cfg, plan_lists(plan, system.leads, shared_with=(system.base_plan, system.p))), plan)


def build_model(
    env: simpy.Environment,
    cfg: ModelConfig,
    calendar: Calendar,
    leads: Leads,
    *,
    baseline: ModelConfig | None = None,
    launch_day: float = 0.0,
    start: StartState | None = None,
) -> System:
    """Create resources and plans, and start the source processes.

    Parameters
    ----------
    env
        A fresh SimPy environment (time in days since ``calendar.first_year``-01-01).
    cfg
        Model configuration with scenario and policy applied.
    calendar
        Simulated years.
    leads
        The replication's leads (:func:`sim.model.leads.draw_leads`).
    baseline
        The same scenario without levers, in force until ``launch_day``; None = ``cfg``
        on both sides of the launch.
    launch_day
        Model day from which ``cfg`` (the levers) applies.
    start
        Nowcast starting state (ledger projects first, then ``leads``); ``env`` must start
        at ``start.as_of_day``. None = every lead from its arrival. A nowcast runs under
        ``cfg`` from its start (its ledger already holds what happened before).
    """
    if (
        baseline is not None
        and baseline.attraction.candidate_intensity_factor != cfg.attraction.candidate_intensity_factor
    ):
        raise ConfigError(
            "config field 'model.attraction.candidate_intensity_factor' differs between the scenario and the "
            "policy: expected one value for both (the candidate leads are drawn once, at that ceiling)"
        )

    # every plain run has a launch, the status quo's too (its regime is the same on both
    # sides): the look-aheads that reach it wait for it (sim.model.system.System.park)
    switch = start is None and launch_day > 0
    start_cfg = baseline if switch and baseline is not None else cfg
    start_plan = plan_projects(leads, start_cfg) if start is None else start.plan
    year_starts = [calendar.year_start(y) for y in range(calendar.first_year, calendar.last_year + 2)]
    system = System(
        env=env,
        cfg=start_cfg,
        calendar=calendar,
        leads=leads,
        plan=start_plan,
        p=plan_lists(start_plan, leads),
        land=PriorityContainer(
            env,
            init=initial_land_stock_mu(start_cfg, calendar.first_year) if start is None else start.land_level_mu,
            first_fit=not start_cfg.land.reserve_for_head,
        ),
        energy=PriorityContainer(
            env,
            init=start_cfg.energy.initial_stock_tce if start is None else start.energy_level_tce,
            first_fit=not start_cfg.energy.reserve_for_head,
        ),
        approvals=HeapPriorityResource(env, capacity=start_cfg.approvals.capacity_projects),
        leaders_free=list(start_cfg.problems.leader_capacity),
        walked=[False] * len(leads),
        leave_day=[math.inf] * len(leads),
        held_land=[0.0] * len(leads),
        held_energy=[0.0] * len(leads),
        pending={},
        feedstock_day=feedstock_day(cfg, calendar),
        ledger=ProjectLedger(len(leads)),
        log=ResourceLog(),
        year_starts=year_starts,
        festival_days=[calendar.festival_day(y) for y in range(calendar.first_year, calendar.last_year + 1)],
        base_plan=start_plan,
        launch_day=launch_day if switch else 0.0,
        start=start,
        effort=EffortState.start(leads.unit, leads.sector, leads.investment_yi),
        horizon_day=calendar.horizon_days,
    )
    month_starts = np.concatenate(
        [calendar.month_starts(y) for y in range(calendar.first_year, calendar.last_year + 1)]
    ).tolist()
    if switch:
        system.launch_regime = policy_regime(cfg, system)
        env.process(launch_campaign(env, system, launch_day))
    skip_before = -np.inf
    if start is not None:
        skip_before = start.as_of_day
        for milestone, days in start.history.items():
            system.ledger.times[milestone][:] = days
        env.process(resume_source(env, system))
        for project, day, amount in start.idle_recoveries:
            env.process(recover_idle_land(env, project, system, amount, day - start.as_of_day))
    env.process(
        release_quota(
            env, system.land, "land_mu", month_starts, system.land_release, system.log, skip_before=skip_before
        )
    )
    env.process(
        release_quota(
            env, system.energy, "energy_tce", month_starts, system.energy_release, system.log, skip_before=skip_before
        )
    )
    bulletins = [
        (float(d), y, m)
        for y in range(calendar.first_year, calendar.last_year + 1)
        for m, d in enumerate(calendar.month_starts(y))
    ]
    # a nowcast replays the bulletins before as_of on the ledger's signings, so the units'
    # effort on as_of is what those bulletins made it (under the rules in force on as_of)
    for day, year, month in bulletins:
        if day <= skip_before:
            system.publish_bulletin(day, year, month, log=False)
    env.process(monthly_bulletin(env, system, [b for b in bulletins if b[0] > skip_before]))
    if start is None:  # after the bulletin: on a bulletin day the leads see the new effort
        changes = sorted({*month_starts[1:], *([launch_day] if switch else [])})
        env.process(lead_source(env, system, [*changes, calendar.horizon_days]))
    # a nowcast logs from the month after as_of: on as_of itself no project has rejoined yet
    env.process(monitor(env, system, [d for d in month_starts if d > skip_before]))
    return system
