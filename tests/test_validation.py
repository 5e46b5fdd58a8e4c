"""The published record as data and python -m sim.validate (issue 22).

The loader refuses each bad input with one line naming the field; observations computed
from a hand-made ledger are known exactly; ``inside`` is the overlap of the observed value
(or range) with the model's 90% interval; stopping a run at the last observed date changes
no value; the command writes its files and never writes into a directory it did not create.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.plots.validation import plot_validation
from analysis.report.validation import validation_section
from analysis.validation import COLUMNS, coverage, miss_score, overlaps, validation_table
from cityplan.calendar import Calendar
from cityplan.counting import KpiWindow
from cityplan.errors import ConfigError
from cityplan.observations import THEMES, load_observations, parse_observations
from cityplan.observing import observe
from cityplan.units import UNIT_KEYS
from sim.config.run import RunConfig
from sim.run.observe import observe_replication, observe_study
from sim.validate import main as validate_main
from tests.conftest import compose_study

LAUNCH = "2023-01-28"
GOOD: dict[str, Any] = {
    "name": "tiny",
    "observations": {
        "signed_2020": {
            "label_zh": "签约",
            "label_en": "signed",
            "theme": "signings",
            "unit": "个",
            "period": "2020",
            "measure": {"statistic": "count", "milestone": "signed", "window": ["2020-01-01", "2020-12-31"]},
            "observed": 3,
            "error": {"kind": "census", "sd": 1, "why": "a count"},
            "source": {"section": "calibration.md §1", "phrase": "3 signed"},
        }
    },
}


def parse(raw: dict[str, Any]) -> Any:
    return parse_observations(raw, first_year=2019, launch=LAUNCH, units=UNIT_KEYS)


def bad(path: list[str | int], value: Any, *, delete: bool = False) -> dict[str, Any]:
    """GOOD with the field at ``path`` (below the one observation) set to ``value``."""
    raw = copy.deepcopy(GOOD)
    node = raw["observations"]["signed_2020"]
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return raw


def test_a_good_file_parses() -> None:
    record = parse(GOOD)
    assert record.keys == ("signed_2020",)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["measure", "milestone"], "signd", "observations.signed_2020.measure.milestone"),
        (["measure", "statistic"], "total", "observations.signed_2020.measure.statistic"),
        (["measure", "size_tier"], 2, "observations.signed_2020.measure.size_tier"),  # unknown filter
        (["measure", "sectors"], ["mining"], "observations.signed_2020.measure.sectors"),
        (["measure", "unit"], "atlantis", "observations.signed_2020.measure.unit"),
        (["measure", "window"], ["2018-01-01", "2018-12-31"], "observations.signed_2020.measure.window[0]"),
        (["measure", "window"], ["2022-06-01", "2023-03-31"], "observations.signed_2020.measure.window[1]"),
        (["measure", "window"], ["2020-13-01", "2020-12-31"], "observations.signed_2020.measure.window[0]"),
        (["source"], None, "observations.signed_2020.source"),
        (["source", "phrase"], "", "observations.signed_2020.source.phrase"),
        (["error", "sd"], -1, "observations.signed_2020.error.sd"),
        (["error", "kind"], "guess", "observations.signed_2020.error.kind"),
        (["error", "why"], " ", "observations.signed_2020.error.why"),
        (["theme"], "weather", "observations.signed_2020.theme"),
        (["label_en"], "", "observations.signed_2020.label_en"),
        (["other_city"], True, "observations.signed_2020.error.kind"),  # another city needs a wide error
    ],
)
def test_loader_names_the_bad_field(path: list[str | int], value: Any, field: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(bad(path, value))
    message = str(err.value)
    assert "\n" not in message
    assert f"'{field}'" in message, message
    assert "expected" in message


def test_a_share_above_one_and_a_missing_source_are_refused() -> None:
    share = bad(
        ["measure"], {"statistic": "share", "window": ["2020-01-01", "2020-12-31"], "part": {"min_investment_yi": 10}}
    )
    share["observations"]["signed_2020"]["observed"] = 1.2
    with pytest.raises(ConfigError, match=r"'observations.signed_2020.observed' = 1.2 .* a share in \[0, 1\]"):
        parse(share)
    with pytest.raises(ConfigError, match=r"'observations\.signed_2020\.source' = None"):
        parse(bad(["source"], None, delete=True))


def test_a_span_past_the_launch_is_refused() -> None:
    measure = {
        "statistic": "within_share",
        "milestone": "started",
        "window": ["2022-01-01", "2022-12-31"],
        "within_days": 270,
    }
    with pytest.raises(ConfigError, match=r"'observations\.signed_2020\.measure\.within_days' = 270"):
        parse(bad(["measure"], measure))
    stock = {"statistic": "stock", "seen_on": "2023-02-01", "stage": "building"}
    with pytest.raises(ConfigError, match=r"'observations\.signed_2020\.measure\.seen_on'"):
        parse(bad(["measure"], stock))


def test_the_record_loads_with_every_theme_and_a_third_held_out() -> None:
    record = load_observations(first_year=RunConfig().first_year, launch=LAUNCH)
    obs = list(record.observations.values())
    assert len(obs) >= 15
    assert {o.theme for o in obs} == set(THEMES)
    held = sum(o.held_out for o in obs) / len(obs)
    assert 0.25 <= held <= 0.45
    for theme in THEMES:  # a theme with several observations keeps some in the fit
        mine = [o for o in obs if o.theme == theme]
        assert len(mine) == 1 or not all(o.held_out for o in mine), theme
    assert all(o.other_city == (o.error.kind == "other_city") for o in obs)
    assert record.not_modelled
    assert all(n.reason for n in record.not_modelled.values())


# ------------------------------------------------------------------ known answers on a hand-made ledger
CAL = Calendar(2019, 2023)
NAN = float("nan")


def day(iso: str) -> float:
    return CAL.day_of(iso)


def hand_ledger() -> pd.DataFrame:
    """Four projects with known milestones (model days from 1 January 2019)."""
    return pd.DataFrame(
        {
            "project": [0, 1, 2, 3],
            "unit": ["jinhu", "xuyi", "jinhu", "xuyi"],
            "sector": ["industrial", "industrial", "agriculture", "industrial"],
            "investment_yi": [2.0, 20.0, 60.0, 0.5],
            "from_event": [False, True, True, False],
            "foreign": [False] * 4,
            "taiwan": [False] * 4,
            "in_park": [True, False, True, False],
            "t_signed": [day("2020-02-01"), day("2020-03-01"), day("2020-07-01"), day("2021-01-10")],
            "t_procedures": [day("2020-03-01"), day("2020-04-01"), NAN, NAN],
            "t_land": [day("2020-04-01"), day("2020-06-01"), NAN, NAN],
            "t_started": [day("2020-05-01"), day("2020-08-01"), NAN, NAN],
            "t_completed": [day("2020-11-01"), NAN, NAN, NAN],
            "t_walked": [NAN, NAN, day("2020-08-01"), NAN],
            "build_days": [184.0, 400.0, 300.0, 100.0],
            "spend_days": [184.0, 400.0, 300.0, 100.0],
        }
    )


WINDOW = KpiWindow(
    year_start_day=0.0,
    cutoff_days=(1.0,),
    cny_per_usd=7.0,
    spend_realisation_share=0.5,
    spend_curve_a=1.0,  # linear spending: the expected values are simple arithmetic
    spend_curve_b=1.0,
    industrial_investment_with_retrofits=False,
)


def one(measure: dict[str, Any], observed: float = 0.5) -> dict[str, Any]:
    raw = copy.deepcopy(GOOD)
    o = raw["observations"]["signed_2020"]
    o["measure"], o["observed"] = measure, observed
    return raw


def value_of(measure: dict[str, Any]) -> float:
    record = parse(one(measure))
    no_retrofits = pd.DataFrame({"investment_yi": [], "t_started": [], "t_completed": []})
    return observe(hand_ledger(), no_retrofits, record.observations.values(), CAL, WINDOW)["signed_2020"]


Y2020 = ["2020-01-01", "2020-12-31"]
CASES: list[tuple[dict[str, Any], float]] = [
    ({"statistic": "count", "window": Y2020}, 3),
    ({"statistic": "count", "window": Y2020, "min_investment_yi": 1, "below_investment_yi": 50}, 2),
    ({"statistic": "count", "window": Y2020, "from_event": True, "unit": "jinhu"}, 1),
    ({"statistic": "count", "milestone": "started", "window": ["2020-05-01", "2020-07-31"]}, 1),
    ({"statistic": "investment", "window": Y2020, "sectors": ["industrial"]}, 22.0),
    ({"statistic": "mean_investment", "window": Y2020}, 82.0 / 3),
    ({"statistic": "share", "of": "count", "window": Y2020, "part": {"min_investment_yi": 10}}, 2 / 3),
    ({"statistic": "share", "of": "investment", "window": Y2020, "part": {"sectors": ["agriculture"]}}, 60 / 82),
    ({"statistic": "growth", "of": "count", "window": ["2021-01-01", "2021-12-31"], "base_window": Y2020}, 1 / 3 - 1),
    (
        {
            "statistic": "ratio",
            "milestone": "started",
            "base_milestone": "signed",
            "window": Y2020,
            "base_window": Y2020,
        },
        2 / 3,
    ),
    (  # 1 signing in the 29 days of February 2020, 1 in the 31 of March: (1 / 29) / (1 / 31)
        {
            "statistic": "rate_ratio",
            "window": ["2020-02-01", "2020-02-29"],
            "base_window": ["2020-03-01", "2020-03-31"],
        },
        31 / 29,
    ),
    ({"statistic": "stock", "seen_on": "2020-09-30", "stage": "building"}, 2),
    ({"statistic": "stock", "seen_on": "2020-11-01", "stage": "building"}, 1),  # completed that day
    (
        {
            "statistic": "stage_share",
            "window": ["2020-01-01", "2020-07-31"],
            "seen_on": "2020-07-31",
            "stage": "started",
        },
        1 / 3,
    ),
    (
        {
            "statistic": "stage_share",
            "window": ["2020-01-01", "2020-07-31"],
            "seen_on": "2020-07-31",
            "stage": "procedures",
        },
        1 / 3,
    ),
    (
        {
            "statistic": "stage_share",
            "window": ["2020-01-01", "2020-08-31"],
            "seen_on": "2020-08-31",
            "stage": "prework",
        },
        1 / 3,
    ),  # 2 walked
    ({"statistic": "within_share", "milestone": "started", "window": Y2020, "within_days": 90}, 1 / 3),
    ({"statistic": "within_share", "milestone": "completed", "window": Y2020, "within_days": 365}, 1 / 3),
    ({"statistic": "median_days", "milestone": "started", "since": "land", "window": Y2020}, (30 + 61) / 2),
    (  # project 0 spends 0.5 x 2 linearly over 184 days from 1 May: all of it in 2020
        {
            "statistic": "spending",
            "milestone": "spent",
            "window": Y2020,
            "min_investment_yi": 1,
            "below_investment_yi": 10,
        },
        1.0,
    ),
    (  # project 1: 0.5 x 20 over 400 days from 1 August; 153 of them in 2020
        {"statistic": "spending", "milestone": "spent", "window": Y2020, "min_investment_yi": 10},
        10.0 * (day("2021-01-01") - day("2020-08-01")) / 400,
    ),
    ({"statistic": "count", "window": ["2020-01-01", "2020-06-30"], "divide_by": 4}, 0.5),
]


@pytest.mark.parametrize(("measure", "expected"), CASES)
def test_value_from_a_hand_made_ledger(measure: dict[str, Any], expected: float) -> None:
    assert value_of(measure) == pytest.approx(expected, rel=1e-12)


def test_funds_in_place_counts_projects_that_never_start_as_nothing() -> None:
    measure = {"statistic": "spent_within_share", "window": Y2020, "within_days": 365}
    # project 0 spent all its 0.5 x 2 (1.0); project 1 spent 0.5 x 20 x (365 - 153) / 400 by a year after
    # signing on 1 March 2020 (it started 153 days after signing); project 2 (60) never started
    spent = 1.0 + 10.0 * (365 - (day("2020-08-01") - day("2020-03-01"))) / 400
    assert value_of(measure) == pytest.approx(spent / 82.0, rel=1e-12)


def test_nothing_to_divide_by_is_nan() -> None:
    measure = {"statistic": "share", "window": ["2022-01-01", "2022-12-31"], "part": {}}
    assert math.isnan(value_of(measure))


# ------------------------------------------------------------------ the table: quantiles and inside
def table_for(values: dict[str, list[float]], ranges: Mapping[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    raw = copy.deepcopy(GOOD)
    base = raw["observations"].pop("signed_2020")
    for key, (lo, hi) in (ranges or {}).items():
        o = copy.deepcopy(base)
        if lo == hi:
            o["observed"] = lo
        else:
            o.pop("observed")
            o["observed_range"] = [lo, hi]
            o["error"] = {"kind": "rhetorical", "range": [lo, hi], "why": "a phrase"}
        o["held_out"] = key.endswith("held")
        raw["observations"][key] = o
    record = parse(raw)
    frame = pd.DataFrame(
        [{"replication": r, "observation": k, "value": v} for k, vs in values.items() for r, v in enumerate(vs)]
    )
    return validation_table(record, frame)


def test_inside_is_the_overlap_with_the_90_percent_interval() -> None:
    reps = list(np.linspace(0.0, 100.0, 101))  # p05 = 5, p50 = 50, p95 = 95
    ranges = {"in": (50, 50), "edge": (95, 95), "out": (96, 96), "range_in": (90, 120), "range_out_held": (96, 200)}
    table = table_for(dict.fromkeys(ranges, reps), ranges)
    assert list(table.columns) == list(COLUMNS)
    assert table[["p05", "p50", "p95"]].iloc[0].tolist() == pytest.approx([5.0, 50.0, 95.0])
    assert dict(zip(table["observation"], table["inside"], strict=True)) == {
        "in": True,
        "edge": True,
        "out": False,
        "range_in": True,
        "range_out_held": False,
    }
    # 96 is 1 beyond 95 but inside its error (sd 1 x 1.645): not a miss once the error counts
    assert table.set_index("observation").loc["out", "inside_with_error"]
    cov = coverage(table)
    assert cov.loc["fit", "n"] == 4
    assert cov.loc["fit", "inside"] == 3
    assert cov.loc["held_out", "coverage"] == 0.0
    assert miss_score(table)["out"] == pytest.approx(1 / 96)  # 1 beyond p95, as a share of 96
    assert miss_score(table)["in"] == 0.0
    assert not overlaps(0, 1, float("nan"), float("nan"))


def test_undefined_replications_are_left_out_of_the_quantiles() -> None:
    table = table_for({"a": [1.0, NAN, 3.0]}, {"a": (2, 2)})
    assert table["n_replications"].iloc[0] == 2
    assert table["p50"].iloc[0] == pytest.approx(2.0)


def test_chart_draws_every_observation() -> None:
    reps = list(np.linspace(0.0, 100.0, 21))
    ranges = {"in": (50, 50), "out": (300, 300), "range_in": (90, 120), "zero_held": (-5, -5)}
    values = dict.fromkeys(ranges, reps) | {"zero_held": [0.0] * 21}
    fig = plot_validation(table_for(values, ranges), subtitle="test")
    ax = fig.axes[0]
    assert len(ax.get_yticks()) == 4
    assert "2 of 4 inside" in ax.get_title(loc="left")  # 50 in [5, 95]; 90-120 meets it; 300 and -5 vs [0, 0] miss


# ------------------------------------------------------------------ the model: stopping early, backends
@pytest.fixture(scope="module")
def smoke() -> Any:
    return compose_study(["run=smoke", "policy=status_quo"])


@pytest.fixture(scope="module")
def record(smoke: Any) -> Any:
    return load_observations(first_year=smoke.run.first_year, launch=smoke.launch_date())


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def test_stopping_at_the_last_observed_date_changes_no_value(smoke: Any, record: Any) -> None:
    assert same(observe_replication(smoke, 2, record), observe_replication(smoke, 2, record, stop_early=False))


def test_serial_and_worker_processes_give_the_same_frame(smoke: Any, record: Any) -> None:
    serial = observe_study(smoke, record, [0, 1, 2])
    pool = observe_study(replace(smoke, run=replace(smoke.run, jobs=2, chunk_size=1)), record, [0, 1, 2])
    pd.testing.assert_frame_equal(serial, pool)
    assert list(serial.columns) == ["replication", "observation", "value"]
    assert len(serial) == 3 * len(record.observations)


def test_a_nowcast_is_refused(smoke: Any, record: Any) -> None:
    cfg = replace(smoke, nowcast=replace(smoke.nowcast, ledger="x.csv", as_of="2023-06-30"))
    with pytest.raises(ConfigError, match=r"nowcast\.ledger"):
        observe_replication(cfg, 0, record)


# ------------------------------------------------------------------ the command end to end
def test_command_writes_its_files_and_refuses_other_directories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "val"
    assert validate_main(["--out", str(out), "--replications", "3", "run=smoke", "policy=status_quo"]) == 0
    for name in ("validation.csv", "validation.png", "validation.svg", "validation_values.parquet", "validation.json"):
        assert (out / name).exists(), name
    table = pd.read_csv(out / "validation.csv", encoding="utf-8-sig")
    assert list(table.columns[:8]) == ["observation", "source", "observed", "p05", "p50", "p95", "inside", "held_out"]
    assert len(table) >= 15
    printed = capsys.readouterr().out
    assert printed.count(" observed ") == len(table)
    assert "coverage fit" in printed
    assert "coverage held_out" in printed
    # the report of a run shows it
    heading, block = validation_section(out) or ("", "")
    assert "published record" in heading
    assert "<table>" in block
    assert "image/svg" in block
    # an earlier validation is replaced only with --force; a foreign directory never
    assert validate_main(["--out", str(out), "--replications", "3", "run=smoke"]) == 2
    assert validate_main(["--out", str(out), "--replications", "3", "--force", "run=smoke"]) == 0
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    assert validate_main(["--out", str(foreign), "--replications", "3", "--force", "run=smoke"]) == 2
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
