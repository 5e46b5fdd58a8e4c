"""The draw of the uncertain inputs is the block: screen intervals, KN observations, feasibility trials."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from analysis.effects import CONFIDENCE, block_means, effects_table, fit_target
from sim.experiments import select as select_module
from sim.experiments.cells import OWN_DRAW, own_draws
from sim.experiments.kn import in_replications, kn_select
from sim.experiments.screen import main as screen_main
from sim.experiments.select import CellSampler
from tests.helpers import HUAIAN_2023, TARGET_KEYS


def paired_draw_values() -> tuple[np.ndarray, np.ndarray]:
    """Two levers, full factorial; 4 replications in 2 draws; lever a adds 2 in draw 0, 6 in draw 1."""
    design = np.array([[-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])
    effect_by_rep = np.array([2.0, 2.0, 6.0, 6.0])  # replications 2k, 2k+1 share draw k
    luck = np.array([[0.0, 0.1, -0.1, 0.0], [0.1, 0.0, 0.0, -0.1], [0.0, -0.1, 0.1, 0.0], [-0.1, 0.0, 0.0, 0.1]])
    values = 10.0 + design[:, [0]] * effect_by_rep[None, :] / 2 + luck
    return design, values


def test_screen_interval_is_over_draws_not_replications() -> None:
    design, values = paired_draw_values()
    fit = fit_target("x", 100.0, design, values, seed=0, per_draw=2, direction="at_least")
    assert fit.value_coef.shape == (2, 4)  # one row per draw: intercept, a, b, a:b
    row = effects_table("x", ["a", "b"], fit.value_coef, fit.attain_full, fit.attain_boot).iloc[0]
    per_draw_effect = 2 * fit.value_coef[:, 1]
    np.testing.assert_allclose(per_draw_effect, [2.0, 6.0], atol=0.11)
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, 1) * per_draw_effect.std(ddof=1) / np.sqrt(2)
    assert row["effect"] == pytest.approx(per_draw_effect.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((row["effect"] - half, row["effect"] + half))
    # treating the four replications as independent would claim an interval about 4x narrower
    naive = fit_target("x", 100.0, design, values, seed=0, per_draw=1, direction="at_least")
    naive_row = effects_table("x", ["a", "b"], naive.value_coef, naive.attain_full, naive.attain_boot).iloc[0]
    assert naive_row["ci_low"] > row["ci_low"] + 3


def test_blocks_must_be_whole_draws() -> None:
    with pytest.raises(ValueError, match="multiple of 2"):
        block_means(np.zeros((3, 4)), 2)
    with pytest.raises(ValueError, match=">= 2 draws"):
        block_means(np.zeros((2, 4)), 2)


def test_own_draws_is_the_default_and_a_user_choice_is_kept() -> None:
    assert own_draws(["run.seed=1"]) == ["run.seed=1", OWN_DRAW]
    assert own_draws(["uncertainty=none"]) == ["uncertainty=none"]
    assert own_draws(["uncertainty.replications_per_draw=2"]) == ["uncertainty.replications_per_draw=2"]


def test_sampler_observes_draw_means_and_feasibility_the_first_of_each_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []

    def fake_values(
        cells: list[list[str]], first: int, n: int, runner: object = None, plan: object = None
    ) -> np.ndarray:
        calls.append((first, n))
        reps = np.arange(first, first + n, dtype=float)
        return np.stack([np.tile(reps + 100 * i, (len(TARGET_KEYS), 1)) for i in range(len(cells))])

    monkeypatch.setattr(select_module, "year_end_values", fake_values)
    sampler = CellSampler([["a"], ["b"]], "start_rate_same_year", runner=None, per_draw=2, plan=HUAIAN_2023)
    np.testing.assert_allclose(sampler([0, 1], 1, 2), [[2.5, 4.5], [102.5, 104.5]])  # draws 1-2 = reps 2-5
    np.testing.assert_allclose(sampler.first_of_draws([1], 1, 2), [[102.0, 104.0]])  # cached, not re-run
    assert calls == [(2, 4)]
    assert sampler.simulated == 8


def test_selection_counts_replications_not_draws() -> None:
    rng = np.random.default_rng(0)
    values = np.array([[0.0], [1.0]]) + rng.standard_normal((2, 400))

    def sample(cells: list[int], first: int, n: int) -> np.ndarray:
        return values[cells, first : first + n]

    sel = kn_select(sample, 2, delta=0.5, n0=10)
    twice = in_replications(sel, 2)
    assert twice.best == sel.best == 1
    assert twice.total_replications == 2 * sel.total_replications
    assert list(twice.table["replications"]) == [2 * r for r in sel.table["replications"]]
    assert in_replications(sel, 1) is sel


def test_screen_rejects_split_draws_and_bad_overrides_before_simulating(tmp_path: Path) -> None:
    out = tmp_path / "s"
    args = ["--levers", "ready_to_build,five_permits", "--out", str(out)]
    assert screen_main([*args, "--replications", "3", "uncertainty.replications_per_draw=2"]) == 2
    assert screen_main([*args, "--replications", "4", "model.no_such_field=1"]) == 2
    assert not out.exists()
