"""Run every cell of a block for one replication: the per-replication work of an experiment.

The cells of a screen or a selection share everything before the campaign launch under
common random numbers (seed, baseline, leads). This is the plain, fork-free implementation:
each cell's replication runs in full, one after the other, in this process.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.config.study import StudyConfig
from sim.run.replication import gc_paused, run_replication


def run_cells(studies: Sequence[StudyConfig], replication: int) -> list[np.ndarray]:
    """Replication `replication` of every study (which share everything before the launch:
    seed, baseline, leads); returns each study's `run_replication(study, replication).kpis`
    (n_plan_rows x 12), in order."""  # noqa: D205, D209 - the docstring the forked run_cells shares
    out = []
    for study in studies:
        with gc_paused():
            out.append(run_replication(study, replication).kpis)
    return out
