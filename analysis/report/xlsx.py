"""The bilingual Excel workbook: Chinese headers in row 1, English in row 2, data from row 3.

Numbers stay numbers; shares are stored as fractions and shown as percentages (so Excel
formulas work on them). ``pd.read_excel(path, sheet_name=..., header=1)`` reads a sheet back
with the English column names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from analysis.help import HELP_HEADERS, HELP_PERCENT
from analysis.plots.style import records, risk_class
from analysis.report.run_dir import RunTables
from analysis.watchlist import WATCH_HEADERS, WATCH_PERCENT

# column -> (Chinese header, English header)
HEADERS: dict[str, tuple[str, str]] = {
    "scenario": ("情景", "scenario"),
    "policy": ("政策", "policy"),
    "baseline": ("基准政策", "baseline"),
    "target": ("指标代码", "target"),
    "label_zh": ("指标", "label (zh)"),
    "label_en": ("指标（英文）", "label (en)"),
    "unit": ("单位", "unit"),
    "goal": ("目标值", "goal"),
    "mean": ("均值", "mean"),
    "p10": ("10%分位", "p10"),
    "p50": ("中位数", "p50"),
    "p90": ("90%分位", "p90"),
    "p_attain": ("达标概率", "p_attain"),
    "p_attain_low": ("达标概率下限", "p_attain_low"),
    "p_attain_high": ("达标概率上限", "p_attain_high"),
    "n_replications": ("模拟次数", "n_replications"),
    "risk": ("风险等级", "risk"),
    "stat": ("统计量", "stat"),
    "month": ("月份", "month"),
    "cause": ("原因", "cause"),
    "mean_wait_days": ("平均排队天数", "mean_wait_days"),
    "projects": ("项目数", "projects"),
    "walked": ("流失项目数", "walked"),
    "investment_yi": ("流失投资（亿元）", "investment_yi"),
    "lost": ("已流失", "lost"),
    "queueing": ("排队中", "queueing"),
    "at_stake": ("可增加开工上限", "at_stake"),
    "step": ("所处环节", "step"),
    "waiting": ("排队项目数", "waiting"),
    "tier": ("领导层级", "tier"),
    "busy_share": ("占用比例", "busy_share"),
    "stage": ("环节", "stage"),
    "same_year": ("当年签约", "same_year"),
    "carry_over": ("往年结转", "carry_over"),
    "total": ("合计", "total"),
    "state": ("状态", "state"),
    "mean_baseline": ("基准均值", "mean_baseline"),
    "mean_policy": ("政策均值", "mean_policy"),
    "mean_diff": ("均值差", "mean_diff"),
    "diff_low": ("差值下限", "diff_low"),
    "diff_high": ("差值上限", "diff_high"),
    "p_attain_baseline": ("基准达标概率", "p_attain_baseline"),
    "p_attain_policy": ("政策达标概率", "p_attain_policy"),
    "p_attain_diff": ("达标概率变化", "p_attain_diff"),
    "p_attain_diff_low": ("变化下限", "p_attain_diff_low"),
    "p_attain_diff_high": ("变化上限", "p_attain_diff_high"),
    "p_better": ("政策更优比例", "p_better"),
    "n_pairs": ("配对数", "n_pairs"),
    "run": ("运行目录", "run"),
    "key": ("参数", "key"),
    "value": ("取值", "value"),
    "clear": ("显著", "clear"),
    # county and park ranking (analysis/unit_ranking.py)
    "overall_rank": ("综合排名", "overall rank"),
    "name_zh": ("县区（园区）", "county or park"),
    "name_en": ("县区（园区，英文）", "county or park (en)"),
    "rank": ("单项排名", "rank"),
    "to_date": ("截至目前完成", "to date"),
    "progress": ("目标完成率", "progress"),
    "year_end_mean": ("年末预测均值", "year-end mean"),
    "year_end_p10": ("年末10%分位", "year-end p10"),
    "year_end_p90": ("年末90%分位", "year-end p90"),
}
# Columns that are always shares (shown as %), and columns in the row's own unit (shown as %
# when that unit is "%").
PERCENT_COLUMNS: frozenset[str] = frozenset(
    {
        "p_attain",
        "p_attain_low",
        "p_attain_high",
        "p_attain_baseline",
        "p_attain_policy",
        "p_attain_diff",
        "p_attain_diff_low",
        "p_attain_diff_high",
        "p_better",
        "busy_share",
        "progress",
    }
)
UNIT_COLUMNS: frozenset[str] = frozenset(
    {"goal", "mean", "p10", "p50", "p90", "mean_baseline", "mean_policy", "mean_diff", "diff_low", "diff_high"}
)
# Sheets with their own headers and shares (their column names mean other things elsewhere),
# and sheets a planner filters and sorts (an autofilter on the English header row).
SHEET_HEADERS: dict[str, dict[str, tuple[str, str]]] = {"watchlist": WATCH_HEADERS, "help": HELP_HEADERS}
SHEET_PERCENT: dict[str, frozenset[str]] = {"watchlist": WATCH_PERCENT, "help": HELP_PERCENT}
FILTERED_SHEETS: frozenset[str] = frozenset({"watchlist", "help"})
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
WIDE_CHAR_FROM = 0x2E80  # CJK characters take two columns
MAX_WIDTH = 48  # characters, so long labels do not make a sheet unreadable


def monthly_wide(monthly: pd.DataFrame, attainment: pd.DataFrame) -> pd.DataFrame:
    """Monthly trajectories, one row per job x target x statistic, one column per month (1..12).

    Statistics over replications: mean, p10, p50, p90 of the cumulative value at month end.
    """
    keys = ["scenario", "policy", "target"]
    grouped = monthly.groupby([*keys, "month"])["value"]
    stats = {
        "mean": grouped.mean(),
        "p10": grouped.quantile(0.1),
        "p50": grouped.quantile(0.5),
        "p90": grouped.quantile(0.9),
    }
    frames = [s.unstack("month").assign(stat=name) for name, s in stats.items()]
    wide = pd.concat(frames).reset_index()
    wide.columns = [int(c) if isinstance(c, int | np.integer) else c for c in wide.columns]
    labels = attainment[["scenario", "policy", "target", "label_zh", "label_en", "unit", "goal"]]
    wide = labels.merge(wide, on=keys, how="inner")
    order = {k: i for i, k in enumerate(attainment["target"].drop_duplicates())}
    stat_order = {s: i for i, s in enumerate(stats)}
    wide = wide.sort_values(
        ["scenario", "policy", "target", "stat"],
        key=lambda s: s.map(order) if s.name == "target" else (s.map(stat_order) if s.name == "stat" else s),
        kind="stable",
    )
    months = sorted(c for c in wide.columns if isinstance(c, int))
    return wide[["scenario", "policy", "target", "label_zh", "label_en", "unit", "goal", "stat", *months]]


def _header(column: object, headers: dict[str, tuple[str, str]] | None = None) -> tuple[str, str]:
    if isinstance(column, int):
        return f"{column}月", f"month {column}"
    return (headers or HEADERS).get(str(column), (str(column), str(column)))


def _excel_value(value: object) -> object:
    """Cell value: NaN and a missing whole number (``pd.NA``) become an empty cell, numpy scalars Python numbers."""
    if value is pd.NA or (isinstance(value, float | np.floating) and not np.isfinite(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_sheet(wb: Workbook, name: str, frame: pd.DataFrame) -> None:
    """Add ``frame`` as sheet ``name`` with two header rows and number formats."""
    ws = wb.create_sheet(name)
    columns = list(frame.columns)
    headers = SHEET_HEADERS.get(name)
    percent = SHEET_PERCENT.get(name, PERCENT_COLUMNS)
    for j, col in enumerate(columns, start=1):
        zh, en = _header(col, headers)
        for i, text in enumerate((zh, en), start=1):
            cell = ws.cell(row=i, column=j, value=text)
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    units = frame["unit"].to_numpy() if "unit" in frame.columns else None
    for i, row in enumerate(records(frame), start=3):
        for j, (col, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = ws.cell(row=i, column=j, value=_excel_value(value))
            is_share = col in percent or (
                units is not None and units[i - 3] == "%" and (col in UNIT_COLUMNS or isinstance(col, int))
            )
            if is_share:
                cell.number_format = "0.0%"
            elif isinstance(value, float | np.floating):
                cell.number_format = "#,##0.0"
    for j, col in enumerate(columns, start=1):
        texts = [*_header(col, headers), *(str(v) for v in frame[col].head(200))]
        width = max(len(t) + sum(1 for ch in t if ord(ch) >= WIDE_CHAR_FROM) for t in texts) + 2
        ws.column_dimensions[get_column_letter(j)].width = min(width, MAX_WIDTH)
    ws.freeze_panes = "A3"
    if name in FILTERED_SHEETS and columns:  # sort and filter by county, park, size tier ...
        ws.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{len(frame) + 2}"


def write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """Write ``sheets`` (name -> table) to ``path`` as one workbook; returns ``path``."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        write_sheet(wb, name, frame)
    wb.save(path)
    return path


# Assumptions that move the forecast most (docs/assumptions.md): config path, zh, en.
KEY_ASSUMPTIONS: tuple[tuple[str, str, str], ...] = (
    ("model.demand.lead_growth_per_year", "线索年增长率", "growth of leads per year"),
    ("model.land.quota_mu_per_year", "年度用地指标（亩）", "land quota per year (mu)"),
    ("model.energy.quota_tce_per_year", "年度能耗指标（吨标煤）", "energy quota per year (tce)"),
    ("model.prework.median_days", "签约后前期准备中位天数", "pre-work after signing, median days"),
    ("model.land.transfer_median_days", "土地出让中位天数", "land transfer, median days"),
    ("model.approvals.capacity_projects", "审批窗口同时办理项目数", "approval offices, projects at a time"),
    (
        "model.uptake.parallel_with_land.plan_level",
        "拿地即开工按方案力度推广",
        "拿地即开工 at the plan's uptake (else 2022's)",
    ),
    ("model.walkaway.patience_scale_days", "投资方耐心（天，尺度）", "investor patience scale, days"),
    ("model.problems.probability", "项目遇到堵点的概率", "probability a project hits a problem"),
    ("run.replications", "模拟次数", "replications"),
    ("run.seed", "随机种子", "root seed"),
)


def _lookup(config: dict[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return "n/a"
        node = node[part]
    return node


def assumptions_table(tables: RunTables) -> pd.DataFrame:
    """The assumptions that matter most, one column of values per job."""
    table = pd.DataFrame([{"key": k, "label_zh": zh, "label_en": en} for k, zh, en in KEY_ASSUMPTIONS])
    for cell in tables.cells:
        meta = tables.meta.get(cell.name, {})
        name = f"{meta['scenario']} / {meta['policy']}" if {"scenario", "policy"} <= set(meta) else cell.name
        table[name] = [str(_lookup(tables.configs.get(cell.name, {}), k)) for k, _zh, _en in KEY_ASSUMPTIONS]
    return table


def config_sheet(tables: RunTables) -> pd.DataFrame:
    """Every config value and meta field of every job, flattened to dotted keys."""

    def flatten(node: Any, prefix: str) -> list[tuple[str, str]]:
        if isinstance(node, dict):
            return [kv for k, v in node.items() for kv in flatten(v, f"{prefix}.{k}" if prefix else str(k))]
        return [(prefix, json.dumps(node, ensure_ascii=False) if isinstance(node, list) else str(node))]

    rows = []
    for cell in tables.cells:
        pairs = flatten({"meta": tables.meta.get(cell.name, {})}, "") + flatten(tables.configs.get(cell.name, {}), "")
        rows += [{"run": cell.name, "key": k, "value": v} for k, v in pairs]
    return pd.DataFrame(rows, columns=["run", "key", "value"])


def workbook_sheets(
    tables: RunTables, bottlenecks: dict[str, pd.DataFrame], units: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Sheet name -> table for ``report.xlsx`` (comparison only when comparison.csv exists).

    ``units`` (:func:`analysis.unit_ranking.ranking_sheet`) is the sheet of counties and parks,
    present when the ledgers carry them.
    """
    att = tables.attainment.assign(risk=[risk_class(p) for p in tables.attainment["p_attain"]])
    sheets = {"attainment": att, "monthly": monthly_wide(tables.monthly, tables.attainment)}
    if tables.comparison is not None:
        sheets["comparison"] = tables.comparison
    lead = ["scenario", "policy"]
    for key in ("waits", "walkaways", "starts_at_stake", "stuck", "queues", "leaders", "funnel", "year_end_states"):
        if key in bottlenecks:
            frame = bottlenecks[key]
            sheets[key] = frame[lead + [c for c in frame.columns if c not in lead]]
    if units is not None:
        sheets["units"] = units
    if tables.watch is not None and len(tables.watch):
        sheets["watchlist"] = tables.watch
    if tables.help is not None and len(tables.help):
        sheets["help"] = tables.help
    sheets["config"] = config_sheet(tables)
    return sheets
