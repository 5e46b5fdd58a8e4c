"""A plan is data (issue 15): the plan file gives the same tables as the old hard-coded path,
goals are overrides, units get their own goals, and bad plans stop before anything runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.attainment import attainment
from cityplan.counting import (
    KpiWindow,
    _retrofit_values,
    industrial_investment,
    kpi_matrix,
    plan_measures,
)
from cityplan.errors import ConfigError
from cityplan.files import PLAN_DIR, load_plan
from cityplan.schema import CITY, Measure, PlanConfig, Selection, TargetSpec
from cityplan.targets import targets_frame, unit_targets_frame
from sim.config.study import StudyConfig, kpi_window
from sim.run.replication import ledger_frame, simulate
from sim.run.study import run_study
from tests.helpers import HUAIAN_2023, TARGET_KEYS, echoed

# The smoke run's years (conf/run/smoke.yaml), written out: model day 0 is 1 January of FIRST_YEAR.
FIRST_YEAR, TARGET_YEAR = 2017, 2023


def target_year_window(year: int, first_year: int) -> tuple[float, np.ndarray]:
    """Model days of 1 January of ``year`` and of the first day after each of its month ends."""
    origin = np.datetime64(f"{first_year}-01-01", "D")
    firsts = [np.datetime64(f"{year}-{m:02d}-01", "D") for m in range(1, 13)] + [
        np.datetime64(f"{year + 1}-01-01", "D")
    ]
    days = np.array([(d - origin).astype(int) for d in firsts], dtype=float)
    return float(days[0]), days[1:]


def in_window(t: np.ndarray, lo: float, cut: np.ndarray) -> np.ndarray:
    """``[i, m]``: time ``i`` is in [lo, cut[m]) (NaN never)."""
    t = np.asarray(t, dtype=float)[:, None]
    return (t >= lo) & (t < cut[None, :])


def test_the_counting_window_is_the_target_year(study: Callable[..., StudyConfig]) -> None:
    """The window counts from 1 January of the target year to each month end: 2023 of a 2017 start."""
    cfg = study()
    assert (cfg.run.first_year, cfg.run.target_year) == (FIRST_YEAR, TARGET_YEAR)
    window = kpi_window(cfg)
    assert window.year_start_day == 2191.0  # 365 * 6 + 1 (2017-2022; 2020 is a leap year)
    assert window.cutoff_days[0] == 2191.0 + 31
    assert window.cutoff_days[1] == 2191.0 + 31 + 28
    assert window.cutoff_days[-1] == 2191.0 + 365
    lo, cut = target_year_window(TARGET_YEAR, FIRST_YEAR)
    assert window.year_start_day == lo
    np.testing.assert_array_equal(window.cutoff_days, cut)


def test_kpis_have_a_plausible_size(simulated: tuple[StudyConfig, pd.DataFrame, pd.DataFrame]) -> None:
    """Year-end counts of the status quo smoke city are within the ledger's own bounds.

    Signings counted in the target year are at most the leads that arrived from a year before
    it (appraisal and review take weeks, not a year) and at least those that both arrived and
    were signed in it; a window a year off would count about a year too many or too few.
    """
    cfg, ledger, retrofits = simulated
    window = kpi_window(cfg)
    got = dict(zip(cfg.plan.keys, kpi_matrix(ledger, retrofits, window, plan_measures(cfg.plan))[:, -1], strict=True))
    lo, cut = target_year_window(TARGET_YEAR, FIRST_YEAR)
    big_ind = (ledger["sector"] == "industrial") & (ledger["investment_yi"] >= 1.0)
    signed, arrived = ledger["t_signed"], ledger["t_arrival"]
    both_in_year = big_ind & (arrived >= lo) & (signed >= lo) & (signed < cut[-1])
    arrived_near = big_ind & (arrived >= lo - 365.0) & (arrived < cut[-1])
    assert both_in_year.sum() <= got["signed_industrial_1e8"] <= arrived_near.sum()
    assert 0 < got["started_same_year"] <= got["signed_industrial_1e8"]


def _hard_coded_2023(ledger: pd.DataFrame, retrofits: pd.DataFrame, window: KpiWindow) -> dict[str, np.ndarray]:
    """The 28 targets as ``cityplan/counting.py`` counted them before plans were data (main 329ea9b).

    Kept only here, as the reference the plan file must reproduce exactly. Independent of the
    code under test where it counts (issue 24): the window is the target year's calendar dates
    written out here (:func:`target_year_window`), and counts and sums are plain comparisons, so
    a counting window or a half-open interval that moved would differ. The spending curves and
    the retrofit switches come from ``cityplan.counting``, on this window.
    """
    lo, cut = target_year_window(TARGET_YEAR, FIRST_YEAR)
    window = replace(window, year_start_day=lo, cutoff_days=tuple(cut.tolist()))
    sector = ledger["sector"].to_numpy()
    inv = ledger["investment_yi"].to_numpy(dtype=float)
    signed, started = ledger["t_signed"].to_numpy(dtype=float), ledger["t_started"].to_numpy(dtype=float)
    completed, registered = ledger["t_completed"].to_numpy(dtype=float), ledger["t_registered"].to_numpy(dtype=float)
    ind, agri = sector == "industrial", sector == "agriculture"
    services, non_agri, big = np.isin(sector, ("producer_services", "other_services")), ~agri, inv >= 1.0
    nan = np.full(cut.size, np.nan)

    def count(t: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return in_window(t[mask], lo, cut).sum(axis=0).astype(float)

    def total(t: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return (in_window(t, lo, cut) * weights[:, None]).sum(axis=0)

    signed_ind_1e8 = count(signed, ind & big)
    started_same = count(np.where(signed >= lo, started, np.nan), ind & big)
    scope = non_agri if window.parks_share_scope == "industry_services" else np.ones(inv.size, bool)
    pool, in_park = scope & big, ledger["in_park"].to_numpy(dtype=bool)
    park_count, park_inv = count(signed, pool), total(signed[pool], inv[pool])
    foreign = ledger["foreign"].to_numpy(dtype=bool) & (inv >= 1e7 * window.cny_per_usd / 1e8)
    taiwan = ledger["taiwan"].to_numpy(dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        start_rate = np.where(signed_ind_1e8 > 0, started_same / signed_ind_1e8, nan)
        parks_share = np.where(park_count > 0, count(signed, pool & in_park) / park_count, nan)
        inside = pool & in_park
        parks_inv = np.where(park_inv > 0, total(signed[inside], inv[inside]) / park_inv, nan)
    spent = industrial_investment(ledger, retrofits, window)
    retrofit_count, retrofit_amount = _retrofit_values(retrofits, window)
    return {
        "agreed_investment": total(signed, inv),
        "agreed_investment_industrial": total(signed[ind], inv[ind]),
        "signed_industrial_1e8": signed_ind_1e8,
        "signed_5e9": count(signed, non_agri & (inv >= 50.0)),
        "started_same_year": started_same,
        "start_rate_same_year": start_rate,
        "signed_agri_1e7": count(signed, agri & (inv >= 0.1)),
        "signed_producer_services_1e8": count(signed, (sector == "producer_services") & big),
        "foreign_usd1e7": count(signed, foreign),
        "foreign_taiwan": count(signed, foreign & taiwan),
        "tech_talent": count(signed, ledger["tech_talent"].to_numpy(dtype=bool)),
        "industrial_investment": spent,
        "started_industrial_1e8": count(started, ind & big),
        "started_industrial_5e9": count(started, ind & (inv >= 50.0)),
        "completed_to_registered": count(registered, np.ones(inv.size, bool)),
        "started_agri_1e7": count(started, agri & (inv >= 0.1)),
        "started_agri_1e8": count(started, agri & big),
        "completed_agri_1e7": count(completed, agri & (inv >= 0.1)),
        "completed_agri_1e8": count(completed, agri & big),
        "started_services_1e8": count(started, services & big),
        "started_services_1e9": count(started, services & (inv >= 10.0)),
        "completed_services_1e8": count(completed, services & big),
        "completed_services_1e9": count(completed, services & (inv >= 10.0)),
        "parks_share": parks_share,
        "parks_share_investment": parks_inv,
        "retrofit_projects": retrofit_count,
        "retrofit_investment": retrofit_amount,
        "smart_benchmarks": count(retrofits["t_benchmark"].to_numpy(dtype=float), np.ones(len(retrofits), bool)),
    }


@pytest.fixture(scope="module")
def simulated() -> tuple[StudyConfig, pd.DataFrame, pd.DataFrame]:
    from tests.conftest import compose_study

    cfg = compose_study(["run=smoke", "policy=status_quo"])
    system, retrofits = simulate(cfg, 0)
    return cfg, ledger_frame(system), retrofits


SWITCHES = [
    {},
    {"parks_share_scope": "all_sectors"},
    {"retrofit_count": "in_progress", "retrofit_amount": "spent"},
    {"industrial_investment_with_retrofits": False},
]


@pytest.mark.parametrize("switches", SWITCHES, ids=["default", "parks_all", "retrofits_in_progress", "no_retrofits"])
def test_plan_file_reproduces_the_hard_coded_2023_targets(
    simulated: tuple[StudyConfig, pd.DataFrame, pd.DataFrame], switches: dict[str, object]
) -> None:
    cfg, ledger, retrofits = simulated
    window = replace(kpi_window(cfg), **switches)
    got = kpi_matrix(ledger, retrofits, window, plan_measures(cfg.plan))
    want = _hard_coded_2023(ledger, retrofits, window)
    assert cfg.plan.keys == tuple(want)
    assert len(want) == 28
    for i, key in enumerate(want):
        # counts exact; sums of 亿元 to 1e-12 (the reference adds in another order); NaN where NaN
        np.testing.assert_allclose(got[i], want[key], rtol=1e-12, atol=0, equal_nan=True, err_msg=key)
    assert got[:, -1].min() >= 0
    assert np.isfinite(got).all()


def test_plan_file_holds_the_plans_goals_and_labels() -> None:
    t = targets_frame(HUAIAN_2023).set_index("target")
    assert t.loc["signed_industrial_1e8", "goal"] == 600
    assert t.loc["start_rate_same_year", "goal"] == 0.5
    assert t.loc["agreed_investment", "label_zh"] == "全年协议引资额"
    assert (t["direction"] == "at_least").all()
    assert HUAIAN_2023.targets["start_rate_same_year"].measure.denominator is not None


def test_a_goal_is_an_override(study: Callable[..., StudyConfig]) -> None:
    cfg = study("plan.targets.signed_industrial_1e8.goal=700", "run.replications=2", "run.keep_ledgers=0")
    assert cfg.plan.targets["signed_industrial_1e8"].goal == 700
    assert "signed_industrial_1e8.goal=700" in cfg.scenario_name  # a goal what-if is its own cell
    result = run_study(cfg)
    att = attainment(result.kpis, targets_frame(cfg.plan)).set_index("target")
    values = result.kpis.loc[result.kpis["target"] == "signed_industrial_1e8", "value"].to_numpy()
    assert att.loc["signed_industrial_1e8", "goal"] == 700
    assert att.loc["signed_industrial_1e8", "p_attain"] == np.mean(values >= 700)


def test_at_most_targets_count_values_at_or_below_the_goal() -> None:
    kpis = pd.DataFrame({"target": "x", "replication": range(4), "value": [1.0, 2.0, 3.0, 4.0]})
    targets = pd.DataFrame([{"target": "x", "label_zh": "x", "label_en": "x", "unit": "个", "goal": 2.0}])
    assert attainment(kpis, targets.assign(direction="at_least"))["p_attain"].iloc[0] == 0.75
    assert attainment(kpis, targets.assign(direction="at_most"))["p_attain"].iloc[0] == 0.5


def _synthetic_ledger() -> pd.DataFrame:
    """Six projects in two units, all signed and started in the target year (day 0 = 1 Jan)."""
    return pd.DataFrame(
        {
            "sector": ["industrial"] * 4 + ["agriculture"] * 2,
            "investment_yi": [2.0, 0.5, 60.0, 3.0, 0.2, 1.5],
            "foreign": [True, False, False, True, False, False],
            "taiwan": [True, False, False, False, False, False],
            "tech_talent": [False] * 6,
            "in_park": [True, True, False, True, False, False],
            "unit": ["xuyi", "xuyi", "jinhu", "jinhu", "xuyi", "jinhu"],
            "t_signed": [10.0, 40.0, 100.0, 200.0, 20.0, -30.0],
            "t_started": [50.0, np.nan, 300.0, 250.0, 60.0, 20.0],
            "t_completed": [np.nan] * 6,
            "t_registered": [np.nan] * 6,
            "t_output": [np.nan] * 6,
            "build_days": [300.0] * 6,
        }
    )


WINDOW = KpiWindow(0.0, (*tuple(float(d) for d in range(31, 366, 30))[:11], 365.0), 7.0, 0.6, 2.0, 2.0)
NO_RETROFITS = pd.DataFrame({"investment_yi": [], "t_started": [], "t_completed": [], "t_benchmark": []})


def _plan(units: dict[str, dict[str, float]] | None = None) -> PlanConfig:
    big_ind = {"sectors": ["industrial"], "min_investment_yi": 1.0}
    return PlanConfig(
        name="test",
        targets={
            "signed_big": TargetSpec("签约", "signed", "个", 2, measure=Measure(**big_ind)),
            "same_year_rate": TargetSpec(
                "开工率",
                "start rate",
                "%",
                0.5,
                measure=Measure(
                    milestone="started", window="signed_in_year", statistic="share", denominator=Selection(**big_ind)
                ),
            ),
            "taiwan_usd": TargetSpec("台资", "Taiwan", "个", 1, measure=Measure(taiwan=True, min_investment_musd=10)),
        },
        units=units or {},
    )


def test_vocabulary_counts_a_synthetic_ledger() -> None:
    values = kpi_matrix(_synthetic_ledger(), NO_RETROFITS, WINDOW, plan_measures(_plan()))[:, -1]
    # signed >= 1亿 industrial in the year: projects 0, 2, 3; started of those signed in the
    # year: all but project 1 (-> 3 of 3 signed, but project 4 is agriculture, 5 signed before)
    assert values[0] == 3
    # started in the year among the year's signings, all sectors: 0, 2, 3, 4 -> 4 / 3 big industrial signings
    assert values[1] == pytest.approx(4 / 3)
    # USD 10m at 7 CNY/USD = 0.7亿: project 0 (2亿, Taiwan)
    assert values[2] == 1


def test_unit_goals_give_per_unit_rows_and_the_city() -> None:
    plan = _plan({"xuyi": {"signed_big": 1.0}, "jinhu": {"signed_big": 2.0, "same_year_rate": 0.4}})
    ledger = _synthetic_ledger()
    values = kpi_matrix(ledger, NO_RETROFITS, WINDOW, plan_measures(plan))[:, -1]
    rows = unit_targets_frame(plan)
    assert list(rows["unit"]) == [CITY, CITY, CITY, "xuyi", "jinhu", "jinhu"]
    assert list(rows["goal"]) == [2, 0.5, 1, 1.0, 2.0, 0.4]
    assert values[3] + values[4] == values[0]  # the units partition the city here
    assert values[3] == 1
    assert values[4] == 2
    assert values[5] == pytest.approx(2 / 2)  # jinhu: projects 2, 3 both started, of 2 big signings
    kpis = pd.DataFrame({"unit": rows["unit"], "target": rows["target"], "replication": 0, "value": values})
    att = attainment(kpis, rows)
    assert list(att["unit"]) == list(rows["unit"])
    assert "target_unit" in att.columns
    assert list(att["p_attain"]) == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]


def test_unit_goals_without_a_unit_column_are_a_clear_error() -> None:
    plan = _plan({"xuyi": {"signed_big": 1.0}})
    with pytest.raises(ConfigError, match="ledger column 'unit'"):
        kpi_matrix(_synthetic_ledger().drop(columns="unit"), NO_RETROFITS, WINDOW, plan_measures(plan))


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("plan.targets.signed_5e9.measure.milestone=finished", "one of signed, started"),
        ("plan.targets.signed_5e9.measure.statistic=median", "one of count, investment"),
        ("plan.targets.signed_5e9.measure.window=last_year", "one of in_year, signed_in_year"),
        ("plan.targets.signed_5e9.measure.sectors=[mining]", "one of industrial"),
        ("plan.targets.parks_share.measure.denominator=null", "needs a denominator"),
        ("plan.targets.signed_5e9.measure.statistic=share", "needs a denominator"),
        ("plan.targets.signed_5e9.goal=-3", "plan.targets.signed_5e9.goal"),
        ("plan.targets.parks_share.goal=80", "a share in"),
        ("plan.targets.signed_5e9.direction=more", "one of at_least, at_most"),
        ("plan.targets.retrofit_projects.measure.in_park=true", "no project filters"),
        ("plan.targets.industrial_investment.measure.milestone=started", "'spending' exactly when"),
        ("plan.targets.industrial_investment.measure.statistic=count", "unless the statistic is 'spending'"),
        ("+plan.units.atlantis.signed_5e9=3", "a unit key of cityplan/units.py"),
        ("+plan.units.xuyi.no_such_target=3", "a target of this plan"),
        ("plan.targets.signed_5e9.measure.unit=atlantis", "a unit key of cityplan/units.py"),
    ],
)
def test_bad_plans_stop_before_running(study: Callable[..., StudyConfig], override: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected) as err:
        study(override)
    # the field named is the one overridden or, for a rule across fields, one of the same target
    # (or unit): not merely any plan field
    field, _ = echoed(str(err.value))
    path = override.lstrip("+").partition("=")[0].split(".")
    assert field.split(".")[:3] == path[:3], (field, path)


def test_a_duplicate_key_in_a_plan_file_is_an_error(tmp_path: Path) -> None:
    text = (PLAN_DIR / "huaian_2023.yaml").read_text(encoding="utf-8")
    block = text[text.index("  signed_5e9:") : text.index("  started_same_year:")]
    path = tmp_path / "dup.yaml"
    path.write_text(text + block, encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate key signed_5e9"):
        load_plan(path)


def test_an_unknown_measure_word_in_a_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("targets:\n  x:\n    label_zh: x\n    label_en: x\n    unit: 个\n    measure: {milstone: signed}\n")
    with pytest.raises(ConfigError, match="milstone"):
        load_plan(path)


def test_an_empty_plan_is_an_error_before_running() -> None:
    with pytest.raises(ConfigError, match=r"plan\.targets"):
        run_study(StudyConfig())


@pytest.mark.parametrize("name", sorted(p.stem for p in PLAN_DIR.glob("*.yaml")))
def test_every_plan_file_loads_and_states_its_source(name: str) -> None:
    plan = load_plan(name)
    assert plan.name == name
    assert plan.targets
    assert (PLAN_DIR / f"{name}.yaml").read_text(encoding="utf-8").startswith("# @package plan\n#")


def test_target_keys_come_from_the_plan_file() -> None:
    assert tuple(load_plan("huaian_2023").targets) == TARGET_KEYS


def test_a_second_plan_runs_for_another_year(study: Callable[..., StudyConfig]) -> None:
    cfg = study("plan=example_2024", "run.target_year=2024", "run.replications=2", "run.keep_ledgers=1")
    assert cfg.launch_date() == "2024-02-18"  # first working day after the 2024 festival holiday
    result = run_study(cfg)
    keys = load_plan("example_2024").keys
    assert list(result.kpis["target"].cat.categories) == list(keys)
    assert set(result.monthly["date"].dt.year) == {2024}
    att = attainment(result.kpis, targets_frame(cfg.plan)).set_index("target")
    assert att.loc["investment_outside_parks_share", "direction"] == "at_most"
    values = result.kpis.loc[result.kpis["target"] == "investment_outside_parks_share", "value"].to_numpy()
    assert att.loc["investment_outside_parks_share", "p_attain"] == np.mean(values <= 0.2)
    # no start inside the 2024 dead period: 7 days before to 21 after the festival (10 Feb)
    cal_start = np.datetime64(f"{cfg.run.first_year}-01-01")  # model day 0
    started = cal_start + result.ledgers["t_started"].dropna().to_numpy().astype("timedelta64[D]")
    lull = (started >= np.datetime64("2024-02-03")) & (started < np.datetime64("2024-03-02"))
    assert not lull.any()
    assert ((started >= np.datetime64("2024-03-02")) & (started < np.datetime64("2024-03-09"))).any()


def test_the_launch_follows_the_target_year() -> None:
    from sim.config.run import RunConfig

    assert StudyConfig(plan=HUAIAN_2023).launch_date() == "2023-01-28"  # calibration.md §5
    run = RunConfig(first_year=2024, target_year=2030)
    with pytest.raises(ConfigError, match="campaign_launch"):
        StudyConfig(run=run)
    assert StudyConfig(run=run, campaign_launch="2030-02-11").launch_date() == "2030-02-11"


@pytest.mark.slow
def test_cli_runs_another_plan_and_year_end_to_end_with_its_report(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    run = [sys.executable, "-m", "sim", "plan=example_2024", "run.target_year=2024", "run=smoke"]
    proc = subprocess.run([*run, f"hydra.run.dir={tmp_path}"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "2024 attainment forecast" in proc.stdout
    assert "plan example_2024" in proc.stdout
    att = pd.read_csv(tmp_path / "attainment.csv", encoding="utf-8-sig")
    assert list(att["target"]) == list(load_plan("example_2024").keys)
    report = [sys.executable, "-m", "analysis", "report", str(tmp_path)]
    proc = subprocess.run(report, capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "2024" in html
    assert "新达效亿元以上工业项目" in html
    assert "全年协议引资额" not in html  # the 2023 plan's targets are not in this report


def test_a_run_with_unit_goals_gives_per_unit_and_city_tables(
    study: Callable[..., StudyConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a ``unit`` column in the ledger (issue 10 adds it to the model), unit rows follow the city's."""
    import sim.run.replication

    plain = sim.run.replication.ledger_frame

    def with_units(system: object) -> pd.DataFrame:  # projects alternate between two units
        frame = plain(system)  # type: ignore[arg-type]
        return frame.assign(unit=np.where(frame["project"] % 2 == 0, "xuyi", "jinhu"))

    monkeypatch.setattr(sim.run.replication, "ledger_frame", with_units)
    cfg = study("run.replications=2", "run.keep_ledgers=0")
    units = {"xuyi": {"signed_industrial_1e8": 300.0, "parks_share": 0.8}, "jinhu": {"signed_industrial_1e8": 300.0}}
    cfg = replace(cfg, plan=replace(cfg.plan, units=units))
    result = run_study(cfg)
    u = result.unit_kpis
    assert set(u["unit"]) == {CITY, "xuyi", "jinhu"}
    assert len(u) == 2 * (28 + 3)
    signed = u[u["target"] == "signed_industrial_1e8"].pivot(index="replication", columns="unit", values="value")
    np.testing.assert_array_equal(signed["xuyi"] + signed["jinhu"], signed[CITY])
    assert (signed["xuyi"] > 0).all()
    city = result.kpis.set_index(["replication", "target"])["value"]
    np.testing.assert_array_equal(u[u["unit"] == CITY].set_index(["replication", "target"])["value"], city)
    att = attainment(u, unit_targets_frame(cfg.plan))
    row = att[(att["unit"] == "xuyi") & (att["target"] == "signed_industrial_1e8")].iloc[0]
    assert row["goal"] == 300.0
    assert row["p_attain"] == np.mean(signed["xuyi"].to_numpy() >= 300.0)


def test_unit_goals_count_the_simulated_units(study: Callable[..., StudyConfig]) -> None:
    """The model gives every lead a unit (issue 10): a plan's unit goals run end to end."""
    cfg = study("+plan.units.xuyi.signed_industrial_1e8=100", "run.replications=1", "run.keep_ledgers=0")
    u = run_study(cfg).unit_kpis
    assert set(u["unit"]) == {CITY, "xuyi"}
    xuyi = u[(u["unit"] == "xuyi") & (u["target"] == "signed_industrial_1e8")]["value"].iloc[0]
    city = u[(u["unit"] == CITY) & (u["target"] == "signed_industrial_1e8")]["value"].iloc[0]
    assert 0 < xuyi < city
