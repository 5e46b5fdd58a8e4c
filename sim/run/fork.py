"""Run every cell of a block for one replication: the per-replication work of an experiment.

The cells of a screen or a selection share everything before the campaign launch under
common random numbers: the seed, the baseline (the scenario without levers, with this
replication's draw of the uncertain inputs) and the leads. The years before the launch are
the same in every cell, bit for bit: before the launch the model runs the baseline's rules,
and a look-ahead that reaches the launch waits for it (launch-boundary continuations,
:meth:`sim.model.system.System.park`). So they are simulated once: the first cell's model
runs to the launch, and one child process per cell, forked there (copy-on-write), swaps in
the cell's policy, runs to the horizon and sends its KPI matrix back through a pipe. The
tables are those of :func:`~sim.run.replication.run_replication`, bit for bit
(``tests/test_fork.py``); the saving is the warm-up of every cell but the first.

The plain path runs each cell's replication in full, in this process, with the same tables.
It is taken when:

- :data:`FORK` is False (tests, debugging);
- the platform has no ``os.fork`` (Windows);
- other threads run in this process (a Dask worker runs its tasks in a thread beside its
  event loop, a thread pool likewise): a forked child inherits their locks, not their threads;
- on Python 3.12+, the process has other OS threads (a BLAS thread pool started when numpy
  was imported): Python then warns on ``fork``; start Python with ``OPENBLAS_NUM_THREADS=1``
  (and ``OMP_NUM_THREADS=1``) to let it fork;
- a study is a nowcast (``nowcast.ledger``): it starts from a ledger, not from a warm-up;
- the campaign launch is on or before the first simulated day (nothing to share).

Studies that do not share the pre-launch inputs (seed, years, launch day, baseline model,
what the leads are drawn from, the feedstock rule) are not an error: they are grouped by
those inputs, each group shares one warm-up, and a study alone in its group runs in full.
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import simpy

from sim.config.study import StudyConfig, calendar_of
from sim.model.build import policy_regime
from sim.model.leads import draw_leads, lead_draw_inputs
from sim.model.retrofits import draw_retrofits
from sim.model.system import System, feedstock_day
from sim.run.parameters import with_parameters
from sim.run.replication import gc_paused, ledger_frame, ledger_kpis, run_replication, start_model
from sim.run.rng import replication_streams

log = logging.getLogger(__name__)

# Whether run_cells may fork at the launch; False forces the plain path (same tables).
FORK = True


class ForkedCellError(RuntimeError):
    """A cell's forked child failed: its traceback, or how it ended, is in the message."""


def run_cells(studies: Sequence[StudyConfig], replication: int) -> list[np.ndarray]:
    """Replication `replication` of every study (which share everything before the launch: seed, baseline, leads).

    Returns each study's `run_replication(study, replication).kpis` (n_plan_rows x 12), in order.
    """
    with gc_paused():
        reason = fork_unavailable(studies)
        if reason is not None:
            log.debug("run_cells: plain path (%s)", reason)
            return [run_replication(study, replication).kpis for study in studies]
        cfgs = [with_parameters(study, replication) for study in studies]
        out: dict[int, np.ndarray] = {}
        for group in shared_warmups(cfgs):
            if len(group) == 1:
                out[group[0]] = run_replication(studies[group[0]], replication).kpis
            else:
                out |= zip(group, run_forked([cfgs[i] for i in group], replication), strict=True)
    return [out[i] for i in range(len(studies))]


def fork_unavailable(studies: Sequence[StudyConfig]) -> str | None:
    """Why ``studies`` cannot share a forked warm-up in this process, or None if they can."""
    if (refused := fork_refused()) is not None:
        return refused
    if any(study.nowcast.ledger for study in studies):
        return "a nowcast starts from its ledger, not from a warm-up"
    if len(studies) <= 1:
        return "one study: nothing to share"
    return None


def fork_refused() -> str | None:
    """Why this process may not fork at all (switch, platform, threads), or None."""
    if not FORK:
        return "forking is switched off (sim.run.fork.FORK)"
    if not hasattr(os, "fork"):
        return "this platform has no os.fork"
    if threading.active_count() > 1 or threading.current_thread() is not threading.main_thread():
        return f"{threading.active_count()} threads run in this process (a Dask worker or a thread pool)"
    if sys.version_info >= (3, 12) and (threads := os_threads()) > 1:
        return f"{threads} OS threads (Python 3.12+ warns on fork; set OPENBLAS_NUM_THREADS=1 before starting)"
    return None


def os_threads() -> int:
    """The number of OS threads of this process (Linux: /proc; elsewhere the Python threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return threading.active_count()


def prelaunch_inputs(cfg: StudyConfig) -> tuple[object, ...]:
    """What the years before the launch depend on, for a study with its replication's parameters.

    The seed, the simulated years and the launch day, the rules before the launch (the
    baseline model; the study's own if it has none), what the leads are drawn from, and the
    feedstock rule (read from the study's model from the first day).
    """
    cal = calendar_of(cfg)
    return (
        cfg.run.seed,
        cfg.run.first_year,
        cfg.run.target_year,
        cal.day_of(cfg.launch_date()),
        cfg.baseline_model if cfg.baseline_model is not None else cfg.model,
        lead_draw_inputs(cfg.model.demand, cfg.model.attraction),
        feedstock_day(cfg.model, cal),
    )


def shared_warmups(cfgs: Sequence[StudyConfig]) -> list[list[int]]:
    """Indices of ``cfgs`` grouped by equal pre-launch inputs (:func:`prelaunch_inputs`), in first-seen order.

    A group shares one warm-up; a study whose launch is on or before the first simulated day
    has nothing to share and is alone in its group.
    """
    keys: list[tuple[object, ...]] = []
    groups: list[list[int]] = []
    for i, cfg in enumerate(cfgs):
        key = prelaunch_inputs(cfg)
        if calendar_of(cfg).day_of(cfg.launch_date()) <= 0:  # no warm-up before the launch
            groups.append([i])
            keys.append(())
            continue
        for k, known in enumerate(keys):
            if known == key:
                groups[k].append(i)
                break
        else:
            keys.append(key)
            groups.append([i])
    return groups


def run_forked(cfgs: Sequence[StudyConfig], replication: int) -> list[np.ndarray]:
    """The KPI matrices of ``cfgs`` (with their parameters, sharing the pre-launch inputs) from one warm-up.

    Builds the model with the first study and runs it to the launch, then forks one child per
    study in turn (:func:`in_child`), which puts that study's policy in force at the launch.
    The caller checks that forking is safe (:func:`fork_unavailable`) and the inputs shared
    (:func:`shared_warmups`).
    """
    first = cfgs[0]
    cal = calendar_of(first)
    streams = replication_streams(first.run.seed, replication)
    leads = draw_leads(first.model.demand, cal, streams, first.model.attraction)
    with gc_paused():
        env, system = start_model(first, leads)
        env.run(until=system.launch_day)
        retrofit_stream = streams["retrofits"]  # untouched by the run: each child draws from its copy
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # the warm-up's objects stay out of the children's collections (fewer copied pages)
        try:
            return [
                in_child(functools.partial(finish_cell, cfg, env, system, retrofit_stream), f"cell {k}, {replication=}")
                for k, cfg in enumerate(cfgs)
            ]
        finally:
            gc.unfreeze()


def finish_cell(
    cfg: StudyConfig, env: simpy.Environment, system: System, retrofit_stream: np.random.Generator
) -> np.ndarray:
    """In a forked child: put ``cfg``'s policy in force at the launch, run to the horizon, count the KPIs."""
    system.launch_regime = policy_regime(cfg.model, system)
    cal = calendar_of(cfg)
    env.run(until=cal.horizon_days)
    retrofits: pd.DataFrame = draw_retrofits(cfg.model.retrofit, cfg.model.demand, cal, retrofit_stream)
    return ledger_kpis(cfg, ledger_frame(system), retrofits)


def in_child(task: Callable[[], np.ndarray], name: str) -> np.ndarray:
    """Run ``task`` in a forked child and return its result; raise :class:`ForkedCellError` if it fails.

    The child pickles its result (or its traceback) into a pipe and leaves with ``os._exit``
    (no clean-up of the parent's state runs twice). The parent reads the pipe to its end
    (the child's exit closes it, whatever ends the child), then reaps the child; if the
    parent is interrupted meanwhile it kills and reaps the child, so none is left behind.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            os.close(read_end)
            try:
                payload = pickle.dumps((True, task()))
                code = 0
            except BaseException as err:  # everything goes back to the parent
                payload = pickle.dumps((False, "".join(traceback.format_exception(err))))
            with os.fdopen(write_end, "wb") as sink:
                sink.write(payload)
        finally:
            os._exit(code)
    os.close(write_end)
    reaped = False
    try:
        with os.fdopen(read_end, "rb") as source:
            data = source.read()
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        if not reaped:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        raise ForkedCellError(f"{name}: its forked child was killed by signal {-code} ({signal.Signals(-code).name})")
    if not data:
        raise ForkedCellError(f"{name}: its forked child exited with code {code} and sent nothing back")
    ok, value = pickle.loads(data)
    if not ok:
        raise ForkedCellError(f"{name} failed in its forked child:\n{value}")
    return np.asarray(value)
