"""The shared warm-up (issue 26): CPU per cell-replication forked at the launch vs full runs, measured in one run.

``python -m bench.shared_warmup [--replications 2] [cell ...]`` prints the figures as JSON.
For every replication it runs each cell in full (:func:`~sim.run.replication.run_replication`),
then the cells' post-launch work in this process (the forked child's work without the fork),
then all cells from one warm-up (:func:`sim.run.fork.run_cells`), interleaved so that a change
in the machine's load touches the three alike. CPU counts this process and its reaped children.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from dataclasses import asdict

import numpy as np

from bench.measures import Figure
from bench.study import compose_study
from sim.config.study import StudyConfig, calendar_of
from sim.model.leads import draw_leads
from sim.run import fork
from sim.run.parameters import with_parameters
from sim.run.replication import gc_paused, run_replication, start_model
from sim.run.rng import replication_streams

# The status quo, the plan and single levers of the screen (conf/policy/).
CELLS = (
    "status_quo",
    "plan",
    "completion_service",
    "appraisal",
    "differentiated_supply",
    "five_permits",
    "leader_help",
    "ready_to_build",
)
# The screen's size (issue 26: 256 cells), for the estimate of its cost per cell-replication.
SCREEN_CELLS = 256
# Issue 26: a screen's cost per cell-replication / a standalone replication's.
SCREEN_RATIO_GOAL = 0.55


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's reaped children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def post_launch_cpu(study: StudyConfig, replication: int) -> float:
    """CPU seconds of a cell's work from the launch on, in this process: a forked child's work without the fork.

    :func:`sim.run.fork.finish_cell` (the policy put in force at the launch, the run to the
    horizon, the retrofits and the KPI count) on the cell's own warm-up.
    """
    cfg = with_parameters(study, replication)
    streams = replication_streams(cfg.run.seed, replication)
    leads = draw_leads(cfg.model.demand, calendar_of(cfg), streams, cfg.model.attraction)
    with gc_paused():
        env, system = start_model(cfg, leads)
        env.run(until=system.launch_day)
        start = time.process_time()
        fork.finish_cell(cfg, env, system, streams["retrofits"])
        return time.process_time() - start


def shared_warmup(studies: list[StudyConfig], replications: int) -> list[Figure]:
    """Figures of the shared warm-up on ``studies`` (cells of one screen) x ``replications``.

    Returns the CPU per cell-replication forked and in full, their ratio, the ratio estimated
    for a 256-cell screen, the largest difference between forked and full tables (must be 0)
    and a forked child's CPU over the same work done in this process (copy-on-write's cost).
    """
    refused = fork.fork_unavailable(studies)
    if refused is not None:
        raise RuntimeError(f"cannot measure the fork here: {refused}")
    full_cpu, post_cpu, parent_cpu, child_cpu, worst = 0.0, 0.0, 0.0, 0.0, 0.0
    for r in range(replications):
        full = []
        for study in studies:
            start = time.process_time()
            with gc_paused():
                full.append(run_replication(study, r).kpis)
            full_cpu += time.process_time() - start
            post_cpu += post_launch_cpu(study, r)
        start, children = time.process_time(), children_cpu()
        forked = fork.run_cells(studies, r)
        parent_cpu += time.process_time() - start
        child_cpu += children_cpu() - children
        worst = max([worst, *(float(np.nanmax(np.abs(a - b), initial=0.0)) for a, b in zip(forked, full, strict=True))])
        same_nan = all(np.array_equal(np.isnan(a), np.isnan(b)) for a, b in zip(forked, full, strict=True))
        if not same_nan:
            worst = float("inf")
    n = len(studies) * replications
    full_per, forked_per = full_cpu / n, (parent_cpu + child_cpu) / n
    parent_per_rep, child_per = parent_cpu / replications, child_cpu / n
    screen = (parent_per_rep + SCREEN_CELLS * child_per) / (SCREEN_CELLS * full_per)
    detail = {
        "cells": len(studies),
        "replications": replications,
        "parent_cpu_s_per_replication": round(parent_per_rep, 4),
        "child_cpu_s_per_cell": round(child_per, 4),
        "load_average": os.getloadavg(),
    }
    return [
        Figure("CPU per cell-replication, full runs", full_per, "s", detail=detail),
        Figure(f"CPU per cell-replication, {len(studies)} cells forked from one warm-up", forked_per, "s"),
        Figure(f"forked / full CPU per cell-replication ({len(studies)} cells)", forked_per / full_per, "x"),
        Figure(
            f"forked / full CPU per cell-replication, {SCREEN_CELLS} cells (estimate: parent once + children)",
            screen,
            "x",
            goal=SCREEN_RATIO_GOAL,
            at_least=False,
        ),
        Figure("forked == full: largest KPI difference", worst, "", goal=0.0, at_least=False),
        Figure(
            "forked child CPU / the same post-launch work in-process",
            child_per / (post_cpu / n),
            "x",
            detail={"in_process_post_launch_cpu_s": round(post_cpu / n, 4)},
        ),
    ]


def main() -> None:
    """Measure and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("cells", nargs="*", default=list(CELLS), help="policies (conf/policy/)")
    args = parser.parse_args()
    studies = [compose_study([f"policy={cell}", "run.progress=false", "run.keep_ledgers=0"]) for cell in args.cells]
    figures = shared_warmup(studies, args.replications)
    print(json.dumps([asdict(f) for f in figures], indent=1, default=str))


if __name__ == "__main__":
    main()
