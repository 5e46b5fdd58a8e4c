"""Every config group and scenario composes; bad input stops with a clear message."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from operator import attrgetter
from pathlib import Path

import numpy as np
import pytest
import yaml
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from cityplan.errors import ConfigError
from sim.config.study import StudyConfig, calendar_of
from sim.run.study import run_study
from tests.conftest import ROOT
from tests.helpers import echoed, names_value

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
    """One replication of each scenario: every target, and the frozen-energy regime in force.

    From the freeze on no ordinary energy quota is released, only what the policy frees (腾退):
    a freeze that is ignored fails here. (Its targets are not compared: in one smoke replication
    the carried-over stock covers the year and every target equals the default city's.)
    """
    cfg = study(f"scenario={scenario}", "run.replications=1")
    result = run_study(cfg)
    assert len(result.kpis) == 28
    if scenario == "energy_frozen":
        log = result.resources[result.resources["replication"] == 0]
        added = log[(log["resource"] == "energy_tce") & (log["metric"] == "added")].set_index("day")["value"]
        frozen = added.index >= calendar_of(cfg).year_start(cfg.model.energy.frozen_from_year)
        steps = np.diff(added.to_numpy())[frozen[1:]]
        assert steps.size >= 11
        swap = cfg.model.energy.swap_tce_per_month  # in force from the launch (after the year's first release)
        assert np.all(np.isclose(steps, 0.0) | np.isclose(steps, swap)), steps


def policy_settings(policy: str) -> dict[str, object]:
    """Every value a policy file sets, by dotted path (a file's ``defaults`` list read in order)."""
    text = yaml.safe_load((ROOT / "conf" / "policy" / f"{policy}.yaml").read_text(encoding="utf-8")) or {}
    out: dict[str, object] = {}
    for included in text.pop("defaults", []):
        out |= policy_settings(included)

    def leaves(node: object, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                leaves(value, f"{path}.{key}" if path else key)
        else:
            out[path] = node

    leaves(text, "")
    return out


def changed_paths(a: object, b: object, path: str = "") -> set[str]:
    """Dotted paths of the leaves where two configurations (dataclasses) differ."""
    if is_dataclass(a) and is_dataclass(b):
        return set().union(
            *(changed_paths(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}") for f in fields(a))
        )
    return set() if a == b else {path.removeprefix(".")}


@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_composes(study: Callable[..., StudyConfig], policy: str) -> None:
    """The file's settings are in force, and they are all that differ from the status quo (issue 24).

    A policy file emptied or ignored changes nothing and fails (the name alone could not tell).
    """
    cfg, base = study(f"policy={policy}"), study("policy=status_quo")
    assert cfg.policy_name == policy
    settings = policy_settings(policy)
    for path, value in settings.items():
        assert attrgetter(path)(cfg) == value, path
    changed = changed_paths(cfg.model, base.model)
    assert changed == {p.removeprefix("model.") for p in settings if p.startswith("model.")}
    if policy != "status_quo":
        assert changed, f"{policy} changes nothing"


def test_policies_combine(study: Callable[..., StudyConfig]) -> None:
    """Two policies together: the settings of both, and nothing else, differ from the status quo."""
    cfg, base = study("policy=[ready_to_build,five_permits]"), study("policy=status_quo")
    assert cfg.policy_name == "ready_to_build+five_permits"
    changed = changed_paths(cfg.model, base.model)
    assert changed == changed_paths(study("policy=ready_to_build").model, base.model) | changed_paths(
        study("policy=five_permits").model, base.model
    )
    assert changed == {"uptake.parallel_with_land.plan_level", "uptake.five_permits.plan_level"}


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
    # the message names the field overridden (or the pair it belongs to) and echoes its value:
    # read from the message's "= <value> is not allowed" part, not from anywhere in the text
    key, _, value = override.partition("=")
    field, shown = echoed(str(err.value))
    pair = "/" in field and field.rsplit(".", 1)[0] == key.rsplit(".", 1)[0]  # "…days_before/after_festival"
    assert key in field.split("..") or pair, (field, key)
    assert names_value(shown, value), (shown, value)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        # the misspelt key in full (its value, 5, is a digit any message may hold)
        ("model.land.quota_mu_per_yr=5", ["'model.land.quota_mu_per_yr'"]),
        ("run.replications=abc", ["run.replications=abc"]),
        ("scenario=no_such_scenario", ["'scenario/no_such_scenario'"]),
        ("policy=no_such_lever", ["'policy/no_such_lever'"]),
    ],
)
def test_typos_and_unknown_names_fail_at_compose(
    study: Callable[..., StudyConfig], override: str, named: list[str]
) -> None:
    with pytest.raises((HydraException, OmegaConfBaseException)) as err:
        study(override)
    for text in named:
        assert text in str(err.value)


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
