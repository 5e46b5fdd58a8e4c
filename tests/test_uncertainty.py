"""Priors (issue 11): validation, the draw, levers kept, pinned fields, point values reproduced."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cityplan.errors import ConfigError
from sim.config.model import ModelConfig
from sim.config.priors import Prior, UncertaintyConfig, get_field, lever_value, set_field
from sim.config.uptake import UPTAKE_LEVERS
from sim.run.parameters import parameter_frame, quantile, with_parameters
from sim.run.study import run_study


def _with_priors(study, *priors: Prior, per_draw: int = 2):
    return replace(
        study, uncertainty=UncertaintyConfig(name="test", replications_per_draw=per_draw, priors=list(priors))
    )


def test_default_is_history_with_at_least_ten_varying_inputs(study):
    """The default draws rows of the installed history-matched sample (issue 22), inside the evidence priors."""
    from sim.config.sample import read_sample

    s = study()
    assert s.uncertainty.name == "history"
    assert s.uncertainty.sample.endswith("data/history/huaian_pre2023.csv")
    columns, rows = read_sample(s.uncertainty.sample)
    assert len(rows) >= 100  # the installed match's final wave, not a handful of vectors
    params = parameter_frame(s, 40)
    drawn = params.pivot(index="replication", columns="parameter", values="value")
    key = "demand.lead_growth_per_year"
    assert set(drawn[key]) <= set(rows[:, columns.index(key)])  # every draw is a row of the sample
    evidence = study("uncertainty=evidence")
    assert evidence.uncertainty.name == "evidence"
    assert not evidence.uncertainty.sample
    varying = params.groupby("parameter", observed=True)["value"].nunique()
    assert (varying > 1).sum() >= 10
    # every prior line cites its evidence and has a Chinese label
    assert all(p.source and p.zh for p in s.uncertainty.priors)


@pytest.mark.parametrize(
    ("prior", "message"),
    [
        (Prior(path="demand.no_such_field", low=0, high=1, source="x"), "no such field"),
        (Prior(path="land.quota_coverage_of_need", low=-5.0, high=100.0, source="x"), "outside what the field allows"),
        (Prior(path="completion.registration_probability.industrial", low=0.5, high=1.2, source="x"), "allows"),
        (Prior(path="land.priority", low=0, high=1, source="x"), "non-numeric"),
        (Prior(path="construction.median_months_by_tier[7]", low=1, high=2, source="x"), "no such field"),
    ],
)
def test_bad_prior_is_a_config_error_naming_it(study, prior, message):
    with pytest.raises(ConfigError, match=message):
        _with_priors(study(), prior)


def test_low_above_high_and_bad_distribution_are_rejected():
    with pytest.raises(ConfigError, match=r"low.*<= high"):
        Prior(path="land.quota_mu_per_year", low=2.0, high=1.0, source="x")
    with pytest.raises(ConfigError, match="dist"):
        Prior(path="land.quota_mu_per_year", dist="gamma", low=1.0, high=2.0, source="x")
    with pytest.raises(ConfigError, match="source"):
        Prior(path="land.quota_mu_per_year", low=1.0, high=2.0)
    p = Prior(path="land.quota_mu_per_year", low=1.0, high=2.0, source="x")
    with pytest.raises(ConfigError, match="each field path at most once"):
        UncertaintyConfig(priors=[p, p])


def test_cli_rejects_a_bad_prior_before_running(study):
    with pytest.raises(ConfigError, match="outside what the field allows"):
        study("uncertainty.priors=[{path:land.quota_coverage_of_need,low:-1.0,high:2.0,source:x}]")


@pytest.mark.parametrize("dist", ["uniform", "loguniform", "triangular", "beta"])
def test_quantiles_stay_in_bounds_and_are_monotone(dist):
    prior = Prior(path="x", dist=dist, low=2.0, high=8.0, source="x")
    u = np.linspace(0, 0.999, 200)
    v = quantile(prior, u)
    assert v.min() >= 2.0
    assert v.max() <= 8.0
    assert np.all(np.diff(v) >= 0)


def test_set_field_paths_and_copy_on_write():
    m = ModelConfig()
    m2 = set_field(m, "construction.median_months_by_tier[1]", 9.5)
    assert m2.construction.median_months_by_tier == [7.0, 9.5, 15.0, 18.0]
    assert m.construction.median_months_by_tier == [7.0, 11.0, 15.0, 18.0]
    m3 = set_field(m, "demand.events[3].leads_1e8_mean", 7.0)
    assert m3.demand.events[3].leads_1e8_mean == 7.0
    assert m.demand.events[3].leads_1e8_mean == 20.0
    assert get_field(set_field(m, "approvals.capacity_projects", 300.6), "approvals.capacity_projects") == 301


def test_same_parameters_in_every_policy_and_scenario(study):
    a = parameter_frame(study("policy=status_quo"), 12)
    b = parameter_frame(study("policy=plan"), 12)
    c = parameter_frame(study("scenario=energy_frozen"), 12)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    wide = a.pivot(index="replication", columns="parameter", values="value")
    assert (wide.iloc[0] == wide.iloc[1]).all()  # replications 0 and 1 share draw 0
    assert (wide.iloc[0] != wide.iloc[2]).any()


def test_lever_effect_survives_the_prior(study):
    """Where a lever of the plan sets a field with a prior, the lever's direction holds in every draw."""
    s = study("policy=plan")
    changed = [p for p in s.uncertainty.priors if get_field(s.model, p.path) != get_field(s.baseline_model, p.path)]
    assert [p.path for p in changed] == ["land.in_park_transfer_factor"]  # 园区主平台; the reforms are dosages
    for prior in changed:
        before = np.sign(get_field(s.model, prior.path) - get_field(s.baseline_model, prior.path))
        for r in range(0, 40, 2):
            drawn = with_parameters(s, r)
            after = np.sign(get_field(drawn.model, prior.path) - get_field(drawn.baseline_model, prior.path))
            assert after == before, (prior.path, r)
    drawn = with_parameters(s, 5)
    assert drawn.model.land.in_park_transfer_factor == 0.35  # keep: 园区主平台 as written
    registration = next(p for p in s.uncertainty.priors if p.lever == "shift")
    assert lever_value(registration, 0.85, 0.72, 0.6) == pytest.approx(0.73)  # shift: +13 points kept


def test_scenario_and_command_line_values_are_not_overwritten(study):
    s = study("scenario=land_halved")
    assert get_field(with_parameters(s, 4).model, "land.quota_coverage_of_need") == 0.5
    t = study("model.demand.lead_growth_per_year=0.15")  # the default value, set explicitly
    assert "demand.lead_growth_per_year" in t.uncertainty.pinned
    assert with_parameters(t, 4).model.demand.lead_growth_per_year == 0.15
    frame = parameter_frame(t, 4)
    assert set(frame.loc[frame["parameter"] == "demand.lead_growth_per_year", "value"]) == {0.15}


def _fixed_at_defaults(study):
    """The evidence priors with every bound at the configured value (point masses)."""
    s = study("run.replications=4", "run.keep_ledgers=2")

    def at(p: Prior) -> float:  # the configured value, or for a ratio prior the configured ratio
        value = get_field(s.baseline_model, p.path)
        return value / get_field(s.baseline_model, p.per) if p.per else value

    points = [replace(p, low=at(p), high=at(p), mode=None) for p in s.uncertainty.priors]
    return _with_priors(s, *points)


def test_uncertainty_none_reproduces_point_values_table_for_table(study):
    """No priors and point-mass priors at the defaults give identical tables: drawing parameters
    touches no random stream of the model."""
    none = run_study(study("uncertainty=none", "run.replications=4", "run.keep_ledgers=2"))
    fixed = run_study(_fixed_at_defaults(study))
    for name in ("kpis", "monthly", "ledgers", "resources"):
        pd.testing.assert_frame_equal(getattr(none, name), getattr(fixed, name))
    assert none.params.empty
    assert set(fixed.params["replication"]) == {0, 1, 2, 3}


@pytest.mark.slow
def test_params_are_carried_through_chunks_and_parallel(study):
    s = study("run.replications=6", "run.chunk_size=2")
    serial = run_study(s)
    parallel = run_study(replace(s, run=replace(s.run, jobs=2)))
    pd.testing.assert_frame_equal(serial.kpis, parallel.kpis)
    pd.testing.assert_frame_equal(serial.params, parallel.params)
    assert list(serial.params.columns[:4]) == ["scenario", "policy", "replication", "seed"]
    assert serial.params["replication"].nunique() == 6


QUOTA, ENERGY = "energy.quota_tce_per_year", "energy.tce_per_yi.industrial"
COVERAGE, MONTHS = "land.quota_coverage_of_need", "land.initial_stock_months"
LAND, STOCK = "land.land_mu_per_yi.industrial", "energy.initial_stock_tce"


def test_ratio_prior_moves_the_quota_with_the_need_it_was_derived_from(study):
    """The energy quota is drawn as the volume it covers x the drawn energy per 亿 (not apart)."""
    s = study()
    key = f"{QUOTA}/{ENERGY}"
    frame = parameter_frame(s, 64).pivot(index="replication", columns="parameter", values="value")
    assert key in frame.columns
    assert QUOTA not in frame.columns
    assert frame[key].between(1600.0, 4800.0).all()
    # the land quota is sized on each year's need: its ratio to the need is the uncertain input
    assert frame[COVERAGE].between(0.5, 1.5).all()
    assert frame[MONTHS].between(0.0, 6.0).all()
    for r in (0, 7, 30):
        m = with_parameters(s, r).baseline_model
        cover = m.energy.quota_tce_per_year / m.energy.tce_per_yi.industrial
        assert cover == pytest.approx(frame.loc[r, key])
        assert m.land.quota_coverage_of_need == pytest.approx(frame.loc[r, COVERAGE])
    # drawn apart, quota and need would be uncorrelated; tied, the quota follows the need
    quota = np.array([with_parameters(s, r).baseline_model.energy.quota_tce_per_year for r in range(0, 64, 2)])
    need = np.array([with_parameters(s, r).baseline_model.energy.tce_per_yi.industrial for r in range(0, 64, 2)])
    assert np.corrcoef(np.log(quota), np.log(need))[0, 1] > 0.7


def test_ratio_prior_uses_a_pinned_per_field_and_leaves_a_pinned_field(study):
    s = study(f"model.{ENERGY}=500")
    for r in (0, 5):
        m = with_parameters(s, r).baseline_model
        assert m.energy.tce_per_yi.industrial == 500.0
        assert 1600.0 * 500 <= m.energy.quota_tce_per_year <= 4800.0 * 500
    t = study(f"model.{QUOTA}=400000")
    m = with_parameters(t, 3).baseline_model
    assert m.energy.quota_tce_per_year == 400000.0
    assert study("scenario=land_halved").model.land.quota_coverage_of_need == 0.5


@pytest.mark.parametrize(
    ("priors", "message"),
    [
        ([{"path": QUOTA, "per": QUOTA, "low": 1, "high": 2, "source": "x"}], "ratio of itself"),
        ([{"path": QUOTA, "per": "land.no_such", "low": 1, "high": 2, "source": "x"}], "no such field"),
        ([{"path": QUOTA, "per": "land.priority", "low": 1, "high": 2, "source": "x"}], "non-numeric"),
        ([{"path": QUOTA, "per": LAND, "low": -1.0, "high": 2, "source": "x"}], "ratio >= 0"),
        (
            [
                {"path": QUOTA, "per": STOCK, "low": 1, "high": 2, "source": "x"},
                {"path": STOCK, "per": QUOTA, "low": 0, "high": 1, "source": "x"},
            ],
            "without a cycle",
        ),
        (  # 0.5-0.9 x a land per 亿 of 9.6-45 would let the registration probability exceed 1
            [
                {"path": LAND, "low": 9.6, "high": 45.0, "source": "x"},
                {
                    "path": "completion.registration_probability.industrial",
                    "per": LAND,
                    "low": 0.01,
                    "high": 0.05,
                    "source": "x",
                },
            ],
            "outside what the field allows",
        ),
    ],
)
def test_bad_ratio_prior_is_a_config_error_naming_it(study, priors, message):
    with pytest.raises(ConfigError, match=message):
        _with_priors(study(), *[Prior(**p) for p in priors])


def test_prior_labels_name_a_ratio_prior_by_its_key(tmp_path):
    from analysis.report.budget import prior_labels

    (tmp_path / ".hydra").mkdir()
    (tmp_path / ".hydra" / "config.yaml").write_text(
        "uncertainty:\n  priors:\n"
        f"  - {{path: {QUOTA}, per: {LAND}, zh: 能耗指标可保障的年投资, en: investment the energy quota covers}}\n"
        f"  - {{path: {STOCK}, per: {QUOTA}, zh: 期初存量}}\n"
        f"  - {{path: {LAND}, zh: 每亿元用地}}\n",
        encoding="utf-8",
    )
    labels = prior_labels(tmp_path)
    assert labels[f"{QUOTA}/{LAND}"] == ("能耗指标可保障的年投资", "investment the energy quota covers")
    assert " tce" not in labels[f"{STOCK}/{QUOTA}"][1]  # a planner's words, never the config path
    assert labels[LAND] == ("每亿元用地", "land per 亿 of industrial investment")


def test_a_reform_dosage_is_drawn_alike_in_both_regimes_and_the_plan_never_takes_it_back(study):
    """Both levels of every reform are uncertain inputs drawn once for the cell; the policy only
    puts the plan's in force, and the plan's share is at least 2022's in every draw."""
    s = study("policy=plan")
    for r in range(0, 40, 2):
        drawn = with_parameters(s, r)
        for lever in UPTAKE_LEVERS:
            base, plan = getattr(drawn.baseline_model.uptake, lever), getattr(drawn.model.uptake, lever)
            assert (base.status_quo_share, base.plan_share) == (plan.status_quo_share, plan.plan_share), lever
            assert not base.plan_level, lever
            assert plan.plan_level, lever
            assert plan.share_in_force() >= base.share_in_force(), (lever, r)


def test_every_prior_has_a_planners_english_label_and_unit():
    """Issue 24: sentences never print a config name ("tce per yi (industrial)")."""
    from analysis.report.input_labels import ENGLISH, PERCENT, unit_of
    from sim.compose import compose_study

    priors = compose_study(["run=smoke"]).uncertainty.priors
    assert {p.key for p in priors} <= set(ENGLISH)
    for p in priors:
        assert "_" not in ENGLISH[p.key], p.key
        assert " yi" not in ENGLISH[p.key], p.key
    assert unit_of("approvals.rework_probability") == PERCENT
    assert unit_of("walkaway.leave_scale_days").en == " days"
