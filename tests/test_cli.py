"""The Hydra app end to end: outputs, --help, --cfg job, multirun."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.attainment import ATTAINMENT_COLUMNS
from tests.conftest import ROOT
from tests.helpers import TARGET_KEYS


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=ROOT, check=False)


def test_run_writes_tidy_tables(tmp_path: Path) -> None:
    proc = run_cli("run=smoke", "run.replications=2", f"hydra.run.dir={tmp_path}")
    assert proc.returncode == 0, proc.stderr
    assert "当年申报签约项目开工率" in proc.stdout
    assert "Start rate of same-year signings" in proc.stdout
    kpis = pd.read_parquet(tmp_path / "kpis.parquet")
    assert list(kpis.columns[:5]) == ["scenario", "policy", "replication", "seed", "target"]
    assert len(kpis) == 2 * len(TARGET_KEYS) == 56
    assert set(kpis["target"]) == set(TARGET_KEYS)
    monthly = pd.read_parquet(tmp_path / "monthly.parquet")
    assert len(monthly) == 2 * len(TARGET_KEYS) * 12
    # cumulative counts never fall from one month end to the next
    counts = monthly[monthly["target"] == "signed_industrial_1e8"].sort_values(["replication", "month"])
    assert (counts.groupby("replication")["value"].diff().dropna() >= 0).all()
    att = pd.read_csv(tmp_path / "attainment.csv", encoding="utf-8-sig")
    assert list(att.columns) == ["scenario", "policy", *ATTAINMENT_COLUMNS]
    assert len(att) == len(TARGET_KEYS)
    assert ((att["p_attain_low"] <= att["p_attain"]) & (att["p_attain"] <= att["p_attain_high"])).all()
    assert (tmp_path / ".hydra" / "config.yaml").exists()
    assert (tmp_path / "meta.json").exists()


def test_help_and_cfg_job() -> None:
    help_ = run_cli("--help")
    assert help_.returncode == 0
    assert "gongjian" in help_.stdout
    assert "scenario" in help_.stdout
    cfg = run_cli("--cfg", "job", "policy=status_quo")
    assert cfg.returncode == 0
    assert "quota_mu_per_year" in cfg.stdout


def test_multirun_sweeps_policies(tmp_path: Path) -> None:
    proc = run_cli(
        "-m", "run=smoke", "run.replications=1", "policy=status_quo,ready_to_build", f"hydra.sweep.dir={tmp_path}"
    )
    assert proc.returncode == 0, proc.stderr
    tables = sorted(tmp_path.glob("*/attainment.csv"))
    assert len(tables) == 2
    policies = {pd.read_csv(t, encoding="utf-8-sig")["policy"].iloc[0] for t in tables}
    assert policies == {"status_quo", "ready_to_build"}


@pytest.mark.slow
def test_what_if_sweep_cells_are_labelled_by_value(tmp_path: Path) -> None:
    proc = run_cli(
        "-m",
        "run=smoke",
        "run.replications=1",
        "policy=status_quo",
        "model.land.quota_mu_per_year=20000,40000",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert proc.returncode == 0, proc.stderr
    scenarios = {pd.read_csv(t, encoding="utf-8-sig")["scenario"].iloc[0] for t in tmp_path.glob("*/attainment.csv")}
    assert scenarios == {"huaian_2023[land.quota_mu_per_year=20000]", "huaian_2023[land.quota_mu_per_year=40000]"}


# Commands that run many replications: each takes the run backends' options.
EXPERIMENT_COMMANDS = frozenset(
    {"sim.screen", "sim.select", "sim.what_it_takes", "sim.tune", "sim.validate", "sim.history_match"}
    | {"sim.experiments.watch_calibration"}
)


def test_list_names_every_command_and_each_one_answers_help() -> None:
    """``python -m sim --list`` is the one index of commands; every module it names runs (issue 21)."""
    from sim.commands import COMMANDS

    proc = run_cli("--list")
    assert proc.returncode == 0, proc.stderr
    for command, what in COMMANDS:
        assert command in proc.stdout
        assert what in proc.stdout
    modules = {command.split()[2] for command, _ in COMMANDS}
    assert {"sim", "analysis", "sim.ledger", "sim.screen", "sim.select", "sim.what_it_takes"} <= modules
    for module in sorted(modules - {"sim"}):  # python -m sim --help is tested above
        helped = subprocess.run(
            [sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=ROOT, check=False
        )
        assert helped.returncode == 0, (module, helped.stderr[-500:])
        assert "usage" in helped.stdout, module
        if module in EXPERIMENT_COMMANDS:  # one way to run many replications (issue 26)
            for option in ("--backend", "--jobs", "--dask-address"):
                assert option in helped.stdout, (module, option)
