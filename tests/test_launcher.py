"""Hydra sweeps on the joblib launcher plugin: one job per cell, in parallel processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.run.study import run_study
from tests.conftest import ROOT, compose_study

pytest.importorskip("hydra_plugins.hydra_joblib_launcher")


@pytest.mark.slow
def test_joblib_launcher_multirun(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "-m",
            "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2",
            "run=smoke",
            "run.replications=1",
            "policy=status_quo,ready_to_build",
            f"hydra.sweep.dir={tmp_path}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Joblib" in proc.stderr + proc.stdout  # the plugin, not the basic launcher, ran the jobs
    runs = sorted(p.parent for p in tmp_path.glob("*/kpis.parquet"))
    assert len(runs) == 2
    for run in runs:
        kpis = pd.read_parquet(run / "kpis.parquet")
        policy = kpis["policy"].iloc[0]
        expected = run_study(compose_study(["run=smoke", "run.replications=1", f"policy={policy}"])).kpis
        pd.testing.assert_frame_equal(kpis, expected)
    assert {pd.read_parquet(r / "kpis.parquet")["policy"].iloc[0] for r in runs} == {"status_quo", "ready_to_build"}
