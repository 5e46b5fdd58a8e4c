"""History matching (issue 22): the implausibility, the waves on a toy model, the sample draws."""

from __future__ import annotations

import numpy as np

from sim.experiments.history import (
    CUTOFF,
    Target,
    implausibility,
    point_summary,
    run_waves,
    simulated_implausibility,
)


def test_implausibility_of_a_value_and_a_range():
    """|z - E| / sqrt(obs + disc + model var); a range is 0 inside and its distance outside."""
    point = Target("a", 10.0, 10.0, obs_var=1.0, disc_var=2.0)
    span = Target("b", 4.0, 6.0, obs_var=0.0, disc_var=1.0)
    mean = np.array([[13.0, 5.0], [10.0, 8.0], [7.0, 3.0]])
    var = np.array([[1.0, 3.0], [0.0, 0.0], [6.0, 0.0]])
    got = implausibility(mean, var, [point, span])
    np.testing.assert_allclose(got[:, 0], [3 / 2, 0.0, 3 / 3])
    np.testing.assert_allclose(got[:, 1], [0.0, 2.0, 1.0])


def test_undefined_value_is_no_evidence():
    """A NaN mean (nothing to divide by) does not rule the point out."""
    got = implausibility(np.array([[np.nan]]), np.array([[0.0]]), [Target("a", 1, 1, 0.1, 0.0)])
    assert got[0, 0] == 0.0


def test_luck_is_pooled_within_points():
    """Two replications a point: the luck variance is the pooled within-point variance."""
    y = np.array([[[1.0], [3.0]], [[10.0], [14.0]]])  # points x replications x targets
    mean, luck, _n = point_summary(y)
    np.testing.assert_allclose(mean[:, 0], [2.0, 12.0])
    np.testing.assert_allclose(luck, [(2.0 + 8.0) / 2])
    implaus, _, _ = simulated_implausibility(y, [Target("a", 2.0, 2.0, 0.0, 0.0)])
    np.testing.assert_allclose(implaus[:, 0], [0.0, 10.0 / np.sqrt(5.0 * 1.5)])


def toy(u: np.ndarray, rng: np.random.Generator, reps: int = 2) -> np.ndarray:
    """Three outputs of five inputs: two depend on u0 and u1, one cannot reach its record."""
    n = len(u)
    f = np.stack([10 * u[:, 0] + 2 * u[:, 2], 5 * u[:, 1] ** 2, u[:, 3]], axis=1)
    return f[:, None, :] + rng.normal(scale=0.2, size=(n, reps, 3))


def test_waves_narrow_a_toy_model_around_the_truth():
    """Known answer on a toy: the truth stays in, u0 and u1 narrow around it, the defect is named."""
    from scipy.stats import qmc

    rng = np.random.default_rng(1)
    truth = np.array([[0.3, 0.7, 0.5, 0.5, 0.5]])
    z = toy(truth, rng, reps=1)[0, 0]
    targets = [
        Target("t0", z[0], z[0], obs_var=0.1**2, disc_var=(0.05 * z[0]) ** 2),
        Target("t1", z[1], z[1], obs_var=0.1**2, disc_var=(0.05 * z[1]) ** 2),
        Target("unreachable", 5.0, 5.0, obs_var=0.01, disc_var=0.01),
    ]
    first = qmc.Sobol(5, scramble=True, rng=np.random.default_rng(2)).random(64)
    waves, defects = run_waves(lambda u, _w: toy(u, rng), targets, first, n_waves=3, points_per_wave=64, seed=3)
    assert list(defects) == ["unreachable"]
    assert len(waves) == 3
    last = waves[-1]
    kept = last.design[last.non_implausible]
    assert len(kept) >= 20
    # the truth is not ruled out by any wave's emulators
    for wave in waves[:-1]:
        assert wave.cut is not None
        assert not wave.cut.implausible(truth)[0]
    for i in (0, 1):
        lo, hi = np.quantile(kept[:, i], [0.05, 0.95])
        assert lo <= truth[0, i] <= hi
        assert hi - lo < 0.6  # the prior's 90% range is 0.9
    lo, hi = np.quantile(kept[:, 4], [0.05, 0.95])  # an input no output depends on stays wide
    assert hi - lo > 0.7
    assert np.all(waves[-1].implausibility[last.non_implausible] <= CUTOFF)
    assert waves[1].pool_share < 0.5  # the first cut ruled out most of the prior
