"""Run replications: one replication is one simulated city from first_year to target_year.

:func:`run_replication` builds and runs one SimPy environment and returns flat arrays;
:func:`run_study` runs all replications of one scenario x policy cell, serially or in worker
processes (chunks of replications per task), and assembles tidy long tables that carry
scenario, policy, replication and seed. The same seed gives the same tables whatever
``run.jobs`` is.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from analysis.kpis import KpiWindow, kpi_matrix
from analysis.targets import TARGET_KEYS
from sim.calendar import Calendar
from sim.config import StudyConfig
from sim.leads import Leads, draw_leads, sector_names
from sim.model import System, build_model
from sim.retrofits import draw_retrofits
from sim.rng import replication_streams

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication returns: monthly KPI matrix, and optionally its ledgers."""

    replication: int
    kpis: np.ndarray  # (n_targets, 12) cumulative values at month ends
    ledger: pd.DataFrame | None
    resources: pd.DataFrame | None


def calendar_of(cfg: StudyConfig) -> Calendar:
    """The simulated years of a study."""
    return Calendar(cfg.run.first_year, cfg.run.target_year)


def kpi_window(cfg: StudyConfig) -> KpiWindow:
    """Counting window (target year, month ends) and the KPI settings taken from config."""
    cal = calendar_of(cfg)
    c = cfg.model.construction
    return KpiWindow(
        year_start_day=cal.year_start(cfg.run.target_year),
        cutoff_days=tuple(cal.month_ends(cfg.run.target_year).tolist()),
        usd1e7_threshold_yi=1e7 * cfg.model.demand.cny_per_usd / 1e8,
        spend_realisation_share=c.spend_realisation_share,
        spend_curve_a=c.spend_curve_a,
        spend_curve_b=c.spend_curve_b,
    )


def _in_force(system: System, name: str, day: np.ndarray) -> np.ndarray:
    """Plan attribute ``name`` under the regime in force on each project's ``day``."""
    policy, base = getattr(system.plan, name), getattr(system.base_plan, name)
    return policy if policy is base else np.where(day >= system.launch_day, policy, base)


def ledger_frame(system: System) -> pd.DataFrame:
    """The project ledger of a finished replication: attributes, plan and milestones.

    Attributes that a lever may change are those in force when they were decided: the park
    location at signing, the construction time at the start.
    """
    leads, plan = system.leads, system.plan
    signed = system.ledger.times["signed"]
    started = system.ledger.times["started"]
    cols: dict[str, np.ndarray] = {
        "project": np.arange(len(leads)),
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
        "build_days": _in_force(system, "construction_days", started) + _in_force(system, "stall_days", started),
        "t_arrival": leads.arrival_day,
    }
    cols |= system.ledger.columns()
    return pd.DataFrame(cols)


def simulate_leads(cfg: StudyConfig, leads: Leads) -> System:
    """Run the model on given leads (e.g. hand-made for a trace test) to the horizon."""
    cal = calendar_of(cfg)
    env = simpy.Environment()
    system = build_model(
        env, cfg.model, cal, leads, baseline=cfg.baseline_model, launch_day=cal.day_of(cfg.campaign_launch)
    )
    env.run(until=cal.horizon_days)
    return system


def simulate(cfg: StudyConfig, replication: int) -> tuple[System, pd.DataFrame]:
    """Build and run one replication; return the finished system and its retrofits."""
    cal = calendar_of(cfg)
    streams = replication_streams(cfg.run.seed, replication)
    leads = draw_leads(cfg.model.demand, cal, streams)
    if cfg.nowcast.ledger:  # start from a planner ledger on nowcast.as_of (issue 7)
        from sim.nowcast import simulate_from_ledger

        system = simulate_from_ledger(cfg, leads, streams)
    else:
        system = simulate_leads(cfg, leads)
    retrofits = draw_retrofits(cfg.model.retrofit, cfg.model.demand, cal, streams["retrofits"])
    return system, retrofits


def run_replication(cfg: StudyConfig, replication: int, *, keep_ledger: bool = False) -> ReplicationResult:
    """Run one replication and compute its KPIs at each month end of the target year."""
    system, retrofits = simulate(cfg, replication)
    ledger = ledger_frame(system)
    kpis = kpi_matrix(ledger, retrofits, kpi_window(cfg))
    if not keep_ledger:
        return ReplicationResult(replication, kpis, None, None)
    return ReplicationResult(replication, kpis, ledger, system.log.to_frame())


def _run_chunk(cfg: StudyConfig, replications: list[int]) -> list[ReplicationResult]:
    return [run_replication(cfg, r, keep_ledger=r < cfg.run.keep_ledgers) for r in replications]


def _chunks(n: int, size: int) -> list[list[int]]:
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def iter_results(cfg: StudyConfig) -> Iterator[ReplicationResult]:
    """Yield every replication's result in replication order (serial or in workers)."""
    chunks = _chunks(cfg.run.replications, cfg.run.chunk_size)
    if cfg.run.jobs == 1:
        for chunk in chunks:
            yield from _run_chunk(cfg, chunk)
        return
    with ProcessPoolExecutor(max_workers=cfg.run.jobs) as pool:
        for results in pool.map(_run_chunk, [cfg] * len(chunks), chunks):
            yield from results


@dataclass(frozen=True)
class StudyResult:
    """Tidy long tables of one scenario x policy cell."""

    kpis: pd.DataFrame  # scenario, policy, replication, seed, target, value (year end)
    monthly: pd.DataFrame  # ... plus month, value cumulative at month end
    ledgers: pd.DataFrame  # kept replications' project ledgers
    resources: pd.DataFrame  # kept replications' quota and queue logs


def _progress(total: int, enabled: bool) -> Callable[[int], None]:
    """A tqdm progress bar on stderr when it is a terminal; otherwise a no-op."""
    if not (enabled and sys.stderr.isatty()):
        return lambda _n: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="rep", desc="replications", file=sys.stderr)

    def step(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return step


def run_study(cfg: StudyConfig) -> StudyResult:
    """Run all replications of ``cfg`` and return tidy tables."""
    n = cfg.run.replications
    step = _progress(n, cfg.run.progress)
    matrices = np.empty((n, len(TARGET_KEYS), 12))
    ledgers, resources = [], []
    for res in iter_results(cfg):
        matrices[res.replication] = res.kpis
        if res.ledger is not None and res.resources is not None:
            ledgers.append(res.ledger.assign(replication=res.replication))
            resources.append(res.resources.assign(replication=res.replication))
        step(1)
    return StudyResult(
        kpis=_long_kpis(cfg, matrices[:, :, -1]),
        monthly=_long_monthly(cfg, matrices),
        ledgers=_tag(cfg, pd.concat(ledgers, ignore_index=True)) if ledgers else pd.DataFrame(),
        resources=_tag(cfg, pd.concat(resources, ignore_index=True)) if resources else pd.DataFrame(),
    )


def _tag(cfg: StudyConfig, df: pd.DataFrame) -> pd.DataFrame:
    """Put scenario, policy, replication and seed first."""
    df.insert(0, "scenario", cfg.scenario_name)
    df.insert(1, "policy", cfg.policy_name)
    df.insert(3, "seed", cfg.run.seed)
    return df[
        [
            "scenario",
            "policy",
            "replication",
            "seed",
            *[c for c in df.columns if c not in ("scenario", "policy", "replication", "seed")],
        ]
    ]


def _long_kpis(cfg: StudyConfig, year_end: np.ndarray) -> pd.DataFrame:
    n, k = year_end.shape
    df = pd.DataFrame(
        {
            "replication": np.repeat(np.arange(n), k),
            "target": pd.Categorical(np.tile(TARGET_KEYS, n), categories=TARGET_KEYS),
            "value": year_end.ravel(),
        }
    )
    return _tag(cfg, df)


def _long_monthly(cfg: StudyConfig, matrices: np.ndarray) -> pd.DataFrame:
    n, k, m = matrices.shape
    month_ends = pd.date_range(f"{cfg.run.target_year}-01-31", periods=12, freq="ME")
    df = pd.DataFrame(
        {
            "replication": np.repeat(np.arange(n), k * m),
            "target": pd.Categorical(np.tile(np.repeat(TARGET_KEYS, m), n), categories=TARGET_KEYS),
            "month": np.tile(np.arange(1, m + 1), n * k),
            "date": np.tile(month_ends.values, n * k),
            "value": matrices.ravel(),
        }
    )
    return _tag(cfg, df)
