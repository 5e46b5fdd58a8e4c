"""Attraction as a mechanism: the history fit, effort answering pace, thinning with common
random numbers, units, the parks' pull, event leads signing at the event, the weak year."""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cityplan.errors import ConfigError
from cityplan.units import UNIT_KEYS
from sim.config.demand import AttractionConfig, DemandConfig, SigningTarget
from sim.config.model import ModelConfig
from sim.config.study import calendar_of
from sim.model.attraction import EffortState, fit_history_growth, intensity_factor, park_choice_probabilities
from sim.model.leads import draw_leads
from sim.run.replication import ledger_frame, simulate
from sim.run.rng import replication_streams
from sim.run.study import run_study
from tests.conftest import compose_study

# calibration.md §1 (measured): >= 1亿 signings 2018 (full year), Jan-Sep 2020, H1 2021.
HISTORY = ((2018, 210.0, 12), (2020, 345.0, 9), (2021, 312.0, 6))


def test_history_growth_default_is_the_fit_of_the_measured_signings() -> None:
    d = DemandConfig()
    growth, level = fit_history_growth(HISTORY, d.month_weights, 2021)
    assert d.history_growth_per_year == pytest.approx(growth, abs=5e-4)
    assert 600 < level < 750  # the fitted 2021 level, near H1 2021 x 2 = 624 (the base-year volumes)


def _state(effort: float = 0.0) -> EffortState:
    n = len(UNIT_KEYS)
    s = EffortState.start(np.arange(n, dtype=np.int8), np.zeros(n, np.int8), np.full(n, 5.0))
    s.effort[:] = effort
    return s


def test_a_unit_behind_pace_raises_its_effort_and_one_ahead_does_not() -> None:
    a = AttractionConfig()
    target = SigningTarget(2023, 600.0, ["industrial"])
    unit_target = 60.0  # equal shares of 600
    signed = np.full(len(UNIT_KEYS), 0.5 * unit_target)  # every unit at 50% of its year ...
    signed[0] = 0.2 * unit_target  # ... unit 0 far behind a 50% pace line
    s = _state()
    s.bulletin(a, target, 0.5, signed)
    aim0 = a.effort_per_shortfall * 0.3
    assert s.effort[0] == pytest.approx(a.effort_adjust_share_per_month * aim0)  # the lag: part of the way
    assert np.all(s.effort[1:] == 0.0)  # on pace: routine
    first = s.effort[0]
    s.bulletin(a, target, 0.5, signed)
    assert first < s.effort[0] < aim0  # closing in on the aim, never past it
    # diminishing returns: each unit of effort adds less intensity than the one before
    m = [_state(e).multiplier(a, 0, 1, target) for e in (0.0, 1.0, 2.0, 3.0)]
    steps = np.diff(m)
    assert m[0] == 1.0
    assert np.all(steps > 0)
    assert np.all(np.diff(steps) < 0)
    assert m[-1] < 1.0 + a.max_extra_lead_share


def test_signings_without_a_unit_are_spread_over_the_units() -> None:
    """A planner ledger without units must not make every unit look behind pace."""
    a = AttractionConfig()
    target = SigningTarget(2023, 600.0, ["industrial"])
    n = 3 * len(UNIT_KEYS)
    unit = np.concatenate([np.arange(len(UNIT_KEYS)), np.full(2 * len(UNIT_KEYS), -1)]).astype(np.int8)
    s = EffortState.start(unit, np.zeros(n, np.int8), np.full(n, 2.0))
    signed_day = np.full(n, 10.0)
    signed_day[0] = 400.0  # after the bulletin: not counted
    got = s.signings_to_date(a, signed_day, 0.0, 100.0, target)
    expected = np.full(len(UNIT_KEYS), 1.0 + 2.0)
    expected[0] -= 1.0
    np.testing.assert_allclose(got, expected)


def test_effort_relaxes_without_a_target_and_is_off_with_the_switch() -> None:
    a = AttractionConfig()
    s = _state(1.0)
    s.bulletin(a, None, 0.5, np.zeros(len(UNIT_KEYS)))
    assert np.allclose(s.effort, 1.0 - a.effort_adjust_share_per_month)
    off = replace(a, effort_response=False)
    assert _state(2.0).multiplier(off, 0, 1, None) == 1.0


def test_big_projects_answer_effort_less_than_small_ones() -> None:
    a, s = AttractionConfig(), _state(2.0)
    target = SigningTarget(2023, 600.0, ["industrial"])
    assert s.multiplier(a, 0, 1, target) > s.multiplier(a, 0, 2, target) > s.multiplier(a, 0, 3, target) > 1.0


def test_policies_and_scenarios_never_change_the_candidate_draws() -> None:
    """Common random numbers: every array of every candidate is the same under any cell."""
    cells = [
        compose_study(["run=smoke", "policy=status_quo"]),
        compose_study(["run=smoke", "policy=plan"]),
        compose_study(["run=smoke", "scenario=weak_signing_year"]),
    ]
    drawn = [
        draw_leads(c.model.demand, calendar_of(c), replication_streams(c.run.seed, 0), c.model.attraction)
        for c in cells
    ]
    for other in drawn[1:]:
        for name in ("arrival_day", "sector", "investment_yi", "unit", "accept_u", "series_slot", "z", "u"):
            np.testing.assert_array_equal(getattr(drawn[0], name), getattr(other, name), err_msg=name)


def _ledger(*overrides: str) -> pd.DataFrame:
    cfg = compose_study(["run=smoke", "run.first_year=2022", *overrides])
    system, _ = simulate(cfg, 0)
    return ledger_frame(system)


def test_a_volume_lever_keeps_every_lead_and_adds_only_its_own() -> None:
    """Thinning with fixed effort: the lever raises the bar, so the leads kept are a superset,
    the added ones are the lever's (industrial, after the launch), and shared leads are equal."""
    off = "model.attraction.effort_response=false"
    base = _ledger("policy=status_quo", off)
    lever = _ledger("policy=chain_targeting", off)
    assert set(base["project"]) < set(lever["project"])
    added = lever[~lever["project"].isin(base["project"])]
    launch = calendar_of(compose_study(["run=smoke", "run.first_year=2022"])).day_of("2023-01-28")
    assert (added["sector"] == "industrial").all()
    assert (added["t_arrival"] >= launch).all()
    assert not added["from_event"].any()
    shared = lever.set_index("project").loc[base["project"]]
    for col in ("unit", "sector", "investment_yi", "quality", "t_arrival"):
        np.testing.assert_array_equal(shared[col].to_numpy(), base[col].to_numpy(), err_msg=col)


def test_every_lead_has_a_unit_and_units_follow_their_shares() -> None:
    ledger = _ledger("policy=status_quo")
    assert set(ledger["unit"]) <= set(UNIT_KEYS)
    counts = ledger["unit"].value_counts().reindex(UNIT_KEYS, fill_value=0).to_numpy()
    expected = np.asarray(AttractionConfig().unit_lead_shares) * counts.sum()
    assert stats.chisquare(counts, expected).pvalue > 1e-3
    shares = [0.0] * len(UNIT_KEYS)
    shares[3] = 1.0
    only = _ledger("policy=status_quo", f"model.attraction.unit_lead_shares={shares}")
    assert (only["unit"] == UNIT_KEYS[3]).all()


def test_parks_pull_follows_the_parks_time_advantage() -> None:
    m = ModelConfig()
    assert park_choice_probabilities(m)[0] == pytest.approx(m.demand.in_park_probability)
    readier = replace(m, land=replace(m.land, in_park_transfer_factor=0.35))
    assert park_choice_probabilities(readier)[0] > m.demand.in_park_probability
    deaf = replace(readier, attraction=replace(m.attraction, park_choice_odds_per_30_days=1.0))
    assert park_choice_probabilities(deaf)[0] == pytest.approx(m.demand.in_park_probability)


def test_parks_platform_moves_leads_to_parks_only_through_their_pull() -> None:
    """With investors deaf to the time advantage the lever locates no lead differently; with
    the default pull it moves leads signed after the launch into parks, never out of them."""
    base = _ledger("policy=status_quo").set_index("project")
    deaf = _ledger("policy=parks_platform", "model.attraction.park_choice_odds_per_30_days=1.0").set_index("project")
    pull = _ledger("policy=parks_platform").set_index("project")
    assert deaf.index.equals(base.index)
    assert pull.index.equals(base.index)
    assert (deaf["in_park"] == base["in_park"]).all()
    moved = pull["in_park"] & ~base["in_park"]
    assert moved.sum() > 0
    assert not (base["in_park"] & ~pull["in_park"]).any()


def test_event_leads_sign_at_the_event() -> None:
    ledger = _ledger("policy=status_quo")
    events = ledger[ledger["from_event"] & ledger["t_signed"].notna()]
    assert len(events) > 0
    np.testing.assert_array_equal(events["t_signed"].to_numpy(), events["t_arrival"].to_numpy())
    later = _ledger("policy=status_quo", "model.attraction.event_leads_sign_at_event=false")
    ev = later[later["from_event"] & later["t_signed"].notna()]
    assert (ev["t_signed"] > ev["t_arrival"]).all()


def test_intensity_of_a_series_event_follows_the_lever() -> None:
    m, s = ModelConfig(), _state()
    held = replace(m, attraction=replace(m.attraction, series_events_per_year=3))

    def factor(model: ModelConfig, slot: int) -> float:
        return intensity_factor(model, s, 0, tier=2, from_event=True, series_slot=slot, last_year=False, target=None)

    assert factor(m, 0) == 0.0
    assert factor(held, 2) == 1.0
    assert factor(held, 3) == 0.0


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("model.attraction.unit_lead_shares=[0.5,0.5]", "unit_lead_shares"),
        ("model.attraction.candidate_intensity_factor=1.2", "candidate_intensity_factor"),
        ("model.attraction.series_events_per_year=11", "series_events_per_year"),
        ("model.attraction.tier_response=[1,1,1,2]", "tier_response"),
    ],
)
def test_bad_attraction_input_names_the_field(override: str, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        compose_study(["run=smoke", override])


@functools.cache
def _signings(*overrides: str) -> np.ndarray:
    # The evidence priors (as when the test was written): 8 replications = 4 Sobol points. Under
    # the history default (5 Dec 2026) the same 8 replications gave p = 0.043 for the paired test.
    cfg = compose_study(
        [
            "run=smoke",
            "run.replications=8",
            "run.keep_ledgers=0",
            "run.first_year=2022",
            "uncertainty=evidence",
            *overrides,
        ]
    )
    k = run_study(cfg).kpis
    return k[k["target"] == "signed_industrial_1e8"].sort_values("replication")["value"].to_numpy()


@pytest.mark.slow
def test_effort_makes_up_part_of_a_weak_year() -> None:
    """25% fewer leads from the trend: with effort answering the bulletin, industrial signings
    fall clearly less than 25%; with the response switched off they fall by about 25%."""
    fall = {}
    for effort in ("true", "false"):
        on = f"model.attraction.effort_response={effort}"
        fall[effort] = 1.0 - _signings("scenario=weak_signing_year", on) / _signings(on)
    assert 0.21 < fall["false"].mean() < 0.27, fall["false"]
    assert fall["true"].mean() < 0.23, fall["true"]
    assert stats.ttest_rel(fall["true"], fall["false"], alternative="less").pvalue < 0.01
