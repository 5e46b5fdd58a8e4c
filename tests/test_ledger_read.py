"""Ledgers as offices send them (issue 12): messy CSV and XLSX, the date parser, the check CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.ledger.__main__ import main as ledger_main
from sim.ledger.check import check_ledger
from sim.ledger.dates import EXCEL_EPOCH, MID_MONTH_DAY, parse_date
from sim.ledger.io import LedgerError, load_ledger
from sim.ledger.tolerant import read_office_ledger
from sim.ledger.vocabulary import amount_factor, header_key

AS_OF = "2023-06-30"
# An office's CSV: title, unit row, header variants, a numbering row, county headings,
# subtotals (one of them wrong on purpose in the total), every date form, stage variants.
MESSY_CSV = """\
2023年淮安市重特大项目推进情况表,,,,,,,,,,
单位：亿元、亩,,,,,,,,,,
序号,县区（园区）,项目名称,所属行业,计划总投资（亿元）,已完成投资,签约时间,开工时间,是否科技人才项目,当前进度,备注
1,2,3,4,5,6,7,8,9,10,11
一、清江浦区,,,,,,,,,,
1,清江浦区,新能源电池项目,工业,52,0,2023.4.18,,是,正在办理手续,
2,,汽车零部件项目,工业项目,8.5,1.2,2023年2月,2023/3/15,否,已开工,续建
,,小计,,60.5,1.2,,,,,
二、盱眙县,,,,,,,,,,
3,盱眙县,新能源电池项目,工业,10,,44927,2023年3月20日,,在建,
4,盱眙,坏数据项目,工业,abc,,2023-13-01,,,已开工,
5,盱眙县,撤走项目,服务业,2,,2023-01-05,,,已终止,
6,盱眙县,无节点项目,农业,1.5,,2023年3月15日,,,,
7,盱眙县,无节点项目,农业,1.5,,2023年3月16日,,,,
8,火星区,外地项目,农业,1,,20230301,,,已签约,
,,小计,,16,,,,,,
,,合 计,,77,1.2,,,,,
"""
# source row -> expected status
EXPECTED = {
    1: "skipped", 2: "skipped", 3: "skipped", 4: "skipped", 5: "skipped",
    6: "read", 7: "assumed", 8: "skipped", 9: "skipped",
    10: "read", 11: "refused", 12: "assumed", 13: "assumed", 14: "assumed", 15: "assumed",
    16: "skipped", 17: "skipped",
}  # fmt: skip


@pytest.fixture
def messy_csv(tmp_path: Path) -> Path:
    path = tmp_path / "office.csv"
    path.write_text(MESSY_CSV, encoding="utf-8")
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_source_row_has_one_line_with_its_status(messy_csv: Path) -> None:
    before = _digest(messy_csv)
    got = read_office_ledger(messy_csv, as_of=AS_OF)
    assert _digest(messy_csv) == before  # the input is only read
    account = got.account.set_index("source_row")
    assert list(account.index) == list(range(1, 18))
    assert account["status"].to_dict() == EXPECTED
    reason = account["reason"].to_dict()
    assert "column numbering" in reason[4]
    assert "unit qingjiangpu" in reason[5]
    # month-only signing read at mid-month, unit carried down a merged-looking blank
    assert f"read as the {MID_MONTH_DAY}th, 2023-02-15" in reason[7]
    assert "qingjiangpu" in reason[7]
    # a stage ahead of its dates is refused with what is missing; bad cells say what is allowed
    assert "investment_yi" in reason[11]
    assert "'abc'" in reason[11]
    assert "2023年3月15日" in reason[11]
    assert "dropped on its latest date, 2023-01-05" in reason[12]
    assert "stage blank" in reason[13]
    # same name, same county, another signing date: a second project (issue 24); across counties: read
    assert "read as another project, '无节点项目 (2)'" in reason[14]
    assert "火星区" in reason[15]
    assert "without a unit" in reason[15]
    # subtotals agree; the total says 77 but its rows add up to 76.5 (reported, not fatal)
    assert "agrees (60.50)" in reason[8]
    assert "agrees (16.00)" in reason[16]
    assert "SUM MISMATCH" in reason[17]
    assert "76.50" in reason[17]
    assert "77.00" in reason[17]
    ledger = got.ledger.set_index("source_row")
    assert ledger.loc[6, "stage"] == "procedures"
    assert ledger.loc[6, "tech_talent"]
    assert ledger.loc[10, "signed_date"] == EXCEL_EPOCH + pd.Timedelta(days=44927)  # an Excel serial
    assert (ledger.loc[[6, 10], "name"] == "新能源电池项目").all()
    assert list(ledger.loc[[6, 7, 10, 12, 13, 15], "unit"]) == ["qingjiangpu"] * 2 + ["xuyi"] * 3 + [""]


def test_strict_keeps_all_or_nothing(messy_csv: Path) -> None:
    with pytest.raises(LedgerError):
        load_ledger(messy_csv, as_of=AS_OF)


def test_no_header_is_refused_with_what_was_seen(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("会议纪要,,\n项目很多,,\n", encoding="utf-8")
    with pytest.raises(LedgerError, match="项目名称"):
        read_office_ledger(path)


def test_month_only_date_in_the_as_of_month_stays_on_or_before_as_of(tmp_path: Path) -> None:
    path = tmp_path / "june.csv"
    path.write_text("项目名称,行业,总投资,签约日期\nA,工业,3,2023年6月\n", encoding="utf-8")
    got = read_office_ledger(path, as_of="2023-06-10")
    assert got.ledger["signed_date"].iloc[0] == pd.Timestamp("2023-06-10")
    assert "after as_of" in got.account["reason"].iloc[1]


def test_header_words_and_units() -> None:
    assert header_key("协议总投资（万元）") == "investment_yi"
    assert amount_factor("协议总投资（万元）") == 1e-4
    assert amount_factor("单位：亿元、亩") == 1.0
    assert header_key(" 行业 类别 ") == "sector"
    assert header_key("签约时间") == "signed_date"
    assert header_key("县区（园区）") == "unit"
    assert header_key("序号") == ""  # known, not used
    assert header_key("天气") is None


def _messy_xlsx(path: Path) -> Path:
    """Merged title, a group heading over two header cells, counties merged down their block."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active or book.create_sheet()
    sheet.append(["淮安市重大项目台账"] + [None] * 7)
    sheet.append(["单位：万元"] + [None] * 7)
    sheet.append(["序号", "县区（园区）", "项目名称", "行业类别", "投资（万元）", None, "签约时间", "项目状态"])
    sheet.append([None, None, None, None, "协议总投资", "累计完成投资", None, None])
    sheet.append([1, "涟水县", "甲项目", "工业", 120000, 0, dt.datetime(2023, 3, 1), "手续办理中"])
    sheet.append([2, None, "乙项目", "农业", 5000, 0, 44986, "已签约"])
    sheet.append([None, None, "小计", None, 125000, 0, None, None])
    sheet.append([3, "经开区", "丙项目", "生产性服务业", 30000, None, "2023.5", "签约"])
    for cells in ("A1:H1", "A2:H2", "E3:F3", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "G3:G4", "H3:H4", "B5:B6"):
        sheet.merge_cells(cells)
    book.save(path)
    return path


def test_xlsx_merged_cells_two_header_rows_and_wan_yuan(tmp_path: Path) -> None:
    got = read_office_ledger(_messy_xlsx(tmp_path / "office.xlsx"), as_of=AS_OF)
    account = got.account.set_index("source_row")
    assert account["status"].to_dict() == {
        1: "skipped", 2: "skipped", 3: "skipped", 4: "skipped",
        5: "read", 6: "read", 7: "skipped", 8: "assumed",
    }  # fmt: skip
    ledger = got.ledger.set_index("name")
    assert ledger.loc["甲项目", "investment_yi"] == pytest.approx(12.0)  # 120000 万元
    assert "in 万元, divided by 10,000 to 亿元: investment_yi, spent_to_date_yi" in account.loc[4, "reason"]
    # the county cell merged over rows 5-6 is the county of both: read, not assumed
    assert list(ledger["unit"]) == ["lianshui", "lianshui", "development_zone"]
    assert ledger.loc["乙项目", "signed_date"] == pd.Timestamp("2023-03-01")  # serial 44986
    assert ledger.loc["丙项目", "signed_date"] == pd.Timestamp("2023-05-15")
    assert "agrees" in account.loc[7, "reason"]


def test_the_first_sheet_with_a_header_is_read(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    summary = book.active or book.create_sheet()
    summary.title = "汇总"
    summary.append(["全市共12个项目"])
    detail = book.create_sheet("明细")
    detail.append(["项目名称", "行业", "总投资", "签约日期"])
    detail.append(["甲", "工业", 3, "2023-02-01"])
    book.save(tmp_path / "book.xlsx")
    got = read_office_ledger(tmp_path / "book.xlsx")
    assert list(got.ledger["name"]) == ["甲"]
    assert "sheet '明细' (not read: 汇总)" in got.account["reason"].iloc[0]


def test_check_writes_new_files_next_to_the_input(messy_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _digest(messy_csv)
    assert ledger_main(["check", str(messy_csv), "--as-of", AS_OF]) == 0
    out = capsys.readouterr().out
    assert "read 2, assumed 5, skipped 9, refused 1" in out  # row 14: a second project (issue 24)
    assert "row 11:" in out
    assert "SUM MISMATCH" in out
    first = check_ledger(messy_csv, as_of=AS_OF)  # a second check never writes over the first
    assert first.account_path.name == "office_ledger_read_2.csv"
    assert first.cleaned_path.name == "office_cleaned_2.csv"
    assert _digest(messy_csv) == before
    account = pd.read_csv(messy_csv.with_name("office_ledger_read.csv"), encoding="utf-8-sig")
    assert list(account.columns) == ["source_row", "status", "reason"]
    assert len(account) == len(MESSY_CSV.splitlines())
    # the cleaned ledger is the template's layout: the strict reader takes it as it is
    strict = load_ledger(first.cleaned_path, as_of=AS_OF)
    tolerant = first.read.ledger.drop(columns="source_row")
    pd.testing.assert_frame_equal(strict, tolerant)


def test_check_of_an_unreadable_file_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ledger_main(["check", str(tmp_path / "missing.xlsx")]) == 1
    assert "cannot read" in capsys.readouterr().err


DAYS = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31))


@given(DAYS, st.integers(0, 7), st.sampled_from(["", " ", "\u3000"]))
def test_every_written_form_of_a_day_reads_back_to_it(day: dt.date, form: int, pad: str) -> None:
    y, m, d = day.year, day.month, day.day
    forms: list[object] = [
        day.isoformat(),
        f"{y}/{m}/{d}",
        f"{y}.{m}.{d}",
        f"{y}年{m}月{d}日",
        f"{y}{m:02d}{d:02d}",
        dt.datetime(y, m, d),
        (pd.Timestamp(day) - EXCEL_EPOCH).days,  # an Excel serial
        f"{day.isoformat()} 00:00:00",
    ]
    cell = forms[form]
    got = parse_date(pad + cell + pad if isinstance(cell, str) else cell)
    assert got is not None
    assert got.day == pd.Timestamp(day)
    assert got.assumption == ""


@given(DAYS, st.sampled_from(["{y}年{m}月", "{y}年{m}月份", "{y}.{m}", "{y}-{m:02d}", "{y}/{m}"]))
def test_a_month_only_date_is_the_15th_and_says_so(day: dt.date, form: str) -> None:
    got = parse_date(form.format(y=day.year, m=day.month))
    assert got is not None
    assert got.day == pd.Timestamp(day.year, day.month, MID_MONTH_DAY)
    assert "month only" in got.assumption


@given(st.text(max_size=20))
def test_the_date_parser_never_guesses_or_raises(text: str) -> None:
    """Whatever text it reads, the year comes from the text (or the text is an Excel serial).

    A parser that filled in a year, or read a date out of text holding none, would break this;
    "never raises" is the call itself.
    """
    got = parse_date(text)
    if got is not None:
        plain = unicodedata.normalize("NFKC", text).strip()
        serial = re.fullmatch(r"[+-]?\d+(\.\d*)?", plain) is not None
        assert serial or str(got.day.year) in re.sub(r"\D", "", plain), (text, got)


@given(st.integers(1, 12), st.integers(1, 12), st.integers(2000, 2030), st.sampled_from(["/", "-", "."]))
def test_a_day_month_order_the_text_does_not_fix_is_refused(a: int, b: int, year: int, sep: str) -> None:
    """``a/b/yyyy`` with both parts <= 12 and different could be either order: never guessed."""
    if a != b:
        assert parse_date(f"{a}{sep}{b}{sep}{year}") is None


@pytest.mark.parametrize("cell", ["15/3/2023", "3/15/2023", "2023-02-30", "2023年13月", "12345", "99999", "明天"])
def test_ambiguous_or_impossible_dates_are_refused(cell: str) -> None:
    assert parse_date(cell) is None


def _openpyxl_sheets(path: Path) -> list[tuple[str, list[list[object]]]]:
    """The sheets as openpyxl reads them (merged ranges filled): the reader calamine replaced."""
    from openpyxl import load_workbook

    out = []
    for sheet in load_workbook(path, data_only=True).worksheets:
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        for merged in sheet.merged_cells.ranges:
            for r in range(merged.min_row - 1, merged.max_row):
                for c in range(merged.min_col - 1, merged.max_col):
                    rows[r][c] = rows[merged.min_row - 1][merged.min_col - 1]
        out.append((sheet.title, rows))
    return out


def _days(sheets: list[tuple[str, list[list[object]]]]) -> list[tuple[str, list[list[object]]]]:
    """Midnight datetimes as dates (openpyxl gives datetime, calamine date: both read as days)."""
    day = lambda v: v.date() if isinstance(v, dt.datetime) and v.time() == dt.time() else v  # noqa: E731
    return [(name, [[day(v) for v in row] for row in rows]) for name, rows in sheets]


@pytest.mark.parametrize("which", ["messy", "template"])
def test_xlsx_cells_read_as_openpyxl_read_them(tmp_path: Path, which: str) -> None:
    """Merged ranges, two header rows, dates as dates and as serials, blanks (the office's
    simulated ledger round trip is tests/test_ledger_round_trip.py)."""
    from sim.ledger.grids import _xlsx_sheets

    template = Path(__file__).resolve().parents[1] / "data" / "ledger_template.xlsx"
    path = _messy_xlsx(tmp_path / "office.xlsx") if which == "messy" else template
    got = _xlsx_sheets(path)
    assert _days(got) == _days(_openpyxl_sheets(path))
    assert any(v is None for _n, rows in got for row in rows for v in row)  # blanks are None, not ""


def test_an_unreadable_xlsx_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "office.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(LedgerError, match=r"readable \.xlsx"):
        read_office_ledger(bad, as_of=AS_OF)


def test_a_repeated_row_is_refused_but_a_second_project_of_the_same_name_is_read(tmp_path: Path) -> None:
    """Issue 24: same name in one county with other amounts, dates or stage: two projects; an exact repeat: refused."""
    text = (
        "项目名称,县区,所属行业,计划总投资（亿元）,签约时间,当前进度\n"
        "光伏组件项目,盱眙县,工业,12,2023-02-01,已签约\n"
        "光伏组件项目,盱眙县,工业,30,2023-05-10,已签约\n"  # the firm's second phase
        "光伏组件项目,盱眙县,工业,12,2023-02-01,已签约\n"  # the first row again
        "光伏组件项目,涟水县,工业,12,2023-02-01,已签约\n"  # another county
    )
    path = tmp_path / "same_names.csv"
    path.write_text(text, encoding="utf-8")
    got = read_office_ledger(path, as_of=AS_OF)
    account = got.account.set_index("source_row")
    assert account["status"].tolist()[-4:] == ["read", "assumed", "refused", "read"]
    assert "repeats row 2 in every field" in account["reason"].iloc[-2]
    assert sorted(got.ledger["name"]) == ["光伏组件项目", "光伏组件项目", "光伏组件项目 (2)"]
    assert sorted(got.ledger["investment_yi"]) == [12.0, 12.0, 30.0]
