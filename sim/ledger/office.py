"""Write a ledger the way a city office lays it out (for round trips, tests and the bench).

The layout of the ledgers offices send (issue 12): a title row merged across the columns, a
unit row, a header in the offices' own words, a 序号 column, one block per county or park
under a numbered heading with a 小计 row, a 合计 row at the bottom, a 备注 column, the stage
in the offices' wording and dates in several forms. :func:`sim.ledger.tolerant.read_office_ledger`
reads it back to the same ledger.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from cityplan.units import HUAIAN_UNITS
from sim.ledger.io import DATE_COLUMNS, FLAGS, SECTOR_ZH

# (template key, the office's header) in the office's order; None = an office-only column.
OFFICE_HEADERS: tuple[tuple[str | None, str], ...] = (
    (None, "序号"),
    ("unit", "县区（园区）"),
    ("name", "项目名称"),
    ("sector", "行业类别"),
    ("investment_yi", "协议总投资（亿元）"),
    ("spent_to_date_yi", "累计完成投资（亿元）"),
    ("signed_date", "签约时间"),
    ("procedures_date", "手续启动时间"),
    ("land_granted_date", "用地指标下达时间"),
    ("land_date", "供地时间"),
    ("energy_granted_date", "能耗指标下达时间"),
    ("energy_date", "能评批复时间"),
    ("review_date", "审批受理时间"),
    ("permits_date", "施工许可时间"),
    ("started_date", "开工时间"),
    ("completed_date", "竣工时间"),
    ("registered_date", "列统时间"),
    ("output_date", "达效时间"),
    ("dropped_date", "终止时间"),
    ("stage", "当前进度"),
    ("foreign", "是否外资项目"),
    ("taiwan", "是否台资项目"),
    ("tech_talent", "是否科技人才项目"),
    ("in_park", "是否省级以上园区"),
    ("land_mu", "用地面积（亩）"),
    ("energy_tce", "综合能耗（吨标煤）"),
    (None, "备注"),
)
OFFICE_STAGES: dict[str, str] = {
    "signed": "已签约",
    "procedures": "正在办理手续",
    "land": "已供地",
    "building": "在建",
    "completed": "已投产",
    "registered": "已列统",
    "dropped": "已终止",
}
_NUMBERS = "一二三四五六七八九十"


def _office_date(iso: str, i: int) -> object:
    """An ISO day written the way the i-th row's office would (a date cell, 年月日, / or .)."""
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    y, m, d = day.year, day.month, day.day
    forms = (day, f"{y}年{m}月{d}日", f"{y}/{m}/{d}", f"{y}.{m}.{d}")
    return forms[i % len(forms)]


def office_grid(ledger: pd.DataFrame, *, title: str) -> list[list[object]]:
    """Rows of an office's ledger for a template-layout text ledger (English keys, ISO dates).

    Parameters
    ----------
    ledger
        Text cells with the template's English keys (:func:`sim.ledger.io.from_model` or a
        cleaned ledger); ``unit`` holds unit keys or "".
    title
        The title row's text.
    """
    width = len(OFFICE_HEADERS)
    unit_zh = {u.key: u.name_zh for u in HUAIAN_UNITS}
    rows: list[list[object]] = [[title] + [None] * (width - 1), ["单位：亿元、亩、吨标煤"] + [None] * (width - 1)]
    rows.append([h for _, h in OFFICE_HEADERS])
    index = {key: j for j, (key, _) in enumerate(OFFICE_HEADERS) if key}
    order = [u.key for u in HUAIAN_UNITS if u.key in set(ledger["unit"])]
    order += [""] if (ledger["unit"] == "").any() else []
    number, totals = 0, [0.0, 0.0]
    for b, unit in enumerate(order):
        block = ledger[ledger["unit"] == unit]
        heading = f"{_NUMBERS[b % len(_NUMBERS)]}、{unit_zh.get(unit, '未注明县区')}"
        rows.append([heading] + [None] * (width - 1))
        sums = [0.0, 0.0]
        for rec in block.to_dict("records"):
            number += 1
            row: list[object] = [None] * width
            row[0] = number
            for key, j in index.items():
                value = rec.get(key, "")
                if key in DATE_COLUMNS:
                    row[j] = _office_date(value, number)
                elif key in ("investment_yi", "spent_to_date_yi", "land_mu", "energy_tce"):
                    row[j] = float(value) if value not in ("", "nan") else ""
                elif key == "sector":
                    row[j] = SECTOR_ZH.get(value, value)
                elif key == "stage":
                    row[j] = OFFICE_STAGES.get(value, value)
                elif key == "unit":
                    row[j] = unit_zh.get(value, value)
                elif key in FLAGS:
                    row[j] = "是" if value in ("是", True, "True", "true") else ""
                else:
                    row[j] = value
            for s, key in enumerate(("investment_yi", "spent_to_date_yi")):
                cell = row[index[key]]
                sums[s] += float(cell) if isinstance(cell, float) else 0.0
            rows.append(row)
        rows.append(_sum_row("小计", sums, index, width))
        totals = [t + s for t, s in zip(totals, sums, strict=True)]
    rows.append(_sum_row("合计", totals, index, width))
    return rows


def _sum_row(word: str, sums: list[float], index: dict[str, int], width: int) -> list[object]:
    row: list[object] = [None] * width
    row[index["name"]] = word
    row[index["investment_yi"]], row[index["spent_to_date_yi"]] = (round(s, 2) for s in sums)
    return row


def write_office_ledger(ledger: pd.DataFrame, path: str | Path, *, title: str = "重特大项目推进情况表") -> Path:
    """Write :func:`office_grid` to a new XLSX (title cell merged across) or CSV; never overwrites."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; refusing to overwrite a ledger")
    grid = office_grid(ledger, title=title)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active or book.create_sheet()
        for row in grid:
            sheet.append(row)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(OFFICE_HEADERS))
        book.save(path)
    else:
        text = [["" if c is None else (c.isoformat() if isinstance(c, dt.date) else c) for c in row] for row in grid]
        pd.DataFrame(text).to_csv(path, index=False, header=False, encoding="utf-8-sig")
    return path
