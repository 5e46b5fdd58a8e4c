"""Structure: build the simulated city (resources, plans, sources) for one replication.

:func:`build_model` creates the quota containers, the approval offices and the leaders'
attention, turns the leads' latent draws into per-project plans, and starts the source
processes. It holds no behaviour; the behaviour is in :mod:`sim.processes`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import simpy

from sim.calendar import Calendar
from sim.config import ModelConfig
from sim.leads import Leads
from sim.ledger import ProjectLedger, ResourceLog
from sim.plan import ProjectPlan, plan_projects
from sim.resources import HeapPriorityResource, PriorityContainer


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
        Days of waiting the investor still tolerates in the queue it is in (or will join next).
    land_level_mu, energy_level_tce
        Quota in stock on ``as_of_day`` (亩, 吨标煤).
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


@dataclass
class System:
    """Everything a process may touch: resources, per-project plan, recorder, config."""

    env: simpy.Environment
    cfg: ModelConfig
    calendar: Calendar
    leads: Leads
    plan: ProjectPlan
    # The plan as Python lists: processes read one element at a time, and list indexing is
    # several times faster than numpy scalar indexing in the hot path.
    p: Any
    land: PriorityContainer
    energy: PriorityContainer
    approvals: HeapPriorityResource
    leaders_free: list[int]
    walked: list[bool]
    ledger: ProjectLedger
    log: ResourceLog
    year_starts: list[float]
    # Set when the run starts from a planner ledger (nowcast); None for a normal run.
    start: StartState | None = None

    def day_of_year(self, day: float) -> float:
        """Days since 1 January of the year containing model ``day``."""
        i = bisect.bisect_right(self.year_starts, day) - 1
        return day - self.year_starts[i]

    def next_year_start(self, day: float) -> float:
        """Model day of the next 1 January after ``day``."""
        return self.year_starts[bisect.bisect_right(self.year_starts, day)]


def build_model(
    env: simpy.Environment, cfg: ModelConfig, calendar: Calendar, leads: Leads, start: StartState | None = None
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
        The replication's leads (:func:`sim.leads.draw_leads`).
    start
        Nowcast starting state (ledger projects first, then ``leads``); ``env`` must start
        at ``start.as_of_day``. None = every lead from its arrival.
    """
    from sim import processes  # local: processes import System for typing only

    plan = plan_projects(leads, cfg) if start is None else start.plan
    plan_lists = SimpleNamespace(**{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in vars(plan).items()})
    plan_lists.arrival_day = leads.arrival_day.tolist()
    plan_lists.investment_yi = leads.investment_yi.tolist()
    year_starts = [calendar.year_start(y) for y in range(calendar.first_year, calendar.last_year + 2)]
    system = System(
        env=env,
        cfg=cfg,
        calendar=calendar,
        leads=leads,
        plan=plan,
        p=plan_lists,
        land=PriorityContainer(env, init=cfg.land.initial_stock_mu if start is None else start.land_level_mu),
        energy=PriorityContainer(env, init=cfg.energy.initial_stock_tce if start is None else start.energy_level_tce),
        approvals=HeapPriorityResource(env, capacity=cfg.approvals.capacity_projects),
        leaders_free=list(cfg.problems.leader_capacity),
        walked=[False] * len(leads),
        ledger=ProjectLedger(len(leads)),
        log=ResourceLog(),
        year_starts=year_starts,
        start=start,
    )
    month_starts = np.concatenate(
        [calendar.month_starts(y) for y in range(calendar.first_year, calendar.last_year + 1)]
    ).tolist()
    skip_before = -np.inf
    if start is None:
        env.process(processes.lead_source(env, system))
    else:
        skip_before = start.as_of_day
        for milestone, days in start.history.items():
            system.ledger.times[milestone][:] = days
        env.process(processes.resume_source(env, system))
    env.process(
        processes.release_quota(
            env,
            system.land,
            "land_mu",
            month_starts,
            cfg.land.quota_mu_per_year / 12 + cfg.land.reclamation_mu_per_month,
            cfg.land.carryover_share,
            system.log,
            skip_before=skip_before,
        )
    )
    env.process(
        processes.release_quota(
            env,
            system.energy,
            "energy_tce",
            month_starts,
            cfg.energy.quota_tce_per_year / 12 + cfg.energy.swap_tce_per_month,
            cfg.energy.carryover_share,
            system.log,
            calendar.year_start(cfg.energy.frozen_from_year) if cfg.energy.frozen_from_year else float("inf"),
            skip_before=skip_before,
        )
    )
    # a nowcast logs from the month after as_of: on as_of itself no project has rejoined yet
    env.process(processes.monitor(env, system, [d for d in month_starts if d > skip_before]))
    return system
