"""Chart functions on small hand-built frames: they return Axes and draw what they claim."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis.bottlenecks import YearWindow, starts_at_stake, walkaways
from analysis.compare import COMPARISON_COLUMNS
from analysis.funnel import funnel
from analysis.plots import style
from analysis.plots.attainment import RARE_MISS_COLOUR, expected_shortfall, plot_attainment, plot_shortfall
from analysis.plots.compare import plot_forest, plot_p_attain_change
from analysis.plots.fan import as_of_month, pace_line, plot_distribution, plot_fan
from analysis.report.run_dir import interval_note

mpl.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def attainment_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scenario": "s",
            "policy": "p",
            "target": ["a", "b", "c"],
            "label_zh": ["甲", "乙", "其中丙"],
            "label_en": ["A >= 1亿", "B", "of which C"],
            "unit": ["个", "%", "亿元"],
            "goal": [10.0, 0.5, 100.0],
            "p_attain": [0.95, 0.6, 0.1],
            "p_attain_low": [0.85, 0.45, 0.03],
            "p_attain_high": [0.99, 0.73, 0.25],
        }
    )


def vertical_lines(ax) -> list[float]:
    return [line.get_xdata()[0] for line in ax.get_lines() if len(set(line.get_xdata())) == 1]


def horizontal_lines(ax) -> list[float]:
    return [line.get_ydata()[0] for line in ax.get_lines() if len(set(line.get_ydata())) == 1]


def test_attainment_one_bar_per_target_with_risk_colours_and_goal_lines() -> None:
    att = attainment_frame()
    ax = plot_attainment(att)
    bars = ax.patches
    assert len(bars) == len(att)
    assert sorted(round(b.get_width(), 6) for b in bars) == sorted(att["p_attain"])
    colours = [mpl.colors.to_hex(b.get_facecolor()) for b in bars]
    assert colours == [style.RISK_COLOURS[k] for k in ("likely", "at_risk", "unlikely")]
    assert sorted(vertical_lines(ax)) == [0.5, 0.9]


def test_expected_shortfall_averages_only_the_misses() -> None:
    kpis = pd.DataFrame({"target": "a", "replication": range(4), "value": [8.0, 9.0, 12.0, 10.0]})
    out = expected_shortfall(kpis, attainment_frame().iloc[:1])
    assert out.loc[0, "p_miss"] == 0.5
    assert out.loc[0, "shortfall"] == pytest.approx(1.5)  # (2 + 1) / 2
    assert out.loc[0, "shortfall_share"] == pytest.approx(0.15)


def test_probabilities_never_round_to_a_certainty() -> None:
    shown = [style.format_share(p) for p in (0.0, 0.003, 0.2, 0.994, 0.996, 1.0)]
    assert shown == ["0%", "<1%", "20%", "99%", ">99%", "100%"]
    att = attainment_frame().assign(
        p_attain=[0.997, 0.6, 0.002], p_attain_low=[0.98, 0.45, 0.0], p_attain_high=[1.0, 0.73, 0.02]
    )
    texts = [t.get_text() for t in plot_attainment(att).texts]
    assert texts == [">99%", "60%", "<1%"]


def test_the_50_and_90_percent_lines_are_labelled_in_the_legend() -> None:
    labels = [t.get_text() for t in plot_attainment(attainment_frame()).get_legend().get_texts()]
    assert any(t.startswith("50%") and "at risk" in t for t in labels)
    assert any(t.startswith("90%") and "likely" in t for t in labels)


def test_a_rare_miss_is_pale_and_its_probability_is_not_zero() -> None:
    values = [9.0] + [12.0] * 299  # one miss in 300 replications, by 1 on a goal of 10
    kpis = pd.DataFrame({"target": "a", "replication": range(300), "value": values})
    short = expected_shortfall(kpis, attainment_frame().iloc[:1])
    ax = plot_shortfall(attainment_frame().iloc[:1][["target", "label_zh", "label_en"]].merge(short, on="target"))
    assert [t.get_text().endswith("(<1%)") for t in ax.texts] == [True]
    assert mpl.colors.to_hex(ax.patches[0].get_facecolor()) == RARE_MISS_COLOUR


def params_frame(draws: int, varying: tuple[str, ...], fixed: tuple[str, ...] = ()) -> pd.DataFrame:
    """params.parquet of ``draws`` replications: inputs in ``varying`` change by draw, ``fixed`` do not."""
    rows = [(r, r, name, float(r) if name in varying else 1.0) for r in range(draws) for name in (*varying, *fixed)]
    return pd.DataFrame(rows, columns=["replication", "draw", "parameter", "value"])


def test_interval_note_says_whether_parameter_uncertainty_is_in() -> None:
    evidence = interval_note(params_frame(4, ("a", "b"), fixed=("pinned",)))
    assert "parameter uncertainty (2 uncertain inputs)" in evidence
    for luck_only in (pd.DataFrame(), params_frame(1, ("a", "b")), params_frame(4, (), fixed=("pinned",))):
        note = interval_note(luck_only)  # uncertainty=none, one draw, every input pinned
        assert "luck only" in note
        assert "parameter uncertainty" not in note


def test_interval_note_names_the_history_sample() -> None:
    """A job drawn from the history-matched sample (meta.json's input_sample) says so; luck only never does."""
    meta = {"input_sample": {"sample_rows": 37, "sample_date": "2026-12-05"}}
    note = interval_note(params_frame(4, ("a",)), meta)
    assert "the sample the 2019-2022 record leaves (37 input vectors, 2026-12-05)" in note
    assert "record" not in interval_note(params_frame(4, ("a",)))  # uncertainty=evidence
    assert "record" not in interval_note(params_frame(1, ("a",)), meta)  # one draw: luck only


def monthly_frame(goal_pace: float = 10.0) -> pd.DataFrame:
    rows = [
        {"target": "a", "replication": r, "month": m, "value": goal_pace * m / 12 + r}
        for r in range(5)
        for m in range(1, 13)
    ]
    return pd.DataFrame(rows)


def test_fan_draws_goal_pace_and_actual_up_to_as_of() -> None:
    monthly = monthly_frame()
    actual = pd.DataFrame({"target": "a", "month": range(1, 13), "value": np.arange(1, 13, dtype=float)})
    ax = plot_fan(monthly, "a", goal=10.0, unit="个", actual=actual, as_of=4)
    assert 10.0 in horizontal_lines(ax)
    median = next(line for line in ax.get_lines() if len(line.get_xdata()) == 12)
    np.testing.assert_allclose(median.get_ydata(), 10.0 * np.arange(1, 13) / 12 + 2)  # median replication r=2
    actual_line = next(line for line in ax.get_lines() if line.get_marker() == "o")
    assert list(actual_line.get_xdata()) == [1, 2, 3, 4]
    pace = next(line for line in ax.get_lines() if line.get_linestyle() == ":")
    assert pace.get_ydata()[-1] == pytest.approx(10.0)


def test_pace_line_linear_milestones_and_rates() -> None:
    assert pace_line(120.0, "个")[6] == pytest.approx(60.0)
    stepped = pace_line(100.0, "个", {3: 0.1, 6: 0.4, 12: 1.0})
    assert stepped[3] == pytest.approx(10.0)
    assert stepped[9] == pytest.approx(70.0)
    assert (pace_line(0.5, "%") == 0.5).all()
    with pytest.raises(ValueError, match="milestones"):
        pace_line(1.0, "个", {13: 0.5})


def test_distribution_marks_the_goal_and_the_share_reaching_it() -> None:
    kpis = pd.DataFrame(
        {"policy": ["p"] * 40 + ["q"] * 40, "target": "a", "value": [*np.linspace(0, 20, 40), *[11.0] * 40]}
    )
    ax = plot_distribution(kpis, "a", goal=10.0, unit="个")
    assert 10.0 in vertical_lines(ax)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("p ") and "= 50%" in t for t in legend)
    assert any(t.startswith("q ") and "= 100%" in t for t in legend)


def comparison_frame() -> pd.DataFrame:
    rows = []
    for policy, scale in (("ready_to_build", 1.0), ("five_permits", 0.5)):
        for target, goal, unit in (("a", 10.0, "个"), ("b", 0.5, "%")):
            rows.append(
                {
                    "scenario": "s",
                    "policy": policy,
                    "baseline": "status_quo",
                    "target": target,
                    "label_zh": "甲",
                    "label_en": "A",
                    "unit": unit,
                    "goal": goal,
                    "mean_baseline": goal,
                    "mean_policy": goal * (1 + 0.2 * scale),
                    "mean_diff": goal * 0.2 * scale,
                    "diff_low": goal * 0.1 * scale,
                    "diff_high": goal * 0.3 * scale,
                    "p_attain_baseline": 0.5,
                    "p_attain_policy": 0.5 + 0.3 * scale,
                    "p_attain_diff": 0.3 * scale,
                    "p_attain_diff_low": 0.1 * scale,
                    "p_attain_diff_high": 0.5 * scale,
                    "p_better": 0.8,
                    "n_pairs": 50,
                }
            )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def test_forest_points_are_differences_as_share_of_goal() -> None:
    ax = plot_forest(comparison_frame())
    xs = sorted(round(float(x), 6) for line in ax.get_lines() if line.get_marker() == "o" for x in line.get_xdata())
    assert xs == [0.1, 0.1, 0.2, 0.2]  # 20% of goal (ready_to_build), 10% (five_permits), both targets
    assert 0.0 in vertical_lines(ax)


def test_p_attain_change_one_bar_per_policy_and_target() -> None:
    ax = plot_p_attain_change(comparison_frame())
    widths = sorted(round(b.get_width(), 6) for b in ax.patches)
    assert widths == [0.15, 0.15, 0.3, 0.3]


def test_comparison_with_missing_columns_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="p_better"):
        plot_forest(comparison_frame().drop(columns=["p_better"]))


def ledger_frame() -> pd.DataFrame:
    """Four projects in a 2021-start model; 2023 starts on model day 730."""
    nan = np.nan
    return pd.DataFrame(
        {
            "scenario": "s",
            "policy": "p",
            "replication": 0,
            "investment_yi": [1.0, 2.0, 3.0, 4.0],
            "t_arrival": [700.0, 735.0, 740.0, 745.0],
            "t_rejected": nan,
            "t_signed": [710.0, 750.0, 760.0, 770.0],
            "t_procedures": [720.0, 800.0, 800.0, 810.0],
            "t_land_granted": [725.0, 820.0, nan, 900.0],
            "t_land": [730.0, 830.0, nan, 950.0],
            "t_energy": [740.0, 840.0, nan, nan],
            "t_permits": [760.0, 850.0, nan, nan],
            "t_started": [780.0, 870.0, nan, nan],
            "t_completed": [900.0, nan, nan, nan],
            "t_registered": nan,
            "t_walked": [nan, nan, 900.0, nan],
            "walk_cause": ["none", "none", "land", "none"],
            "wait_land_days": [0.0, 5.0, 100.0, 0.0],
            "wait_energy_days": 0.0,
            "wait_approvals_days": 0.0,
        }
    )


def test_walkaways_and_starts_at_stake_from_records() -> None:
    window = YearWindow(2021, 2023)
    walk = walkaways(ledger_frame(), window).set_index("cause")
    assert walk.loc["land", "walked"] == 1
    assert walk.loc["energy", "walked"] == 0
    resources = pd.DataFrame(
        {
            "scenario": "s",
            "policy": "p",
            "replication": 0,
            "day": [1064.0, 1064.0, 1064.0],
            "resource": ["land_mu", "energy_tce", "approvals"],
            "metric": "waiting",
            "value": [0.0, 3.0, 1.0],
        }
    )
    stake = starts_at_stake(ledger_frame(), resources, window)
    assert list(stake["cause"]) == ["energy", "land", "approvals"]
    assert list(stake["at_stake"]) == [3.0, 1.0, 1.0]


def test_funnel_splits_same_year_and_carry_over() -> None:
    table = funnel(ledger_frame(), YearWindow(2021, 2023)).set_index("stage")
    assert table.loc["signed", "same_year"] == 3  # signed on days 750, 760, 770
    assert table.loc["started", "same_year"] == 1  # project 1
    assert table.loc["started", "carry_over"] == 1  # project 0, signed in 2022
    assert table.loc["leads", "same_year"] == 3


def test_without_cjk_font_labels_are_english_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(style, "cjk_font", lambda: None)
    titles = style.target_titles(attainment_frame())
    assert titles["a"] == "A >= 100m yuan"
    assert not any("\u4e00" <= ch <= "\u9fff" for t in titles.values() for ch in t)
    ax = plot_attainment(attainment_frame())
    texts = [t.get_text() for t in ax.get_yticklabels()] + [ax.get_xlabel()]
    assert not any("\u4e00" <= ch <= "\u9fff" for t in texts for ch in t)


def test_missing_cjk_font_warns_once(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    style.cjk_font.cache_clear()
    monkeypatch.setattr(style, "CJK_FAMILIES", ("No Such Font For Tests",))
    try:
        with caplog.at_level("WARNING", logger="analysis.plots.style"):
            for _ in range(3):
                assert style.cjk_font() is None
        assert len([r for r in caplog.records if "CJK" in r.getMessage()]) == 1
    finally:
        style.cjk_font.cache_clear()


def test_as_of_month_reads_numbers_and_dates() -> None:
    assert as_of_month(pd.DataFrame({"value": [1.0]})) is None
    assert as_of_month(pd.DataFrame({"as_of": [3, 5]})) == 5
    assert as_of_month(pd.DataFrame({"as_of": pd.to_datetime(["2023-06-30"])})) == 6
    with pytest.raises(ValueError, match="as_of"):
        as_of_month(pd.DataFrame({"as_of": [14]}))


def test_a_policy_keeps_its_colour_across_charts() -> None:
    palette = style.policy_colours(["status_quo", "plan", "ready_to_build"])
    assert len(set(palette.values())) == 3
    again = style.policy_colours(["plan"], palette)
    assert again["plan"] == palette["plan"]
    ax = plot_forest(comparison_frame(), colours={"five_permits": "#000000", "ready_to_build": "#ff0000"})
    drawn = {mpl.colors.to_hex(line.get_color()) for line in ax.get_lines() if line.get_marker() == "o"}
    assert drawn == {"#000000", "#ff0000"}


def test_stuck_projects_are_placed_at_their_first_missing_step() -> None:
    from analysis.bottlenecks import stuck_at_year_end

    stuck = stuck_at_year_end(ledger_frame(), YearWindow(2021, 2023)).set_index("step")["projects"]
    # project 3: land delivered, energy missing; project 2 walked (not stuck); 0 and 1 started
    assert stuck.to_dict() == {"t_land_granted": 0, "t_land": 0, "t_energy": 1, "t_permits": 0, "site_preparation": 0}


def test_slide_chunks_keep_of_which_rows_with_their_parent() -> None:
    from analysis.plots.attainment import slide_chunks

    att = pd.DataFrame({"target": list("abcde"), "label_en": ["A", "B", "of which B1", "C", "D"]})
    pieces = slide_chunks(att, rows=2)
    assert [list(p["target"]) for p in pieces] == [["a"], ["b", "c"], ["d", "e"]]


def _chart_files(tmp: Path, name: str) -> tuple[bytes, str]:
    """A chart with Chinese text, legend and a layout, saved by save_figure: PNG bytes, SVG text."""
    fig = plot_attainment(attainment_frame()).figure
    fig.suptitle("开工率 Start rate 2023")
    fig.set_layout_engine("constrained")
    with mpl.rc_context({"svg.hashsalt": "fixed"}):  # SVG ids are random otherwise
        svg, png = style.save_figure(fig, tmp / name)
    return png.read_bytes(), re.sub(r"<dc:date>.*?</dc:date>", "", svg.read_text(encoding="utf-8"))


def test_text_extents_remembered_across_figures_leave_the_files_unchanged(tmp_path: Path) -> None:
    style.measure_text_once(enabled=False)
    try:
        plain = _chart_files(tmp_path, "plain")
    finally:
        style.measure_text_once()
    first, second = _chart_files(tmp_path, "first"), _chart_files(tmp_path, "second")
    assert style._EXTENTS  # the cache was used
    for cached in (first, second):  # the second figure measures from the cache only
        assert cached[0] == plain[0]
        assert cached[1].replace("first", "plain").replace("second", "plain") == plain[1]


def test_save_figure_writes_one_area_in_both_formats(tmp_path: Path) -> None:
    from PIL import Image

    fig = plot_attainment(attainment_frame()).figure
    svg, png = style.save_figure(fig, tmp_path / "chart")
    width, height = Image.open(png).size
    head = svg.read_text(encoding="utf-8").split("<svg", 1)[1].split(">", 1)[0]
    svg_pt = [float(head.split(f'{k}="', 1)[1].split("pt", 1)[0]) for k in ("width", "height")]
    # the same box in inches: PNG pixels / dpi against SVG points / 72 (within a pixel)
    assert abs(width / style.DPI - svg_pt[0] / 72) < 2 / style.DPI
    assert abs(height / style.DPI - svg_pt[1] / 72) < 2 / style.DPI
    assert not plt.get_fignums()  # closed


def test_save_figure_without_png_writes_the_svg_alone(tmp_path: Path) -> None:
    """The report's default (issue 26): SVG only; a PNG only when asked for."""
    paths = style.save_figure(plot_attainment(attainment_frame()).figure, tmp_path / "chart", png=False)
    assert paths == [tmp_path / "chart.svg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.svg"]
