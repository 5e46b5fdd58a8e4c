"""The report command on a tiny run: files, workbook round trip, HTML content, safety."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.__main__ import main as analysis_main
from analysis.compare import COMPARISON_COLUMNS
from analysis.report.write import write_report
from tests.conftest import ROOT
from tests.helpers import TARGET_KEYS


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run=smoke", "run.replications=4", f"hydra.run.dir={out}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    att = pd.read_csv(out / "attainment.csv", encoding="utf-8-sig")
    comp = pd.DataFrame(dict.fromkeys(COMPARISON_COLUMNS, 0.0), index=att.index)
    for c in ("scenario", "target", "label_zh", "label_en", "unit", "goal"):
        comp[c] = att[c]
    comp["policy"], comp["baseline"], comp["n_pairs"] = "ready_to_build", "plan", 4
    comp["p_attain_baseline"] = comp["p_attain_policy"] = att["p_attain"]
    comp.to_csv(out / "comparison.csv", index=False, encoding="utf-8-sig")
    monthly = pd.read_parquet(out / "monthly.parquet")
    actual = monthly[(monthly["replication"] == 0) & (monthly["month"] <= 4)][["target", "month", "value"]]
    actual.to_parquet(out / "actual_monthly.parquet")  # issue 7's actual path to date
    assert analysis_main(["report", str(out)]) == 0
    return out


def test_report_writes_workbook_page_and_charts(tiny_run: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    for name in ("report.xlsx", "report.html"):  # written atomically, with the usual permissions
        assert (tiny_run / name).stat().st_mode & 0o777 == 0o666 & ~umask
    svgs = sorted((tiny_run / "charts").glob("*.svg"))
    assert not list((tiny_run / "charts").glob("*.png"))  # PNGs only on request (--png, issue 26)
    sections = {p.stem.split("_")[0] for p in svgs}
    assert sections == {"attainment", "fan", "distribution", "comparison", "bottlenecks", "funnel"}
    assert "fan_all" in {p.stem for p in svgs}  # every target's monthly path on one page
    # the run drew its uncertain inputs (uncertainty=evidence): charts with intervals say so
    for chart in ("attainment", "fan", "distribution"):
        for svg in (tiny_run / "charts").glob(f"{chart}_*.svg"):
            assert "parameter uncertainty" in svg.read_text(encoding="utf-8"), svg.name


def test_actual_path_is_loaded_for_fan_charts(tiny_run: Path) -> None:
    from analysis.report.run_dir import load_run

    tables = load_run(tiny_run)
    assert tables.actual is not None
    assert tables.actual["month"].max() == 4


def test_workbook_round_trips_with_two_header_rows(tiny_run: Path) -> None:
    xlsx = tiny_run / "report.xlsx"
    sheets = pd.read_excel(xlsx, sheet_name=None, header=1, engine="openpyxl")
    for name in ("attainment", "monthly", "comparison", "waits", "walkaways", "starts_at_stake", "funnel", "config"):
        assert name in sheets
    att = pd.read_csv(tiny_run / "attainment.csv", encoding="utf-8-sig")
    got = sheets["attainment"]
    assert list(got["target"]) == list(att["target"])
    pd.testing.assert_series_equal(got["p_attain"], att["p_attain"], check_names=False)
    pd.testing.assert_series_equal(got["p50"], att["p50"], check_names=False)
    monthly = sheets["monthly"]
    assert [f"month {m}" for m in range(1, 13)] == [c for c in monthly.columns if str(c).startswith("month ")]
    assert len(monthly) == 4 * len(TARGET_KEYS)  # mean, p10, p50, p90
    ws = openpyxl.load_workbook(xlsx)["attainment"]
    header_zh = [c.value for c in ws[1]]
    assert "达标概率" in header_zh
    col = header_zh.index("达标概率") + 1
    assert ws.cell(row=3, column=col).number_format == "0.0%"
    # a number, not text (a probability of exactly 1 or 0 reads back as an int)
    value = ws.cell(row=3, column=col).value
    assert isinstance(value, int | float)
    assert not isinstance(value, bool)
    config = sheets["config"]
    assert "run.seed" in set(config["key"])
    assert "meta.root_seed" in set(config["key"])


def test_html_has_headline_every_target_and_every_chart(tiny_run: Path) -> None:
    page = (tiny_run / "report.html").read_text(encoding="utf-8")
    first = page.index("class='headline'")
    assert "Probability of reaching the 50% start rate" in page[first : first + 400]
    att = pd.read_csv(tiny_run / "attainment.csv", encoding="utf-8-sig")
    for label in att["label_zh"]:
        assert label in page
    n_charts = len(list((tiny_run / "charts").glob("*.svg")))
    assert page.count("data:image/svg+xml;base64,") == n_charts  # a single run: every chart, as SVG
    assert "data:image/png" not in page  # the 150-dpi PNGs stay files for slides
    assert "quota_mu_per_year" in page  # the config is shown
    assert page.index("全部目标") < page.index("data:image/svg") < page.index("Assumptions that matter most")
    assert not (tiny_run / "report_cells").exists()  # one job: one page


def test_existing_report_is_not_overwritten_without_force(tiny_run: Path) -> None:
    before = (tiny_run / "report.html").read_bytes()
    with pytest.raises(FileExistsError, match="--force"):
        write_report(tiny_run)
    assert (tiny_run / "report.html").read_bytes() == before
    assert analysis_main(["report", str(tiny_run)]) == 2


def test_bad_directory_is_a_clear_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert analysis_main(["report", str(tmp_path)]) == 2
    assert "no attainment.csv" in caplog.text
    assert not (tmp_path / "report.html").exists()


@pytest.mark.slow  # draws ~25 charts (about 12 s)
def test_multirun_gets_one_chart_set_per_job(tiny_run: Path, tmp_path: Path) -> None:
    """Two job directories (policies a and b, made from the tiny run) -> charts of both, one page."""
    for num, policy in enumerate(("a", "b")):
        job = tmp_path / f"{num}_policy={policy}"
        (job / ".hydra").mkdir(parents=True)
        (job / ".hydra" / "config.yaml").write_bytes((tiny_run / ".hydra" / "config.yaml").read_bytes())
        for name in ("kpis", "monthly", "ledgers", "resources"):
            pd.read_parquet(tiny_run / f"{name}.parquet").assign(policy=policy).to_parquet(job / f"{name}.parquet")
        att = pd.read_csv(tiny_run / "attainment.csv", encoding="utf-8-sig").assign(policy=policy)
        att.to_csv(job / "attainment.csv", index=False, encoding="utf-8-sig")
    assert analysis_main(["report", str(tmp_path), "--png"]) == 0
    stems = {p.stem for p in (tmp_path / "charts").glob("*.png")}
    assert stems == {p.stem for p in (tmp_path / "charts").glob("*.svg")}  # --png: a PNG of every chart
    for section in ("attainment", "bottlenecks", "funnel", "fan_start_rate_same_year"):
        for policy in ("a", "b"):
            assert any(s.startswith(section) and re.search(rf"_{policy}(_\d)?$", s) for s in stems), (section, policy)
    sheets = pd.read_excel(tmp_path / "report.xlsx", sheet_name=None, header=1, engine="openpyxl")
    assert set(sheets["attainment"]["policy"]) == {"a", "b"}
    assert "comparison" not in sheets  # no comparison.csv in this sweep
    assert not any(s.startswith("fan_all") for s in stems)  # a sweep links each job's own report for that
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "[a] " in page
    assert "[b] " in page
    # The index holds the charts across jobs; each job's charts are on its own page, linked.
    assert page.count("data:image/svg+xml") == len(list((tmp_path / "charts").glob("distribution_*.svg")))
    scenario = str(sheets["attainment"]["scenario"].iloc[0])
    for policy in ("a", "b"):
        cell_page = tmp_path / "report_cells" / f"{scenario}_{policy}.html"
        assert f"href='report_cells/{cell_page.name}'" in page
        own = [p for p in (tmp_path / "charts").glob("*.svg") if re.search(rf"_{policy}(_\d)?$", p.stem)]
        assert cell_page.read_text(encoding="utf-8").count("data:image/svg+xml") == len(own) > 0


def test_table_without_needed_columns_is_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pd.DataFrame({"scenario": ["s"], "policy": ["p"], "target": ["a"]}).to_csv(tmp_path / "attainment.csv", index=False)
    assert analysis_main(["report", str(tmp_path)]) == 2
    assert "attainment.csv" in caplog.text
    assert "p_attain" in caplog.text
    assert not (tmp_path / "charts").exists()


def test_force_deletes_only_the_earlier_reports_charts(tmp_path: Path) -> None:
    from analysis.report.files import _remove_old_charts

    charts = tmp_path / "charts"
    charts.mkdir()
    for name in ("fan_no_longer_made.png", "fan_no_longer_made.svg", "my_notes.txt", "logo.png"):
        (charts / name).write_bytes(b"x")
    _remove_old_charts(charts)
    assert sorted(p.name for p in charts.iterdir()) == ["logo.png", "my_notes.txt"]


def test_a_short_run_gets_a_full_report_marked_too_few_draws(tiny_run: Path) -> None:
    """Issue 24: 4 replications (2 draws of 42 inputs): the budget says why it is absent, discovery
    lists what it could not tell, a target reached or missed in every replication has a sentence,
    and every CSV in the run has a header."""
    page = (tiny_run / "report.html").read_text(encoding="utf-8")
    assert "Too few draws: 2 parameter draws for" in page
    att = pd.read_csv(tiny_run / "attainment.csv", encoding="utf-8-sig")
    always = att[att["p_attain"].isin([0.0, 1.0])]
    assert len(always)
    for r in always.itertuples():
        word = "missed" if r.p_attain == 0 else "attained"
        assert f"is {word} in all 4 replications" in page, r.target
    for csv in tiny_run.rglob("*.csv"):
        header = pd.read_csv(csv, encoding="utf-8-sig", nrows=0)
        assert len(header.columns) > 1, csv
    boxes = pd.read_csv(tiny_run / "boxes.csv", encoding="utf-8-sig")
    assert not boxes["passed"].astype(bool).any()
    assert "tce per yi" not in page
