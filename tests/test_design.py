"""The fractional factorial generator: resolution >= V, orthogonal model columns, balanced levers."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.effects import model_matrix
from sim.experiments.design import defining_words, resolution, resolution_v_design


@pytest.mark.parametrize("k", [1, 3, 5, 6, 8, 11, 12, 13, 17])
def test_design_is_resolution_v_with_orthogonal_two_lever_model(k: int) -> None:
    d = resolution_v_design(k)
    assert d.resolution >= 5
    x = model_matrix(d.matrix)
    # main effects and every two-lever interaction estimable and mutually orthogonal
    np.testing.assert_array_equal(x.T @ x, d.runs * np.eye(x.shape[1]))
    assert len({tuple(row) for row in d.matrix}) == d.runs  # no run repeated


@pytest.mark.parametrize(("k", "runs"), [(5, 16), (6, 32), (8, 64), (11, 128), (12, 256), (17, 256)])
def test_fewest_runs_for_resolution_v(k: int, runs: int) -> None:
    assert resolution_v_design(k).runs == runs


def test_resolution_counts_the_shortest_word() -> None:
    # 2^(5-2) with D = AB, E = AC: words ABD, ACE, BCDE -> resolution III
    assert resolution([(0, 1), (0, 2)], 3) == 3
    assert sorted(len(w) for w in defining_words([(0, 1), (0, 2)], 3)) == [3, 3, 4]


def test_too_many_levers_is_an_error() -> None:
    with pytest.raises(ValueError, match="levers"):
        resolution_v_design(24)
