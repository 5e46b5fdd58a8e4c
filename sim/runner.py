"""Run replications: one replication is one simulated city from first_year to target_year.

:func:`run_replication` builds and runs one SimPy environment and returns flat arrays;
:func:`run_study` runs all replications of one scenario x policy cell in chunks on a
backend (:mod:`sim.backends`: serial, worker processes or Dask), optionally writes each
finished chunk to disk and resumes from it (:mod:`sim.parts`), optionally keeps adding
chunks until the attainment intervals are narrow enough (:mod:`sim.precision`), and
assembles tidy long tables that carry scenario, policy, replication and seed. The same seed
gives the same tables whatever ``run.jobs``, the backend, the chunk size or an interruption.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import simpy

from analysis.kpis import KpiWindow, kpi_matrix, plan_measures
from analysis.plan_schema import CITY, plan_rows
from sim.attraction import unit_keys
from sim.backends import Backend, open_backend
from sim.calendar import Calendar
from sim.config import ConfigError, RunConfig, StudyConfig
from sim.leads import Leads, draw_leads, sector_names
from sim.model import System, build_model
from sim.parts import ChunkResult, PartStore, open_parts
from sim.precision import Goals, enough, next_count, prefix_halfwidths
from sim.retrofits import draw_retrofits
from sim.rng import replication_streams
from sim.uncertainty import parameter_frame, with_parameters

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication returns: monthly KPI matrix, and optionally its ledgers."""

    replication: int
    kpis: np.ndarray  # (n_plan_rows, 12) cumulative values at month ends (city rows, then unit rows)
    ledger: pd.DataFrame | None
    resources: pd.DataFrame | None


def calendar_of(cfg: StudyConfig) -> Calendar:
    """The simulated years of a study."""
    return Calendar(cfg.run.first_year, cfg.run.target_year)


def kpi_window(cfg: StudyConfig) -> KpiWindow:
    """Counting window (target year, month ends) and the KPI settings taken from config."""
    cal = calendar_of(cfg)
    c = cfg.model.construction
    d = cfg.definitions
    return KpiWindow(
        year_start_day=cal.year_start(cfg.run.target_year),
        cutoff_days=tuple(cal.month_ends(cfg.run.target_year).tolist()),
        cny_per_usd=cfg.model.demand.cny_per_usd,
        spend_realisation_share=c.spend_realisation_share,
        spend_curve_a=c.spend_curve_a,
        spend_curve_b=c.spend_curve_b,
        parks_share_scope=d.parks_share_scope,
        retrofit_count=d.retrofit_count,
        retrofit_amount=d.retrofit_amount,
        industrial_investment_with_retrofits=d.industrial_investment_with_retrofits,
    )


def _in_force(system: System, name: str, day: np.ndarray) -> np.ndarray:
    """Plan attribute ``name`` under the regime in force on each project's ``day``."""
    policy, base = getattr(system.plan, name), getattr(system.base_plan, name)
    return policy if policy is base else np.where(day >= system.launch_day, policy, base)


def ledger_frame(system: System) -> pd.DataFrame:
    """The project ledger of a finished replication: attributes, plan and milestones.

    Attributes that a lever may change are those in force when they were decided: the park
    location at signing, the construction time at the start. One row per lead that came
    (candidates thinned out by the attraction process are left out); ``project`` is the
    candidate index and ``unit`` the key of its county, district or park (:mod:`sim.units`).
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


def simulate_leads(cfg: StudyConfig, leads: Leads) -> System:
    """Run the model on given leads (e.g. hand-made for a trace test) to the horizon."""
    cal = calendar_of(cfg)
    env = simpy.Environment()
    system = build_model(
        env, cfg.model, cal, leads, baseline=cfg.baseline_model, launch_day=cal.day_of(cfg.launch_date())
    )
    env.run(until=cal.horizon_days)
    return system


def simulate(cfg: StudyConfig, replication: int) -> tuple[System, pd.DataFrame]:
    """Build and run one replication; return the finished system and its retrofits."""
    cal = calendar_of(cfg)
    streams = replication_streams(cfg.run.seed, replication)
    leads = draw_leads(cfg.model.demand, cal, streams, cfg.model.attraction)
    if cfg.nowcast.ledger:  # start from a planner ledger on nowcast.as_of (issue 7)
        from sim.nowcast import simulate_from_ledger

        system = simulate_from_ledger(cfg, leads, streams)
    else:
        system = simulate_leads(cfg, leads)
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
        from sim.nowcast import with_ledger_units

        ledger = with_ledger_units(ledger, cfg)
    kpis = kpi_matrix(ledger, retrofits, kpi_window(cfg), plan_measures(cfg.plan))
    if not keep_ledger:
        return ReplicationResult(replication, kpis, None, None)
    return ReplicationResult(replication, kpis, ledger, system.log.to_frame())


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
    )


def chunks_of(replications: list[int], size: int) -> list[list[int]]:
    """Split ascending replication indices into chunks of at most ``size`` consecutive ones."""
    out: list[list[int]] = []
    for r in replications:
        if out and len(out[-1]) < size and out[-1][-1] == r - 1:
            out[-1].append(r)
        else:
            out.append([r])
    return out


@dataclass(frozen=True)
class StudyResult:
    """Tidy long tables of one scenario x policy cell."""

    kpis: pd.DataFrame  # scenario, policy, replication, seed, target, value (year end; the city)
    monthly: pd.DataFrame  # ... plus month, value cumulative at month end
    ledgers: pd.DataFrame  # kept replications' project ledgers
    resources: pd.DataFrame  # kept replications' quota and queue logs
    # How the run went: replications used, computed now, reused from parts, precision.
    meta: dict[str, Any] = field(default_factory=dict)
    # Year-end values of the plan's unit goals (scenario ... replication, seed, unit, target,
    # value); empty when the plan gives no unit its own goals.
    unit_kpis: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Uncertain inputs: scenario, policy, replication, seed, draw, parameter, value (issue 11).
    params: pd.DataFrame = field(default_factory=pd.DataFrame)


class _Progress:
    """A tqdm bar of replications on stderr when it is a terminal; otherwise silent."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self.bar: Any = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="rep", desc="replications", file=sys.stderr)

    def extend(self, total: int) -> None:
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()

    def step(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _Collected:
    """Finished replications so far, by index (from parts or from workers)."""

    def __init__(self) -> None:
        self.kpis: dict[int, np.ndarray] = {}
        self.ledgers: dict[int, pd.DataFrame] = {}
        self.resources: dict[int, pd.DataFrame] = {}

    def add(self, chunk: ChunkResult) -> None:
        for i, r in enumerate(chunk.replications):
            self.kpis[r] = chunk.kpis[i]
        self.ledgers |= chunk.ledgers
        self.resources |= chunk.resources

    def missing(self, n: int) -> list[int]:
        return [r for r in range(n) if r not in self.kpis]

    def matrices(self, n: int) -> np.ndarray:
        return np.stack([self.kpis[r] for r in range(n)])


def run_study(cfg: StudyConfig, *, parts_dir: Path | None = None) -> StudyResult:
    """Run all replications of ``cfg`` and return tidy tables.

    Parameters
    ----------
    cfg
        The study; ``cfg.run`` says how many replications, where and how precisely.
    parts_dir
        Folder for finished chunks (``<run dir>/parts``). Chunks already there for the same
        configuration are reused (``run.resume``) and only missing replications run; None
        keeps everything in memory.
    """
    run = cfg.run
    if not cfg.plan.targets:
        raise ConfigError("config field 'plan.targets' = {} is not allowed: expected at least one target (plan=<file>)")
    store = open_parts(parts_dir, cfg) if parts_dir is not None else None
    got = _Collected()
    limit = run.max_replications if run.target_halfwidth > 0 else run.replications
    if store is not None and (prior := store.read(below=limit, keep_ledgers=run.keep_ledgers)) is not None:
        got.add(prior)
    n = run.replications
    progress = _Progress(n, n - len(got.missing(n)), run.progress)
    meta: dict[str, Any] = {}
    computed: set[int] = set()
    try:
        with open_backend(run, run_chunk) as backend:
            while True:
                computed |= _fill(backend, cfg, got, n, store, progress)
                if run.target_halfwidth <= 0:
                    break
                n, verdict = _precision_round(got.matrices(n)[:, : len(cfg.plan.targets), -1], run, Goals.of(cfg.plan))
                if verdict is not None:
                    meta |= verdict
                    break
                progress.extend(n)
    finally:
        progress.close()
    reused = sum(1 for r in range(n) if r not in computed)
    meta |= {"replications": n, "replications_computed": len(computed), "replications_reused": reused}
    return assemble(cfg, got.matrices(n), got.ledgers, got.resources, meta)


def _precision_round(year_end: np.ndarray, run: RunConfig, goals: Goals) -> tuple[int, dict[str, Any] | None]:
    """After a round: the count to stop at and the verdict, or the next count and None."""
    n = year_end.shape[0]
    found = enough(year_end, run, goals)
    if found is None and n < run.max_replications:
        n_next = next_count(year_end, run, goals)
        log.info("precision: half-width %.4f not reached; going on to %d replications", run.target_halfwidth, n_next)
        return n_next, None
    n, widest = found or (n, float(prefix_halfwidths(year_end, [n], goals)[0]))
    met = found is not None
    if met:
        log.info("precision: %d replications needed (widest half-width %.4f)", n, widest)
    else:
        log.warning("precision: stopped at run.max_replications=%d; widest half-width %.4f", n, widest)
    return n, {"target_halfwidth": run.target_halfwidth, "widest_halfwidth": round(widest, 6), "halfwidth_met": met}


def _fill(
    backend: Backend, cfg: StudyConfig, got: _Collected, n: int, store: PartStore | None, progress: _Progress
) -> set[int]:
    """Compute the missing replications below ``n``, saving each chunk as it finishes.

    Returns the replications computed.
    """
    missing = got.missing(n)
    for chunk in backend.map(cfg, chunks_of(missing, cfg.run.chunk_size)):
        if store is not None:
            store.write(chunk)
        got.add(chunk)
        progress.step(len(chunk.replications))
    return set(missing)


def assemble(
    cfg: StudyConfig,
    matrices: np.ndarray,
    ledgers: dict[int, pd.DataFrame],
    resources: dict[int, pd.DataFrame],
    meta: dict[str, Any] | None = None,
) -> StudyResult:
    """Tidy tables from the KPI matrices (replication x plan row x month) and kept ledgers."""
    kept = sorted(r for r in ledgers if r < matrices.shape[0])
    k = len(cfg.plan.targets)
    params = parameter_frame(cfg, matrices.shape[0])
    return StudyResult(
        kpis=_long_kpis(cfg, matrices[:, :k, -1]),
        monthly=_long_monthly(cfg, matrices[:, :k]),
        unit_kpis=_long_unit_kpis(cfg, matrices[:, :, -1]),
        ledgers=_tag(cfg, pd.concat([ledgers[r].assign(replication=r) for r in kept], ignore_index=True))
        if kept
        else pd.DataFrame(),
        resources=_tag(cfg, pd.concat([resources[r].assign(replication=r) for r in kept], ignore_index=True))
        if kept
        else pd.DataFrame(),
        meta=meta or {},
        params=_tag(cfg, params) if len(params) else params,
    )


def _constant(value: str, n: int) -> pd.Categorical[str]:
    """A column holding one label ``n`` times, as a one-category categorical (1 byte a row)."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([value]))


def _front(cfg: StudyConfig, replication: np.ndarray) -> dict[str, Any]:
    """The columns every table starts with: scenario, policy, replication, seed.

    Scenario and policy are categoricals: as plain strings they were two thirds of the
    memory of 10,000 replications' monthly table (bench: 659 MB peak -> 112 MB).
    """
    n = len(replication)
    return {
        "scenario": _constant(cfg.scenario_name, n),
        "policy": _constant(cfg.policy_name, n),
        "replication": replication,
        "seed": np.full(n, cfg.run.seed, dtype=np.int64),
    }


def _tag(cfg: StudyConfig, df: pd.DataFrame) -> pd.DataFrame:
    """Put scenario, policy, replication and seed first."""
    front = _front(cfg, df["replication"].to_numpy())
    return pd.DataFrame(front | {c: df[c] for c in df.columns if c not in front})


def _target_codes(cfg: StudyConfig, codes: np.ndarray) -> pd.Categorical[str]:
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(cfg.plan.targets)))


def _long_unit_kpis(cfg: StudyConfig, year_end: np.ndarray) -> pd.DataFrame:
    """Year-end values of every plan row with a ``unit`` column (``city`` rows included).

    Empty when the plan has no unit goals (the city rows are then ``kpis`` itself).
    """
    rows = plan_rows(cfg.plan)
    if all(r.unit == CITY for r in rows):
        return pd.DataFrame()
    n, k = year_end.shape
    cols = _front(cfg, np.repeat(np.arange(n), k))
    cols["unit"] = np.tile(np.array([r.unit for r in rows], dtype=object), n)
    cols["target"] = np.tile(np.array([r.target for r in rows], dtype=object), n)
    cols["value"] = year_end.ravel()
    return pd.DataFrame(cols, copy=False)


def _long_kpis(cfg: StudyConfig, year_end: np.ndarray) -> pd.DataFrame:
    n, k = year_end.shape
    cols = _front(cfg, np.repeat(np.arange(n), k))
    cols["target"] = _target_codes(cfg, np.tile(np.arange(k, dtype=np.int8), n))
    cols["value"] = year_end.ravel()
    return pd.DataFrame(cols, copy=False)


def _long_monthly(cfg: StudyConfig, matrices: np.ndarray) -> pd.DataFrame:
    n, k, m = matrices.shape
    month_ends = pd.date_range(f"{cfg.run.target_year}-01-31", periods=12, freq="ME")
    cols = _front(cfg, np.repeat(np.arange(n), k * m))
    cols["target"] = _target_codes(cfg, np.tile(np.repeat(np.arange(k, dtype=np.int8), m), n))
    cols["month"] = np.tile(np.arange(1, m + 1), n * k)
    cols["date"] = np.tile(month_ends.values, n * k)
    cols["value"] = matrices.ravel()
    return pd.DataFrame(cols, copy=False)
