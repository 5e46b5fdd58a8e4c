"""The model's values of the published record, replication by replication (issue 22).

:func:`observe_replication` runs one replication (its draw of the uncertain inputs first, as
:func:`sim.run.replication.run_replication` does), only as far as the last observed date
needs (at most to the campaign launch: the record is of the warm-up years), and computes
each observation from the project ledger inside the worker; the ledger is dropped there.
:func:`observe_study` runs the given replications in chunks on the study's backend
(``run.jobs``, ``run.backend``) and returns one tidy frame ``replication, observation,
value``. The same seed gives the same frame whatever the backend; stopping early gives the
same values as a full run. History matching reruns this on other inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cityplan.errors import ConfigError
from cityplan.observations import ObservationSet
from cityplan.observing import observe
from sim.config.study import StudyConfig, calendar_of, kpi_window
from sim.run.backends import open_backend
from sim.run.parameters import with_parameters
from sim.run.replication import gc_paused, ledger_frame, simulate
from sim.run.study import chunks_of


@dataclass(frozen=True)
class ObservedChunk:
    """Observed values of one chunk: ``values[i, j]`` of replication ``replications[i]``, observation ``keys[j]``."""

    replications: list[int]
    keys: tuple[str, ...]
    values: np.ndarray


def stop_day(cfg: StudyConfig, observations: ObservationSet) -> float:
    """Model day after the last date the observations need: where each run may stop.

    Never later than the campaign launch (observations are checked to end before it).
    """
    cal = calendar_of(cfg)
    last = max(o.measure.last_day_needed() for o in observations.observations.values())
    return min(cal.day_of(last) + 1.0, cal.day_of(cfg.launch_date()))


def observe_replication(
    cfg: StudyConfig, replication: int, observations: ObservationSet, *, stop_early: bool = True
) -> dict[str, float]:
    """The value of every observation in one replication (key -> value).

    Parameters
    ----------
    cfg
        The study (scenario, policy, uncertainty); a nowcast is refused.
    replication
        Index of the replication: its seed streams and its draw of the uncertain inputs.
    observations
        The record (:func:`cityplan.observations.load_observations`).
    stop_early
        Stop the run at :func:`stop_day` (default) instead of the end of the target year.
    """
    if cfg.nowcast.ledger:
        raise ConfigError(
            f"config field 'nowcast.ledger' = {cfg.nowcast.ledger!r} is not allowed: expected '' "
            "(the record is checked against the model's own warm-up years)"
        )
    cfg = with_parameters(cfg, replication)
    until = stop_day(cfg, observations) if stop_early else None
    system, retrofits = simulate(cfg, replication, until_day=until)
    ledger = ledger_frame(system)
    return observe(ledger, retrofits, observations.observations.values(), calendar_of(cfg), kpi_window(cfg))


def observe_chunk(observations: ObservationSet, cfg: StudyConfig, replications: list[int]) -> ObservedChunk:
    """One backend task: the observed values of a chunk of replications."""
    rows = []
    for r in replications:
        with gc_paused():
            values = observe_replication(cfg, r, observations)
        rows.append([values[k] for k in observations.keys])
    return ObservedChunk(list(replications), observations.keys, np.array(rows, dtype=float).reshape(len(rows), -1))


def observe_study(
    cfg: StudyConfig,
    observations: ObservationSet,
    replications: list[int] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """The observed values of ``replications`` (default ``range(run.replications)``), tidy.

    Runs on the study's backend in chunks of ``run.chunk_size``; returns columns
    ``replication, observation, value`` sorted by replication, then in file order.
    ``progress(done, total)`` is called after each chunk (history matching's progress lines).
    """
    reps = sorted(replications if replications is not None else range(cfg.run.replications))
    fn = functools.partial(observe_chunk, observations)
    got: dict[int, np.ndarray] = {}
    with open_backend(cfg.run, fn) as backend:
        for chunk in backend.map(cfg, chunks_of(reps, cfg.run.chunk_size)):
            for i, r in enumerate(chunk.replications):
                got[r] = chunk.values[i]
            if progress is not None:
                progress(len(got), len(reps))
    keys = observations.keys
    values = np.stack([got[r] for r in reps]) if reps else np.empty((0, len(keys)))
    return pd.DataFrame(
        {
            "replication": np.repeat(np.asarray(reps, dtype=int), len(keys)),
            "observation": np.tile(np.asarray(keys, dtype=object), len(reps)),
            "value": values.ravel(),
        }
    )
