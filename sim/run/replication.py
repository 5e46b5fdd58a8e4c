"""One replication: one simulated city from first_year to target_year (plain, or from a ledger).

:func:`run_replication` draws the replication's parameters, builds and runs one SimPy
environment and returns flat arrays: the monthly KPI matrix and, when kept, the project
ledger and the resource log. A nowcast (:func:`simulate_from_ledger`) starts from the state
:mod:`sim.nowcast` builds on the ledger's ``as_of`` date.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from cityplan.calendar import Calendar
from cityplan.counting import kpi_matrix, plan_measures
from sim.config.study import StudyConfig, calendar_of, kpi_window
from sim.model.attraction import unit_keys
from sim.model.build import build_model
from sim.model.leads import Leads, draw_leads, sector_names
from sim.model.retrofits import draw_retrofits
from sim.model.system import System
from sim.nowcast.read import load_model_ledger
from sim.nowcast.start import starting_state
from sim.nowcast.watch import ledger_outcomes
from sim.run.parameters import with_parameters
from sim.run.parts import ChunkResult
from sim.run.rng import replication_streams


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


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication returns: monthly KPI matrix, and optionally its ledgers."""

    replication: int
    kpis: np.ndarray  # (n_plan_rows, 12) cumulative values at month ends (city rows, then unit rows)
    ledger: pd.DataFrame | None
    resources: pd.DataFrame | None
    # A nowcast's ledger projects reduced to a few columns (sim.nowcast.watch.ledger_outcomes).
    watch: pd.DataFrame | None = None


def _in_force(system: System, name: str, day: np.ndarray) -> np.ndarray:
    """Plan attribute ``name`` under the regime in force on each project's ``day``."""
    policy, base = getattr(system.plan, name), getattr(system.base_plan, name)
    return policy if policy is base else np.where(day >= system.launch_day, policy, base)


def ledger_frame(system: System) -> pd.DataFrame:
    """The project ledger of a finished replication: attributes, plan and milestones.

    Attributes that a lever may change are those in force when they were decided: the park
    location at signing, the construction time at the start. One row per lead that came
    (candidates thinned out by the attraction process are left out); ``project`` is the
    candidate index and ``unit`` the key of its county, district or park (:mod:`cityplan.units`).
    """
    leads, plan = system.leads, system.plan
    signed = system.ledger.times["signed"]
    started = system.ledger.times["started"]
    build_days = _in_force(system, "construction_days", started) + _in_force(system, "stall_days", started)
    cols: dict[str, np.ndarray] = {
        "project": np.arange(len(leads)),
        "unit": unit_keys(leads.unit),
        "sector": sector_names(leads.sector),
        "investment_yi": leads.investment_yi,
        "size_tier": plan.size_tier,
        "from_event": leads.from_event,
        "foreign": plan.foreign,
        "taiwan": plan.taiwan,
        "tech_talent": plan.tech_talent,
        "in_park": _in_force(system, "in_park", signed),
        "quality": plan.quality,
        "land_mu": plan.land_mu,
        "energy_tce": plan.energy_tce,
        "build_days": build_days,
        "spend_days": build_days * _in_force(system, "spend_span_factor", started),
        "t_arrival": leads.arrival_day,
    }
    cols |= system.ledger.columns()
    entered = system.ledger.entered
    return pd.DataFrame({k: v[entered] for k, v in cols.items()}).reset_index(drop=True)


def simulate_leads(cfg: StudyConfig, leads: Leads, *, until_day: float | None = None) -> System:
    """Run the model on given leads (e.g. hand-made for a trace test) to the horizon.

    ``until_day`` stops it earlier (a model day): every event before that day happens as in
    the full run (the leads are drawn up front and each step draws in time order), so the
    warm-up years can be checked against the record without simulating the target year.
    """
    cal = calendar_of(cfg)
    env, system = start_model(cfg, leads)
    env.run(until=cal.horizon_days if until_day is None else min(until_day, cal.horizon_days))
    return system


def start_model(cfg: StudyConfig, leads: Leads) -> tuple[simpy.Environment, System]:
    """A fresh environment and the city model of ``leads`` built in it, not yet run.

    The baseline rules until the campaign launch, the study's from then on.
    """
    cal = calendar_of(cfg)
    env = simpy.Environment()
    system = build_model(
        env, cfg.model, cal, leads, baseline=cfg.baseline_model, launch_day=cal.day_of(cfg.launch_date())
    )
    return env, system


def simulate(cfg: StudyConfig, replication: int, *, until_day: float | None = None) -> tuple[System, pd.DataFrame]:
    """Build and run one replication; return the finished system and its retrofits.

    ``until_day`` (model day) stops a plain run early (:func:`simulate_leads`); a nowcast
    always runs to the horizon.
    """
    cal = calendar_of(cfg)
    streams = replication_streams(cfg.run.seed, replication)
    leads = draw_leads(cfg.model.demand, cal, streams, cfg.model.attraction)
    if cfg.nowcast.ledger:  # start from a planner ledger on nowcast.as_of (issue 7)
        system = simulate_from_ledger(cfg, leads, streams)
    else:
        system = simulate_leads(cfg, leads, until_day=until_day)
    retrofits = draw_retrofits(cfg.model.retrofit, cfg.model.demand, cal, streams["retrofits"])
    return system, retrofits


def run_replication(cfg: StudyConfig, replication: int, *, keep_ledger: bool = False) -> ReplicationResult:
    """Run one replication and compute its KPIs at each month end of the target year.

    The replication's draw of the uncertain inputs (``cfg.uncertainty``) is applied first.
    """
    cfg = with_parameters(cfg, replication)
    system, retrofits = simulate(cfg, replication)
    ledger = ledger_frame(system)
    if cfg.nowcast.ledger:  # ledger projects keep their county/park (issue 12)
        ledger = with_ledger_units(ledger, cfg)
    kpis = ledger_kpis(cfg, ledger, retrofits)
    watch = watch_outcomes(cfg, system, ledger) if cfg.nowcast.ledger else None
    if not keep_ledger:
        return ReplicationResult(replication, kpis, None, None, watch)
    return ReplicationResult(replication, kpis, ledger, system.log.to_frame(), watch)


def ledger_kpis(cfg: StudyConfig, ledger: pd.DataFrame, retrofits: pd.DataFrame) -> np.ndarray:
    """The monthly KPI matrix of a replication's ledger (n_plan_rows x 12), counted by ``cfg``'s plan."""
    return kpi_matrix(ledger, retrofits, kpi_window(cfg), plan_measures(cfg.plan))


def watch_outcomes(cfg: StudyConfig, system: System, ledger: pd.DataFrame) -> pd.DataFrame:
    """A nowcast replication reduced to its ledger projects' outcomes (the watch list's input)."""
    now = cfg.nowcast
    n = len(load_model_ledger(now.ledger, now.as_of, cfg.run.first_year, now.strict))
    return ledger_outcomes(system, ledger, n, calendar_of(cfg).day_of(now.as_of) + 1.0)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one replication.

    A replication allocates ~10^5 short-lived events, generators and callbacks in reference
    cycles (event -> callback -> process -> generator); collecting them while the run goes
    on cost ~15% of a replication (profiled). Paused, they are freed in one pass after the
    replication, so memory stays bounded by one replication. Results do not change.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_chunk(cfg: StudyConfig, replications: list[int]) -> ChunkResult:
    """Run one chunk of replications (one task of a backend) and stack their KPIs."""
    results = []
    for r in replications:
        with gc_paused():
            results.append(run_replication(cfg, r, keep_ledger=r < cfg.run.keep_ledgers))
    return ChunkResult(
        replications=list(replications),
        kpis=np.stack([res.kpis for res in results]),
        ledgers={res.replication: res.ledger for res in results if res.ledger is not None},
        resources={res.replication: res.resources for res in results if res.resources is not None},
        watch={res.replication: res.watch for res in results if res.watch is not None},
    )
