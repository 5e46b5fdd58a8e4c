"""Uncertainty budget, value of information and scenario discovery (issue 11)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analysis.discover import Box, cart_box, prim_boxes
from analysis.report.discovery import box_sentence
from analysis.sensitivity import LUCK, REST, Design, budget, ranking, target_budgets, value_of_information
from cityplan.targets import targets_frame
from sim.config.priors import Prior, UncertaintyConfig
from sim.run.study import run_study


def _design(n_draws: int, n_inputs: int, seed: int) -> Design:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n_draws, n_inputs)), columns=[f"x{i}" for i in range(n_inputs)])
    return Design(draw=np.repeat(np.arange(n_draws), 2), inputs=x)


def _y(design: Design, f, noise_sd: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = design.inputs.loc[design.draw].reset_index(drop=True)
    return f(x) + rng.normal(0, noise_sd, len(x))


def test_known_answer_shares():
    """Y = 2 x0 + x1 + N(0, 1): shares 0.235, 0.059, luck 0.706, bystanders 0."""
    d = _design(300, 10, 1)
    b = budget(_y(d, lambda x: 2 * x.x0 + x.x1, 1.0, 2), d, n_boot=100).set_index("parameter")
    total = 4 / 12 + 1 / 12 + 1
    assert b.loc["x0", "value"] == pytest.approx(4 / 12 / total, abs=0.06)
    assert b.loc["x1", "value"] == pytest.approx(1 / 12 / total, abs=0.05)
    assert b.loc[LUCK, "value"] == pytest.approx(1 / total, abs=0.08)
    assert b.loc[LUCK, "ci_low"] < 1 / total < b.loc[LUCK, "ci_high"]
    assert b.loc["x0", "ci_low"] < 4 / 12 / total < b.loc["x0", "ci_high"]
    bystanders = b.loc[[f"x{i}" for i in range(2, 10)], "value"]
    assert bystanders.abs().max() < 0.04


def test_one_input_decides_and_bystanders_are_not_credited():
    """A dominant input is ranked first; chance correlations do not lend its effect to others."""
    d = _design(150, 29, 3)
    y = _y(d, lambda x: 10 * x.x5, 0.2, 4)
    b = budget(y, d, n_boot=50).set_index("parameter")
    assert b["value"].drop([LUCK, REST]).idxmax() == "x5"
    assert b.loc["x5", "value"] > 0.9
    assert b["value"].drop([LUCK, REST, "x5"]).max() < 0.03


def test_luck_dominates_when_inputs_do_not_matter():
    d = _design(200, 5, 5)
    b = budget(_y(d, lambda x: 0 * x.x0, 1.0, 6), d, n_boot=100).set_index("parameter")
    assert b.loc[LUCK, "value"] > 0.85
    assert b.loc[LUCK, "ci_low"] <= 1.0 <= b.loc[LUCK, "ci_high"] + 0.05
    assert b["value"].drop([LUCK, REST]).max() < 0.05


def test_value_of_information_ranks_the_deciding_input():
    d = _design(200, 4, 7)
    x = d.inputs.loc[d.draw].reset_index(drop=True)
    rng = np.random.default_rng(8)
    value = 100 * x.x2 + rng.normal(0, 5, len(x))
    kpis = pd.DataFrame({"replication": np.arange(len(x)), "target": "t", "value": value})
    params = _params(d)
    voi = value_of_information(kpis, params, {"t": 50.0})
    top = voi.iloc[0]
    assert top["parameter"] == "x2"
    assert top["p_low_group"] < 0.1
    assert top["p_high_group"] > 0.9
    assert top["shift_sd"] > 0.3


def _params(d: Design) -> pd.DataFrame:
    x = d.inputs.loc[d.draw].reset_index(drop=True)
    long = x.assign(replication=np.arange(len(x)), draw=d.draw).melt(
        id_vars=["replication", "draw"], var_name="parameter", value_name="value"
    )
    return long.sort_values(["replication", "parameter"]).reset_index(drop=True)


def test_prim_recovers_a_planted_box():
    rng = np.random.default_rng(9)
    x = pd.DataFrame(rng.random((1000, 6)), columns=[f"x{i}" for i in range(6)])
    inside = (x.x1 < 0.3) & (x.x4 > 0.6)
    missed = np.where(inside, rng.random(1000) < 0.9, rng.random(1000) < 0.05)
    box = prim_boxes(x, missed)[0]
    assert set(box.limits) == {"x1", "x4"}
    assert box.limits["x1"][1] == pytest.approx(0.3, abs=0.06)
    assert box.limits["x4"][0] == pytest.approx(0.6, abs=0.06)
    assert box.density > 0.75
    assert box.coverage > 0.6
    cart = cart_box(x, missed)
    assert {"x1", "x4"} <= set(cart.limits)
    assert cart.density > 0.75


def test_box_sentence_reads_the_restrictions():
    x = pd.DataFrame({"g": [0.0, 0.44], "q": [15000.0, 60000.0]})
    box = Box({"g": (0.0, 0.22), "q": (30000.0, 60000.0)}, coverage=0.71, density=0.83, mass=0.2)
    labels = {"g": ("年招引增速", "lead growth"), "q": ("年用地指标", "land quota")}
    zh, en = box_sentence(box, x, "开工率", "start rate", labels)
    assert zh == "若年招引增速低于 0.22且年用地指标高于 30,000，开工率目标落空的概率为 83%（覆盖 71% 的落空情形）"
    assert en.startswith("If lead growth is below 0.22 and land quota is above 30,000")
    assert "83%" in en
    assert "71%" in en


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.2234, "0.223"), (15.24, "15.2"), (139.4, "139"), (1389.7, "1,390"), (9994.0, "9,990"), (22712.3, "22,712")],
)
def test_box_limits_never_print_in_exponent_form(value: float, text: str) -> None:
    box = Box({"q": (value, value * 4)}, coverage=0.5, density=0.5, mass=0.1)
    x = pd.DataFrame({"q": [0.0, value * 4]})
    _, en = box_sentence(box, x, "开工率", "start rate", {"q": ("用地指标", "land quota")})
    assert en.startswith(f"If land quota is above {text},")


def _run_with(study, priors: list[Prior], replications: int):
    s = study(f"run.replications={replications}", "policy=status_quo")
    s = replace(s, uncertainty=UncertaintyConfig(name="test", replications_per_draw=2, priors=priors))
    return run_study(s)


GOALS = dict(zip(targets_frame()["target"], targets_frame()["goal"].astype(float), strict=True))


@pytest.mark.slow
def test_model_known_answer_lead_growth_decides_signings(study):
    """Only lead growth moves the number of signings; the other inputs act after signing."""
    priors = [
        Prior(path="demand.lead_growth_per_year", low=0.0, high=0.44, source="test"),
        Prior(path="completion.registration_median_days", low=60.0, high=180.0, source="test"),
        Prior(path="construction.stall_probability", low=0.05, high=0.3, source="test"),
        Prior(path="retrofit.benchmark_probability", low=0.03, high=0.12, source="test"),
    ]
    res = _run_with(study, priors, 40)
    sens = target_budgets(res.kpis, res.params, GOALS, n_boot=50)
    top = ranking(sens)
    first = top[(top["target"] == "signed_industrial_1e8") & (top["rank"] == 1)].iloc[0]
    assert first["parameter"] == "demand.lead_growth_per_year"
    assert first["value"] > 0.8


@pytest.mark.slow
def test_model_luck_dominates_when_every_input_is_fixed(study):
    """Point-mass priors: every input fixed, so all of the spread is luck."""
    priors = [
        Prior(path="demand.lead_growth_per_year", low=0.2, high=0.2, source="test"),
        Prior(path="land.quota_coverage_of_need", low=0.8, high=0.8, source="test"),
    ]
    res = _run_with(study, priors, 40)
    sens = target_budgets(res.kpis, res.params, GOALS, n_boot=50)
    luck = sens[(sens["parameter"] == LUCK) & (sens["measure"] == "variance_share")]
    assert len(luck) >= 20
    assert luck["value"].median() > 0.8
    assert set(sens["parameter"]) <= {LUCK, REST}


def _fake_run(root, policy: str, shift: float, n_draws: int = 40, seed: int = 12):
    """A run directory as `python -m sim` writes it, with a planted dependence on x0."""
    from tests.helpers import TARGET_KEYS

    d = _design(n_draws, 3, 11)
    x = d.inputs.loc[d.draw].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    n = len(x)
    rows = []
    for key in TARGET_KEYS:
        goal = GOALS[key]
        value = goal * (0.5 + x["x0"].to_numpy() + shift) + rng.normal(0, goal * 0.05, n)
        rows.append(pd.DataFrame({"replication": np.arange(n), "target": key, "value": value}))
    kpis = pd.concat(rows, ignore_index=True).assign(scenario="s", policy=policy, seed=1)
    run = root / policy
    run.mkdir(parents=True)
    kpis.to_parquet(run / "kpis.parquet")
    _params(d).to_parquet(run / "params.parquet")
    return run


@pytest.mark.slow
def test_cli_sensitivity_discover_and_effects(tmp_path):
    from analysis.__main__ import main

    base = _fake_run(tmp_path, "status_quo", 0.0)
    _fake_run(tmp_path, "plan", 0.1, seed=13)
    assert main(["sensitivity", str(tmp_path), "--baseline", "status_quo", "--n-boot", "20"]) == 0
    sens = pd.read_csv(base / "sensitivity.csv", encoding="utf-8-sig")
    assert list(sens.columns) == [
        "scenario",
        "policy",
        "target",
        "parameter",
        "measure",
        "value",
        "ci_low",
        "ci_high",
        "null_level",
        "driver",
    ]
    assert ranking(sens).groupby("target").first()["parameter"].eq("x0").all()
    assert (base / "uncertainty_charts" / "sensitivity_value.png").exists()
    assert len(pd.read_csv(base / "value_of_information.csv", encoding="utf-8-sig"))
    effects = pd.read_csv(tmp_path / "sensitivity_effects.csv", encoding="utf-8-sig")
    assert set(effects["measure"]) == {"effect_variance_share"}
    assert main(["discover", str(base), "--target", "start_rate_same_year"]) == 0
    boxes = pd.read_csv(base / "boxes.csv", encoding="utf-8-sig")
    assert {"box", "method", "parameter", "coverage", "density", "sentence_zh", "sentence_en"} <= set(boxes.columns)
    top = boxes[(boxes["box"] == 1)].iloc[0]
    assert top["parameter"] == "x0"
    assert top["sentence_zh"].startswith("若")
    assert main(["discover", str(base), "--target", "no_such_target"]) == 2


def test_too_few_draws_for_the_inputs_give_no_budget():
    """10 or 60 draws cannot rank 29 inputs (chance correlation credits bystanders): no budget; 90 can."""
    few, enough = _design(60, 29, 9), _design(90, 29, 9)
    for d, empty in ((few, True), (enough, False)):
        y = _y(d, lambda x: x["x0"], noise_sd=0.1, seed=2)
        assert budget(y, d, n_boot=10).empty is empty
