"""Paired comparison: intervals, pairing rules and the compare command."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.attainment import attainment
from analysis.compare import COMPARISON_COLUMNS, compare_cells, newcombe_paired_interval, paired_comparison
from cityplan.targets import targets_frame
from sim.config.study import StudyConfig
from sim.run.study import run_study
from tests.conftest import ROOT
from tests.helpers import HUAIAN_2023, TARGET_KEYS


def test_newcombe_interval_properties() -> None:
    rng = np.random.default_rng(0)
    a = rng.random(200) < 0.6
    b = a.copy()
    theta, lo, hi = newcombe_paired_interval(a, b)
    assert theta == 0.0
    assert lo < 0 < hi
    flipped = a | (rng.random(200) < 0.3)  # policy adds successes only
    theta, lo, hi = newcombe_paired_interval(flipped, a)
    assert theta == pytest.approx(np.mean(flipped) - np.mean(a))
    assert 0 < lo <= theta <= hi <= 1
    theta, lo, hi = newcombe_paired_interval(np.ones(50, bool), np.zeros(50, bool))
    assert theta == 1.0
    assert hi == 1.0
    # Wilson bounds at 50/50 and 0/50 are n/(n+z^2) and z^2/(n+z^2); phi = 0 for this table
    z2 = 1.959964**2
    assert lo == pytest.approx(1 - np.hypot(1 - 50 / (50 + z2), z2 / (50 + z2)), rel=1e-6)


def _cell(scenario: str, policy: str, values: np.ndarray, seed: int = 1) -> pd.DataFrame:
    n = values.size
    return pd.DataFrame(
        {
            "scenario": scenario,
            "policy": policy,
            "replication": np.arange(n),
            "seed": seed,
            "target": "signed_industrial_1e8",
            "value": values,
        }
    )


PLAN = targets_frame(HUAIAN_2023)
SIGNED = PLAN[PLAN["target"] == "signed_industrial_1e8"]  # goal 600


def test_paired_difference_uses_pairs() -> None:
    base = np.array([500.0, 620.0, 580.0, 700.0])
    kpis = paired_comparison(_cell("s", "p", base + 30.0), _cell("s", "status_quo", base), SIGNED)
    row = kpis.iloc[0]
    assert row["mean_diff"] == 30.0
    assert row["diff_low"] == row["diff_high"] == 30.0  # identical differences: no spread
    assert row["p_better"] == 1.0
    assert row["p_attain_baseline"] == 0.5
    assert row["p_attain_policy"] == 0.75
    assert row["effect"] == "up"


def test_pairing_refuses_different_seeds() -> None:
    with pytest.raises(ValueError, match="different root seeds"):
        paired_comparison(_cell("s", "p", np.ones(3), seed=1), _cell("s", "status_quo", np.ones(3), seed=2), SIGNED)


def test_unknown_baseline_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="baseline 'nope'"):
        compare_cells({("s", "p"): _cell("s", "p", np.ones(3))}, "nope", {("s", "p"): SIGNED})


@pytest.mark.slow
def test_compare_command_on_a_sweep(study: Callable[..., StudyConfig], tmp_path: Path) -> None:
    for i, policy in enumerate(("status_quo", "ready_to_build")):
        job = tmp_path / f"{i}_policy={policy}"
        job.mkdir()
        cfg = study(f"policy={policy}", "run.replications=4", "run.keep_ledgers=0")
        result = run_study(cfg)
        result.kpis.to_parquet(job / "kpis.parquet")
        att = attainment(result.kpis, targets_frame(cfg.plan))
        att.insert(0, "scenario", cfg.scenario_name)
        att.insert(1, "policy", cfg.policy_name)
        att.to_csv(job / "attainment.csv", index=False, encoding="utf-8-sig")
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "compare", str(tmp_path), "--baseline", "status_quo"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "P(start rate >= 50%)" in proc.stdout
    table = pd.read_csv(tmp_path / "comparison.csv", encoding="utf-8-sig")
    assert list(table.columns) == list(COMPARISON_COLUMNS)
    assert set(table["target"]) == set(TARGET_KEYS)
    assert (table["policy"] == "ready_to_build").all()
    assert (table["n_pairs"] == 4).all()
    assert (
        (table["p_attain_diff_low"] <= table["p_attain_diff"]) & (table["p_attain_diff"] <= table["p_attain_diff_high"])
    ).all()
    assert (tmp_path / "lever_effects.csv").exists()
