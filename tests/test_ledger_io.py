"""Planner ledgers: both header languages, CSV and XLSX, every problem reported at once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cityplan.calendar import Calendar
from sim.ledger.io import COLUMNS, LedgerError, from_model, load_ledger, read_ledger, to_model, write_ledger
from tests.conftest import ROOT

TEMPLATE_CSV = ROOT / "data" / "ledger_template.csv"
TEMPLATE_XLSX = ROOT / "data" / "ledger_template.xlsx"


def _template_text() -> pd.DataFrame:
    return pd.read_csv(TEMPLATE_CSV, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_template_reads_in_both_formats_and_languages(tmp_path: Path) -> None:
    csv = load_ledger(TEMPLATE_CSV, as_of="2023-06-30")
    xlsx = load_ledger(TEMPLATE_XLSX, as_of="2023-06-30")
    pd.testing.assert_frame_equal(csv, xlsx)
    english = _template_text().rename(columns={zh: en.upper() for en, zh in COLUMNS})
    english["备注 remarks"] = "x"  # an unknown extra column is ignored
    english["STAGE"] = (
        english["STAGE"]
        .map({"已签约": "signed", "手续办理": "procedures", "已供地": "land", "在建": "building"})
        .fillna(english["STAGE"])
    )
    path = tmp_path / "en.csv"
    english.to_csv(path, index=False)
    pd.testing.assert_frame_equal(load_ledger(path), csv)
    assert set(csv["stage"]) == {"signed", "procedures", "land", "building", "completed", "registered", "dropped"}
    assert csv["sector"].isin(["industrial", "producer_services", "other_services", "agriculture"]).all()


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    bad = _template_text()
    bad.loc[0, "行业"] = "钢铁"  # unknown sector
    bad.loc[1, "开工日期"] = "2023-01-01"  # start before signing (2023-02-10)
    bad.loc[2, "协议投资额(亿元)"] = "-3"  # negative money
    bad.loc[3, "当前节点"] = "在建"  # contradicts its completion date
    bad.loc[4, "项目名称"] = bad.loc[3, "项目名称"]  # duplicated name
    bad.loc[5, "签约日期"] = "2023-02-30"  # unparseable date
    bad.loc[6, "竣工日期"] = "2023-05-01"  # completed before it started (2023-06-05)
    bad.loc[7, "已完成投资(亿元)"] = "-1"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False, encoding="utf-8-sig")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(LedgerError) as info:
        load_ledger(path, as_of="2023-06-30")
    found = {(p.row, p.column) for p in info.value.problems}
    expected = {
        (2, "sector"),
        (3, "started_date"),
        (4, "investment_yi"),
        (5, "stage"),
        (6, "name"),
        (7, "signed_date"),
        (8, "completed_date"),
        (9, "spent_to_date_yi"),
    }
    assert expected <= found, found
    message = str(info.value)
    assert "row 3, column 'started_date' (开工日期): '2023-01-01' — a start on or after signing" in message
    assert "'钢铁'" in message
    assert "industrial" in message
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # the input is never modified


def test_missing_columns_and_dates_after_as_of(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    _template_text().drop(columns=["行业", "签约日期"]).to_csv(path, index=False)
    with pytest.raises(LedgerError, match=r"'sector'.*required column") as info:
        load_ledger(path)
    assert {p.column for p in info.value.problems} == {"sector", "signed_date"}
    with pytest.raises(LedgerError, match="on or before as_of 2023-03-31"):
        load_ledger(TEMPLATE_CSV, as_of="2023-03-31")
    with pytest.raises(LedgerError, match="an existing"):
        read_ledger(tmp_path / "nope.csv")


def test_model_round_trip_keeps_every_date(tmp_path: Path) -> None:
    cal = Calendar(2021, 2023)
    ledger = load_ledger(TEMPLATE_CSV)
    model = to_model(ledger, cal).assign(project=np.arange(len(ledger)), build_days=300.0)
    back = from_model(model, cal, "2023-06-30", realisation=0.6, curve=(2.0, 2.0))
    path = write_ledger(back, tmp_path / "back.xlsx")
    again = load_ledger(path)
    date_cols = [c for c in ledger.columns if c.endswith("_date")]
    pd.testing.assert_frame_equal(again[date_cols], ledger[date_cols])
    assert (again["stage"] == ledger["stage"]).all()
    np.testing.assert_array_equal(again["investment_yi"], ledger["investment_yi"])
    with pytest.raises(FileExistsError):
        write_ledger(back, path)
