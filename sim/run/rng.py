"""Random streams: one root seed, one child per replication, one named stream per source.

The scenario and the policy never enter the seed, so every scenario x policy cell sees the
same leads, sizes and latent draws for replication ``r`` (common random numbers). New
sources of randomness append a name at the end of :data:`STREAMS`; never reorder it.
"""

from __future__ import annotations

import numpy as np

STREAMS: tuple[str, ...] = (
    "arrivals",  # lead arrival times and event batch sizes
    "attributes",  # sector, size, flags, quality, land and energy need
    "durations",  # latent normals for every duration of every project
    "decisions",  # latent uniforms for pass / rework / problem / register / output
    "patience",  # investors' patience while waiting
    "retrofits",  # retrofit projects of existing firms
    "nowcast",  # residual durations and decisions of projects in flight on a ledger's as_of date
    "attraction",  # 3+7+5 series event candidates, each lead's unit and thinning uniform
    "uptake",  # each lead's uniform per service reform: takes it up if below the share in force
)


# Study-level streams: one per name, shared by every replication (e.g. the scramble of the
# parameter design, sim/run/parameters.py). Append new names at the end; never reorder.
STUDY_STREAMS: tuple[str, ...] = ("parameters", "history_sample")
# Entropy tag that keeps study streams apart from every replication's SeedSequence.
_STUDY_TAG = 0x5354554459  # "STUDY"


def study_stream(root_seed: int, name: str, block: int | None = None) -> np.random.Generator:
    """Return the study-level ``Generator`` called ``name`` (one of :data:`STUDY_STREAMS`).

    It depends on the root seed only, never on the replication, scenario or policy.
    ``block`` (optional) gives the stream's independent sub-stream of that number (the
    history sample's order, one permutation per pass through the sample).
    """
    index = STUDY_STREAMS.index(name)
    key = (index,) if block is None else (index, block)
    return np.random.default_rng(np.random.SeedSequence(entropy=[root_seed, _STUDY_TAG], spawn_key=key))


def replication_seed(root_seed: int, replication: int) -> np.random.SeedSequence:
    """Return the SeedSequence of one replication, independent of scenario and policy."""
    return np.random.SeedSequence(entropy=root_seed, spawn_key=(replication,))


def replication_streams(root_seed: int, replication: int) -> dict[str, np.random.Generator]:
    """Return one independent ``Generator`` per name in :data:`STREAMS`.

    Parameters
    ----------
    root_seed
        The study's root seed (``run.seed``).
    replication
        Replication index, 0-based.
    """
    children = replication_seed(root_seed, replication).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children, strict=True)}
