"""KN selection on synthetic normal cells with a known best, and the feasibility check."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments.kn import clopper_pearson, feasibility_check, kn_h2, kn_select, stein_fixed_size


def normal_cells(means: np.ndarray, sd: float, rho: float, seed: int, *, crn: bool, horizon: int = 4000):
    """Sampler of normal cells; with ``crn`` replication r shares a common shock (correlation rho)."""
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((1 if crn else len(means), horizon))
    own = rng.standard_normal((len(means), horizon))
    values = means[:, None] + sd * (np.sqrt(rho) * shared + np.sqrt(1 - rho) * own)

    def sample(cells: list[int], first: int, n: int) -> np.ndarray:
        return values[cells, first : first + n]

    return sample


def run_trials(trials: int, means: np.ndarray, *, sd: float, rho: float, crn: bool, paired: bool, delta: float):
    correct, spent, fixed = 0, [], []
    for t in range(trials):
        sel = kn_select(
            normal_cells(means, sd, rho, 1000 + t, crn=crn),
            len(means),
            pcs=0.95,
            delta=delta,
            n0=10,
            batch=5,
            paired=paired,
        )
        correct += sel.best == int(np.argmax(means))
        spent.append(sel.total_replications)
        fixed.append(sel.fixed_design_replications)
    return correct / trials, float(np.mean(spent)), float(np.mean(fixed))


def test_kn_selects_the_known_best_at_least_pcs_and_beats_a_fixed_design() -> None:
    # slippage configuration: the best is exactly delta above four equal cells (the hardest case)
    means = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    rate, spent, fixed = run_trials(200, means, sd=2.0, rho=0.0, crn=False, paired=False, delta=1.0)
    assert rate >= 0.95
    assert spent < fixed


def test_paired_differences_under_crn_save_replications() -> None:
    means = np.array([0.0, 0.5, 1.0, 1.5])  # increasing means, correlation 0.9 between cells
    rate_crn, spent_crn, _ = run_trials(100, means, sd=2.0, rho=0.9, crn=True, paired=True, delta=0.5)
    rate_ind, spent_ind, _ = run_trials(100, means, sd=2.0, rho=0.9, crn=False, paired=False, delta=0.5)
    assert rate_crn >= 0.95
    assert rate_ind >= 0.95
    assert spent_crn < 0.5 * spent_ind  # paired variance 2 sd^2 (1 - rho) = 0.8 vs 8: far fewer samples


def test_identical_cells_end_tied_at_the_natural_end() -> None:
    sel = kn_select(normal_cells(np.zeros(3), 1.0, 1.0, 0, crn=True), 3, delta=0.5, n0=5)
    assert sorted(sel.table["status"]) == ["best", "tied", "tied"]


def test_h2_and_stein_size_grow_with_confidence() -> None:
    assert kn_h2(4, 10, 0.99) > kn_h2(4, 10, 0.95) > kn_h2(2, 10, 0.95)
    first = np.random.default_rng(0).normal(size=(3, 10))
    assert stein_fixed_size(first, 0.99, 0.5) >= stein_fixed_size(first, 0.95, 0.5)


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="pcs"):
        kn_select(lambda c, f, n: np.zeros((len(c), n)), 3, pcs=0.4, delta=1.0)


def test_feasibility_finds_the_cheapest_candidate_reaching_p_star() -> None:
    probs = np.array([0.05, 0.2, 0.9, 0.95])  # cheapest first; the third is the answer for p* = 0.6
    found = 0
    for t in range(50):
        rng = np.random.default_rng(t)
        table = feasibility_check(
            lambda c, f, n, rng=rng: (rng.random((len(c), n)) < probs[c][:, None]).astype(float),
            4,
            p_star=0.6,
            pcs=0.95,
            batch=20,
            max_replications=200,
        )
        found += list(table["status"]) == ["infeasible", "infeasible", "feasible", "not_needed"]
    assert found >= 48


def test_clopper_pearson_bounds_cover() -> None:
    low, high = clopper_pearson(5, 20, 0.025)
    assert 0.05 < low < 0.25 < high < 0.55
    assert clopper_pearson(0, 10, 0.05)[0] == 0.0
