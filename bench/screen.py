"""The screen's goals of issue 26, as ratios of timings taken in the same run.

- **Screen cost per cell-replication ÷ a standalone replication's** (goal ≤ 0.55). A sample of
  the default screen's design cells runs the same replications twice, interleaved replication
  by replication: each cell on its own (``run_replication``, the unforked path) and the cells
  together through :func:`sim.run.fork.run_cells` (the screen's path). The screen's cost adds
  its share of composing every cell of the full design (16 compositions, then one build per
  package) spread over the default screen's cell-replications. The goal needs the shared
  warm-up (issue 26 part 2); the plain ``run_cells`` runs each cell in full, so its ratio is
  about 1.
- **Forked == unforked**: the largest absolute difference between the two paths' KPI matrices
  (goal 0, bit for bit).
- **Dask ÷ local pool**: the wall time of the same small screen on a Dask ``LocalCluster``
  of ``jobs`` workers and on the local pool of ``jobs`` processes, both opened and warmed by
  a few untimed tasks before the clock starts (goal ≤ 1.15, within 15%): the start-up of a
  cluster is paid once a session, the per-task cost on every task.

CPU is counted by :func:`bench.measures.cpu_seconds` (this process and its reaped children, so
a forked ``run_cells`` is counted whole).
"""

from __future__ import annotations

import time

import numpy as np

from bench.measures import Figure, cpu_seconds
from sim.config.run import DEFAULT_SEED, RunConfig
from sim.config.study import StudyConfig
from sim.experiments.cells import cell_overrides, cell_study, list_levers, list_scenarios, open_cells
from sim.experiments.screen import DEFAULT_SCENARIO, common_overrides, design_cells
from sim.run.fork import run_cells
from sim.run.replication import gc_paused, run_replication

SCREEN_RATIO_GOAL = 0.55  # issue 26: a screen's cell-replication at most 0.55 of a standalone replication
DASK_WITHIN = 1.15  # issue 26: a Dask LocalCluster within 15% of the local pool
SCREEN_REPLICATIONS = 8  # the default screen's replications per cell (python -m sim.screen --replications)
WARM_UP_REPLICATION = 1000  # untimed tasks from here start the workers (a Dask worker imports the model afresh)


def design_studies() -> tuple[list[StudyConfig], float]:
    """Every cell of the default screen's design, composed as the screen composes them, and the CPU it took."""
    levers, scenarios = list_levers(), list_scenarios()
    _, names = design_cells(levers)
    common = common_overrides(DEFAULT_SCENARIO, DEFAULT_SEED, [])
    start = cpu_seconds()
    studies = [cell_study([*common, *cell_overrides(n, levers, scenarios)]) for n in names]
    return studies, cpu_seconds() - start


def spread(studies: list[StudyConfig], n: int) -> list[StudyConfig]:
    """``n`` cells spread evenly over the design (every k-th)."""
    return studies[:: max(len(studies) // n, 1)][:n]


def screen_vs_standalone(studies: list[StudyConfig], compose_s: float, cells: int, reps: int) -> list[Figure]:
    """The screen's cost per cell-replication ÷ a standalone one's, and forked == unforked."""
    sample = spread(studies, cells)
    alone_s = screen_s = 0.0
    worst = 0.0
    for r in range(reps):
        start = cpu_seconds()
        alone = []
        for study in sample:
            with gc_paused():
                alone.append(run_replication(study, r).kpis)
        mid = cpu_seconds()
        together = run_cells(sample, r)
        end = cpu_seconds()
        alone_s, screen_s = alone_s + mid - start, screen_s + end - mid
        worst = max([worst, *(float(np.max(np.abs(a - b))) for a, b in zip(alone, together, strict=True))])
    pairs = len(sample) * reps
    compose_share = compose_s / (len(studies) * SCREEN_REPLICATIONS)
    per_alone, per_screen = alone_s / pairs, screen_s / pairs + compose_share
    return [
        Figure(
            "screen CPU per cell-replication / standalone replication (shared warm-up, compose per lever)",
            per_screen / per_alone,
            "x",
            goal=SCREEN_RATIO_GOAL,
            at_least=False,
            detail={
                "cells": len(sample),
                "replications": reps,
                "standalone_cpu_s_per_rep": round(per_alone, 4),
                "run_cells_cpu_s_per_cell_rep": round(screen_s / pairs, 4),
                "compose_cpu_s_all_cells": round(compose_s, 2),
                "design_cells": len(studies),
                "compose_share_s_per_cell_rep": round(compose_share, 4),
            },
        ),
        Figure(
            "forked == unforked: max abs. difference of KPI matrices (run_cells vs run_replication)",
            worst,
            "diff",
            goal=0.0,
            at_least=False,
            detail={"cell_replications": pairs},
        ),
    ]


def dask_vs_pool(studies: list[StudyConfig], cells: int, reps: int, jobs: int) -> Figure:
    """Wall time of a small screen on a Dask LocalCluster ÷ on the local pool (both already open)."""
    sample, replications = spread(studies, cells), list(range(reps))
    walls: dict[str, float] = {}
    values: dict[str, dict[tuple[int, int], np.ndarray]] = {}
    for name, run in (("pool", RunConfig(jobs=jobs)), ("dask", RunConfig(backend="dask", jobs=jobs))):
        with open_cells(run) as runner:
            runner.values(sample[:1], [WARM_UP_REPLICATION + i for i in range(2 * jobs)])  # workers up, imports done
            start = time.perf_counter()
            values[name] = runner.values(sample, replications)
            walls[name] = time.perf_counter() - start
    same = all(np.array_equal(values["pool"][k], values["dask"][k]) for k in values["pool"])
    return Figure(
        f"screen wall on a Dask LocalCluster of {jobs} workers / on the local pool of {jobs} processes",
        walls["dask"] / walls["pool"],
        "x",
        goal=DASK_WITHIN,
        at_least=False,
        detail={"cells": len(sample), "replications": reps}
        | {f"{k}_wall_s": round(v, 2) for k, v in walls.items()}
        | {"same_values": same},
    )


def screen_figures(cells: int, reps: int, jobs: int) -> list[Figure]:
    """Every screen figure of issue 26, measured now."""
    studies, compose_s = design_studies()
    return [*screen_vs_standalone(studies, compose_s, cells, reps), dask_vs_pool(studies, cells, reps, jobs)]
