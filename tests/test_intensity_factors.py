"""The thinning of a whole bulletin period at once gives each candidate its own decision (issue 13)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cityplan.units import UNIT_KEYS
from sim.config.demand import SigningTarget
from sim.config.model import ModelConfig
from sim.model.attraction import EffortState, intensity_factor, intensity_factors

CANDIDATES = 2000


@pytest.mark.parametrize("last_year", [False, True])
@pytest.mark.parametrize("target", [None, SigningTarget(), SigningTarget(sectors=["industrial", "agriculture"])])
@pytest.mark.parametrize("series_events", [0, 3])
def test_vector_factors_have_the_bits_of_the_scalar_ones(
    last_year: bool, target: SigningTarget | None, series_events: int
) -> None:
    rng = np.random.default_rng(13)
    m = ModelConfig()
    m = replace(m, attraction=replace(m.attraction, series_events_per_year=series_events))
    effort = EffortState(
        effort=rng.exponential(0.7, len(UNIT_KEYS)),
        unit=rng.integers(-1, len(UNIT_KEYS), CANDIDATES).astype(np.int8),
        sector=rng.integers(0, 4, CANDIDATES).astype(np.int8),
        investment_yi=rng.lognormal(1.0, 1.2, CANDIDATES),
    )
    tier = rng.integers(0, 4, CANDIDATES)
    from_event = rng.random(CANDIDATES) < 0.2
    series_slot = np.where(rng.random(CANDIDATES) < 0.1, rng.integers(0, 8, CANDIDATES), -1).astype(np.int8)
    projects = np.arange(CANDIDATES)
    vector = intensity_factors(
        m,
        effort,
        projects,
        tier=tier,
        from_event=from_event,
        series_slot=series_slot,
        last_year=last_year,
        target=target,
    )
    scalar = [
        intensity_factor(
            m,
            effort,
            int(i),
            tier=int(tier[i]),
            from_event=bool(from_event[i]),
            series_slot=int(series_slot[i]),
            last_year=last_year,
            target=target,
        )
        for i in projects
    ]
    assert len(set(scalar)) > 10  # the draw covers many distinct factors
    np.testing.assert_array_equal(vector, np.asarray(scalar))
