"""The watch list (issue 25): per-project forecasts of a nowcast, from an office's own ledger.

A simulated city is exported on 30 June in an office's layout (title, unit row, county
blocks, 小计/合计) with two rows spoiled; the nowcast must forecast every row it reads and list
the two refused rows as not forecast, never drop them. The outcomes are computed inside the
replications, equal whatever the backend, and survive a resume.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import watchlist as aw
from sim.config.study import NowcastConfig, StudyConfig, calendar_of
from sim.ledger.io import from_model
from sim.ledger.office import write_office_ledger
from sim.ledger.tolerant import read_office_ledger
from sim.model import recorder
from sim.nowcast import watch as sw
from sim.run.study import run_study
from sim.run.watch import watch_list
from tests.conftest import ROOT

AS_OF = "2023-06-30"
N_PROJECTS = 160  # a slice of the city: the nowcast of 160 projects plus new leads is quick


def test_codes_agree_between_sim_and_analysis() -> None:
    assert aw.BLOCKERS == sw.BLOCKERS
    assert aw.WAIT_CAUSES == recorder.WAIT_CAUSES
    assert aw.QUEUES == recorder.QUEUE_CAUSES
    assert set(aw.BLOCKER_LABELS) == set(sw.BLOCKERS)
    assert set(aw.STEP_LABELS) >= {step for _, step in sw.NEXT_STEP}


def _outcomes(starts: np.ndarray, blockers: np.ndarray) -> pd.DataFrame:
    r, n = starts.shape
    return pd.DataFrame(
        {
            "replication": np.repeat(np.arange(r), n),
            "project": np.tile(np.arange(n), r),
            "t_started": starts.ravel(),
            "t_completed": np.full(r * n, np.nan),
            "blocker": blockers.ravel(),
            "walk_cause": np.where(blockers.ravel() == sw.BLOCKERS.index("walked"), 1, 0),
            "wait_land_days": 1.0,
            "wait_energy_days": 0.0,
            "wait_approvals_days": 0.0,
        }
    )


def test_watch_table_counts_replications() -> None:
    """P(started), start-date quantiles and the main blocker, against a hand count."""
    year_end = 100.0
    # project 0: starts in 3 of 4 runs (days 10, 20, 30), once held by land; project 1: never
    # starts, twice land, once walked (waiting for land), once a problem; project 2: started before as_of
    starts = np.array([[10.0, np.nan, 5.0], [20.0, np.nan, 5.0], [30.0, np.nan, 5.0], [np.nan, 150.0, 5.0]])
    code = {k: sw.BLOCKERS.index(k) for k in sw.BLOCKERS}
    blockers = np.array(
        [
            [code["started"], code["land"], code["started"]],
            [code["started"], code["land"], code["started"]],
            [code["started"], code["walked"], code["started"]],
            [code["land"], code["problem"], code["started"]],
        ]
    )
    projects = pd.DataFrame(
        {
            "project": [0, 1, 2],
            "source_row": [5, 7, 9],
            "name": ["A", "B", "C"],
            "unit": ["jinhu", "xuyi", "jinhu"],
            "sector": ["industrial"] * 3,
            "investment_yi": [2.0, 12.0, 1.0],
            "size_tier": ["1–10亿", "10–50亿", "1–10亿"],
            "stage": ["procedures", "signed", "building"],
            "waiting_in": ["approvals", "prework", ""],
            "days_in_stage": [30.0, 200.0, 80.0],
            "counts_for": ["started_industrial_1e8", "", ""],
        }
    )
    refused = pd.DataFrame(
        {
            "source_row": [8],
            "name": ["D"],
            "unit": ["xuyi"],
            "sector": ["bogus"],
            "investment_text": ["1"],
            "stage_text": ["在建"],
            "reason": ["sector ('bogus')"],
        }
    )
    out = aw.watch_table(
        _outcomes(starts, blockers), projects, year_end_day=year_end, origin_year=2023, refused=refused
    )
    assert out["source_row"].tolist() == [5, 7, 8, 9]  # the file's order, the refused row in place
    a, b, d, c = (out.iloc[i] for i in range(4))
    assert a["p_started"] == 0.75
    assert b["p_started"] == 0.0
    assert c["p_started"] == 1.0
    # inverted-CDF quantiles over 4 runs with one "not started": p10 day 10, p50 day 20, p90 after
    assert (a["start_p10"], a["start_p50"], a["start_p90"]) == ("2023-01-11", "2023-01-21", "after 2023-04-10")
    assert a["main_blocker"].startswith("用地指标")
    assert a["main_blocker_share"] == 0.25
    assert b["main_blocker"].startswith("用地指标")
    assert b["main_blocker_share"] == 0.5
    assert b["p_walked"] == 0.25
    assert "waiting for land" in b["walk_causes"]
    assert c["main_blocker"] == ""
    assert c["p_started_low"] == 1.0
    assert 0 < a["p_started_low"] < 0.75 < a["p_started_high"] <= 1
    assert d["status"] == "not_forecast"
    assert "bogus" in d["reason"]
    assert d["replications"] == 0
    risky = aw.at_risk_by_unit(out)
    assert sorted(risky["name"]) == ["A", "B"]  # C started, D not forecast


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> tuple[StudyConfig, Path, pd.DataFrame]:
    """A slice of a simulated city in an office's layout on 30 June, two rows spoiled."""
    from tests.conftest import compose_study

    cfg = compose_study(["run=smoke", "run.replications=1", "uncertainty=none"])
    truth = run_study(cfg)
    c = cfg.model.construction
    frame = from_model(
        truth.ledgers, calendar_of(cfg), AS_OF, realisation=c.spend_realisation_share, curve=(c.spend_curve_a, 2.0)
    )
    frame = frame[frame["signed_date"] >= "2022-07-01"].head(N_PROJECTS).reset_index(drop=True)
    frame.loc[3, "sector"] = "矿业"  # not a sector of the plan
    frame.loc[7, "started_date"] = "2023-09-15"  # after the ledger's date
    path = write_office_ledger(frame, tmp_path_factory.mktemp("office") / "office.xlsx")
    return cfg, path, frame


def _nowcast(cfg: StudyConfig, path: Path, **run: int) -> StudyConfig:
    return replace(
        cfg,
        nowcast=NowcastConfig(ledger=str(path), as_of=AS_OF),
        run=replace(cfg.run, **({"replications": 2, "seed": 11} | run)),
    )


def test_outcomes_equal_on_every_backend_and_after_a_resume(
    office: tuple[StudyConfig, Path, pd.DataFrame], tmp_path: Path
) -> None:
    cfg, path, _ = office
    serial = run_study(_nowcast(cfg, path, chunk_size=1))
    parallel = run_study(_nowcast(cfg, path, chunk_size=1, jobs=2))
    assert len(serial.watch) == 2 * (N_PROJECTS - 2)
    pd.testing.assert_frame_equal(serial.watch, parallel.watch)
    parts = tmp_path / "parts"
    run_study(_nowcast(cfg, path, replications=1), parts_dir=parts)  # one replication on disk
    again = _nowcast(cfg, path)
    resumed = run_study(replace(again, run=replace(again.run, resume=True)), parts_dir=parts)
    assert resumed.meta["replications_reused"] == 1
    pd.testing.assert_frame_equal(serial.watch, resumed.watch)


def test_every_office_row_is_forecast_or_listed_as_not_forecast(
    office: tuple[StudyConfig, Path, pd.DataFrame],
) -> None:
    cfg, path, frame = office
    now = _nowcast(cfg, path)
    table = watch_list(now, run_study(now).watch)
    account = read_office_ledger(path, as_of=AS_OF).account
    projects = account[account["status"].isin(["read", "assumed", "refused"])]
    assert len(projects) == len(frame) == len(table)
    assert sorted(table["source_row"]) == sorted(projects["source_row"])
    bad = table[table["status"] == "not_forecast"]
    assert sorted(bad["name"]) == sorted(frame.loc[[3, 7], "name"])
    assert bad["reason"].str.contains("sector").any()
    assert bad["reason"].str.contains("started_date").any()
    good = table[table["status"] == "forecast"]
    assert good["p_started"].between(0, 1).all()
    assert (good["replications"] == 2).all()
    # what the ledger said on as_of: started projects are certain, and so are dropped ones
    assert (good.loc[good["stage"].str.startswith(("在建", "已竣工", "已列统")), "p_started"] == 1).all()
    assert (good.loc[good["stage"].str.startswith("已终止"), "p_started"] == 0).all()
    waiting = good[good["waiting_in"] != ""]
    assert len(waiting) > 10
    assert (waiting["main_blocker"] != "").any()
    # a same-year industrial project >= 1亿 not started counts for the start targets
    ind = waiting[(waiting["sector"] == "工业") & (waiting["investment_yi"] >= 1)]
    assert ind["counts_for"].str.contains("新开工亿元以上工业项目").all()


@pytest.mark.slow
def test_cli_writes_the_watch_list_and_the_report_shows_it(
    office: tuple[StudyConfig, Path, pd.DataFrame], tmp_path: Path
) -> None:
    _, path, frame = office
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "sim", "run=smoke", "uncertainty=none", f"nowcast.ledger={path}"]
    cmd += [f"nowcast.as_of={AS_OF}", f"hydra.run.dir={out}"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    csv = pd.read_csv(out / "watchlist.csv", header=1, encoding="utf-8-sig")
    assert len(csv) == len(frame)
    head = (out / "watchlist.csv").read_bytes()[:3]
    assert head == b"\xef\xbb\xbf"  # BOM: Excel opens the Chinese
    assert pd.read_csv(out / "watchlist.csv", nrows=0, encoding="utf-8-sig").columns[3] == "状态"
    subprocess.run([sys.executable, "-m", "analysis", "report", str(out)], cwd=ROOT, check=True, capture_output=True)
    from openpyxl import load_workbook

    ws = load_workbook(out / "report.xlsx")["watchlist"]
    assert ws.auto_filter.ref == f"A2:{ws.cell(row=2, column=ws.max_column).column_letter}{len(frame) + 2}"
    assert [ws.cell(row=1, column=j).value for j in (1, 4)] == ["情景", "状态"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Watch list" in html
    assert "年内开工概率" in html
