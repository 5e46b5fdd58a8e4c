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
)


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
