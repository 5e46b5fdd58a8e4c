"""Every config group and scenario composes; bad input stops with a clear message."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from cityplan.errors import ConfigError
from sim.config.study import StudyConfig
from sim.run.study import run_study
from tests.conftest import ROOT

SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
POLICIES = sorted(p.stem for p in (ROOT / "conf" / "policy").glob("*.yaml"))


def test_scenario_files_state_their_question() -> None:
    for name in SCENARIOS:
        lines = (ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8").splitlines()
        assert lines[0] == "# @package _global_", name
        assert lines[1].startswith("# Question:"), f"{name}: second line must ask the question"
        assert "?" in lines[1], name


# Every scenario composes and validates in the default suite; running one replication of each
# is slow (21 full-city replications) except for the default city and the frozen-energy regime.
RUN_BY_DEFAULT = ("huaian_2023", "energy_frozen")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_composes(study: Callable[..., StudyConfig], scenario: str) -> None:
    assert study(f"scenario={scenario}", "run.replications=1").scenario_name == scenario


@pytest.mark.parametrize(
    "scenario", [s if s in RUN_BY_DEFAULT else pytest.param(s, marks=pytest.mark.slow) for s in SCENARIOS]
)
def test_every_scenario_runs(study: Callable[..., StudyConfig], scenario: str) -> None:
    result = run_study(study(f"scenario={scenario}", "run.replications=1"))
    assert len(result.kpis) == 28


@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_composes(study: Callable[..., StudyConfig], policy: str) -> None:
    cfg = study(f"policy={policy}")
    assert cfg.policy_name == policy


def test_policies_combine(study: Callable[..., StudyConfig]) -> None:
    cfg = study("policy=[ready_to_build,five_permits]")
    assert cfg.policy_name == "ready_to_build+five_permits"
    assert cfg.model.uptake.parallel_with_land.plan_level
    assert cfg.model.uptake.five_permits.plan_level


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("model.prework.median_days=-5", "model.prework.median_days"),
        ("model.appraisal.pass_probability=1.5", "between 0 and 1"),
        ("run.replications=0", "run.replications"),
        ("model.land.priority=biggest", "'fifo' or 'size'"),
        ("model.land.standard_plant_share=1.2", "model.land.standard_plant_share"),
        ("model.demand.month_weights=[1,2]", "12 non-negative weights"),
        ("model.approvals.capacity_projects=0", "capacity_projects"),
        ("plan.targets.signed_5e9.goal=-3", "plan.targets.signed_5e9.goal"),
        ("plan.targets.signed_5e9.measure.milestone=finished", "one of signed, started"),
        ("plan.targets.start_rate_same_year.measure.statistic=ratio", "one of count, investment"),
        ("run.target_year=2040", "Spring Festival date"),
        # Years and days of the year (issue 13: base_year=-3 ended in a numpy traceback).
        ("model.demand.base_year=-3", "model.demand.base_year"),
        ("model.demand.base_year=20210", "a calendar year from 2000 to 2100"),
        ("run.first_year=1", "run.first_year"),
        ("run.target_year=9999", "run.target_year"),
        ("model.energy.frozen_from_year=1999", "model.energy.frozen_from_year"),
        ("model.retrofit.benchmark_day_of_year=999", "a day of the year, 0..364"),
        ("model.construction.dead_period_days_after_festival=400", "dead_period"),
    ],
)
def test_bad_values_name_field_value_and_rule(study: Callable[..., StudyConfig], override: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(")) as err:
        study(override)
    assert override.split("=")[1].strip("[]").split(",")[0] in str(err.value)


@pytest.mark.parametrize(
    "override",
    ["model.land.quota_mu_per_yr=5", "run.replications=abc", "scenario=no_such_scenario", "policy=no_such_lever"],
)
def test_typos_and_unknown_names_fail_at_compose(study: Callable[..., StudyConfig], override: str) -> None:
    with pytest.raises((HydraException, OmegaConfBaseException)) as err:
        study(override)
    key, value = override.split("=")
    assert key.split(".")[-1] in str(err.value) or value in str(err.value)


def test_cli_bad_input_exits_before_simulating(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run=smoke", "model.appraisal.pass_probability=1.5", f"hydra.run.dir={tmp_path}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode != 0
    assert "model.appraisal.pass_probability" in proc.stderr
    assert "1.5" in proc.stderr
    assert not (tmp_path / "kpis.parquet").exists()
