"""Ranking of counties and parks (一月一通报) on a synthetic per-unit table."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from analysis.unit_ranking import months_done, rank_units, report_ranking, run_window, unit_monthly
from cityplan.calendar import Calendar
from cityplan.counting import KpiWindow
from tests.helpers import HUAIAN_2023


def _monthly(values: dict[str, tuple[float, list[float]]]) -> pd.DataFrame:
    """unit -> (value at the end of June, year-end value per replication); one target."""
    rows = []
    for unit, (june, ends) in values.items():
        for rep, end in enumerate(ends):
            rows.append(("s", "p", rep, unit, "started_industrial_1e8", 6, june))
            rows.append(("s", "p", rep, unit, "started_industrial_1e8", 12, end))
    return pd.DataFrame(rows, columns=["scenario", "policy", "replication", "unit", "target", "month", "value"])


def test_units_ranked_by_progress_against_their_goals() -> None:
    monthly = _monthly(
        {"xuyi": (10.0, [20, 24, 30, 40]), "jinhu": (9.0, [12, 13, 14, 15]), "lianshui": (2.0, [5, 5, 6, 6])}
    )
    goals = pd.DataFrame(
        {"unit": ["xuyi", "jinhu", "lianshui"], "target": "started_industrial_1e8", "goal": [40.0, 10.0, 4.0]}
    )
    table = rank_units(monthly, as_of_month=6, goals=goals).set_index("unit")
    # progress = to date / goal: jinhu 0.9, lianshui 0.5, xuyi 0.25 (xuyi has the most, ranks last)
    assert table.loc["jinhu", "progress"] == pytest.approx(0.9)
    assert list(table.sort_values("rank").index) == ["jinhu", "lianshui", "xuyi"]
    assert table.loc["jinhu", "rank"] == 1
    # year end: share of replications at or above the goal, with its interval
    assert table.loc["xuyi", "p_attain"] == pytest.approx(0.25)
    assert table.loc["jinhu", "p_attain"] == pytest.approx(1.0)
    assert table.loc["lianshui", "p_attain"] == pytest.approx(1.0)
    assert table.loc["xuyi", "p_low"] < 0.25 < table.loc["xuyi", "p_high"]
    assert table.loc["xuyi", "year_end_mean"] == pytest.approx(28.5)
    assert table.loc["xuyi", "name_zh"] == "盱眙县"
    assert (table["replications"] == 4).all()


def test_without_goals_units_rank_on_what_they_did_and_no_probability() -> None:
    monthly = _monthly({"xuyi": (10.0, [20, 24]), "jinhu": (9.0, [30, 40])})
    table = rank_units(monthly, as_of_month=6).set_index("unit")
    assert table.loc["xuyi", "rank"] == 1  # 10 to date against 9
    assert table["p_attain"].isna().all()
    forecast = rank_units(monthly).set_index("unit")  # no as_of: the forecast decides
    assert forecast.loc["jinhu", "rank"] == 1


def test_overall_rank_is_the_mean_of_the_target_ranks() -> None:
    a = _monthly({"xuyi": (3.0, [5]), "jinhu": (2.0, [5]), "hongze": (1.0, [5])})
    b = a.assign(target="signed_industrial_1e8", value=a["value"].where(a["unit"] != "xuyi", 0.0))
    table = rank_units(pd.concat([a, b]), as_of_month=6)
    overall = table.drop_duplicates("unit").set_index("unit")["overall_rank"]
    # xuyi: ranks 1 and 3 (mean 2); jinhu: 2 and 1 (1.5); hongze: 3 and 2 (2.5)
    assert overall.to_dict() == {"jinhu": 1, "xuyi": 2, "hongze": 3}


def test_unit_monthly_counts_each_units_projects() -> None:
    """Hand-made ledger: industrial starts of >= 1亿 per unit, month by month (30-day months)."""
    window = KpiWindow(
        year_start_day=0.0,
        cutoff_days=tuple(float(30 * m) for m in range(1, 13)),
        cny_per_usd=7.0,
        spend_realisation_share=1.0,
        spend_curve_a=2.0,
        spend_curve_b=2.0,
    )
    nan = np.nan
    ledger = pd.DataFrame(
        {
            "scenario": "s",
            "policy": "p",
            "replication": 0,
            "unit": ["xuyi", "xuyi", "jinhu", "jinhu", ""],
            "sector": ["industrial", "industrial", "industrial", "agriculture", "industrial"],
            "investment_yi": [2.0, 0.5, 3.0, 5.0, 9.0],
            "t_signed": [-100.0, 10.0, 20.0, 20.0, 5.0],
            "t_started": [15.0, 40.0, 75.0, 50.0, 10.0],  # the 0.5亿 and the farm do not count
            "t_completed": nan,
            "t_registered": nan,
            "build_days": 300.0,
            "foreign": False,
            "taiwan": False,
            "tech_talent": False,
            "in_park": True,
        }
    )
    measures = {k: t.measure for k, t in HUAIAN_2023.targets.items()}
    got = unit_monthly(ledger, window, measures, ("started_industrial_1e8", "industrial_investment"))
    starts = got[got["target"] == "started_industrial_1e8"].pivot(index="month", columns="unit", values="value")
    assert sorted(starts.columns) == ["jinhu", "xuyi"]  # the project without a unit is in neither
    assert list(starts["xuyi"].iloc[[0, 1, 11]]) == [1.0, 1.0, 1.0]
    assert list(starts["jinhu"].iloc[[1, 2, 11]]) == [0.0, 1.0, 1.0]
    spend = got[(got["target"] == "industrial_investment") & (got["month"] == 12)].set_index("unit")["value"]
    assert spend["xuyi"] > 0
    assert spend["jinhu"] > 0


@pytest.mark.parametrize(("first_year", "target_year"), [(2021, 2023), (2019, 2024), (2023, 2023)])
def test_run_window_counts_at_the_models_month_ends(first_year: int, target_year: int) -> None:
    """The report counts a run at the same days as the model (analysis does not import its calendar)."""
    config = {
        "run": {"first_year": first_year, "target_year": target_year},
        "model": {
            "demand": {"cny_per_usd": 7.0},
            "construction": {"spend_realisation_share": 0.9, "spend_curve_a": 2.0, "spend_curve_b": 2.0},
        },
    }
    cal = Calendar(first_year, target_year)
    window = run_window(config)
    assert window.year_start_day == cal.year_start(target_year)
    assert window.cutoff_days == tuple(cal.month_ends(target_year).tolist())


def test_months_done_on_a_nowcast_date() -> None:
    assert months_done("2023-06-30", 2023) == 6
    assert months_done("2023-06-29", 2023) == 5
    assert months_done("2023-01-15", 2023) is None
    assert months_done("2022-12-31", 2023) is None


def test_report_ranking_needs_units_and_takes_goals_from_the_config() -> None:
    config = {
        "run": {"first_year": 2023, "target_year": 2023},
        "model": {
            "demand": {"cny_per_usd": 7.0},
            "construction": {"spend_realisation_share": 0.9, "spend_curve_a": 2.0, "spend_curve_b": 2.0},
        },
        "plan": {  # as .hydra/config.yaml holds it: the plan's targets and the unit goals
            "targets": {k: asdict(t) for k, t in HUAIAN_2023.targets.items()},
            "units": {"xuyi": {"started_industrial_1e8": 1.0}},
        },
    }
    ledger = pd.DataFrame(
        {
            "scenario": "s",
            "policy": "p",
            "replication": [0, 0, 1, 1],
            "unit": ["xuyi", "jinhu", "xuyi", "jinhu"],
            "sector": "industrial",
            "investment_yi": 2.0,
            "t_signed": 10.0,
            "t_started": [100.0, 300.0, 250.0, 200.0],  # xuyi starts by June in replication 0 only
            "t_completed": np.nan,
            "t_registered": np.nan,
            "build_days": 300.0,
            "foreign": False,
            "taiwan": False,
            "tech_talent": False,
            "in_park": True,
        }
    )
    assert report_ranking(ledger.assign(unit=""), config, {}) is None
    assert report_ranking(ledger.drop(columns="unit"), config, {}) is None
    table = report_ranking(ledger, config, {"as_of": "2023-06-30"})
    assert table is not None
    starts = table[table["target"] == "started_industrial_1e8"].set_index("unit")
    assert starts.loc["xuyi", "to_date"] == pytest.approx(0.5)  # mean over the two replications
    assert starts.loc["xuyi", "goal"] == 1.0
    assert starts.loc["xuyi", "p_attain"] == pytest.approx(1.0)  # both start within the year
    assert np.isnan(starts.loc["jinhu", "p_attain"])  # no goal, no probability
