"""The watch list: which ledger projects will not start this year, and why (issue 25).

A nowcast simulates every project of the office's ledger to 31 December in every replication;
``sim.nowcast.watch`` reduces each replication to the ledger projects' few columns (start and
completion day, what holds the project at the year end, the walk-away cause, days queued).
:func:`watch_table` turns those rows into one line per ledger project: P(started by 31
December) with its Wilson 95% interval, P(completed), the p10/p50/p90 start date, the stage
and step it waits in on ``as_of``, its main blocker over the replications and the targets it
can still move; rows the ledger reader refused are listed as not forecast, with the reason.
:func:`at_risk_by_unit` is the report's short list per county or park; where the leaders' help
pays most is :mod:`analysis.help`.

Pure functions on tables; nothing here runs the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.attainment import wilson_bounds
from cityplan.causes import BLOCKERS, WAIT_CAUSES
from cityplan.schema import PlanConfig
from cityplan.units import HUAIAN_UNITS

QUEUES: tuple[str, ...] = ("land", "energy", "approvals")
BLOCKER_LABELS: dict[str, tuple[str, str]] = {
    "started": ("已开工", "started"),
    "prework": ("前期工作", "pre-work"),
    "problem": ("堵点问题", "a problem (堵点)"),
    "land": ("用地指标", "land quota"),
    "energy": ("能耗指标", "energy quota"),
    "approvals": ("审批", "approvals"),
    "procedures": ("其他手续", "other procedures"),
    "walked": ("投资方退出", "investor leaves"),
    "dropped": ("已终止", "dropped before as_of"),
}
WALK_LABELS: dict[str, str] = {
    "land": "等用地时退出 left waiting for land",
    "energy": "等能耗时退出 left waiting for energy",
    "approvals": "等审批时退出 left waiting for approvals",
    "prework": "前期工作中退出 left in pre-work",
    "procedures": "办手续中退出 left in procedures",
    "never_proceeds": "签而不落 never proceeded",
}
STEP_LABELS: dict[str, str] = {
    "prework": "前期工作 pre-work",
    "problem_or_land": "堵点或用地指标 problem or land quota",
    "land_transfer": "土地出让 land transfer",
    "energy": "能耗指标/能评 energy quota or assessment",
    "approvals": "审批 approvals and permits",
    "site_preparation": "开工准备 site preparation",
    "": "",
}
STAGE_LABELS: dict[str, str] = {
    "signed": "已签约 signed",
    "procedures": "手续办理 procedures",
    "land": "已供地 land delivered",
    "building": "在建 building",
    "completed": "已竣工 completed",
    "registered": "已列统 registered",
    "dropped": "已终止 dropped",
}
SECTOR_LABELS: dict[str, str] = {
    "industrial": "工业",
    "producer_services": "生产性服务业",
    "other_services": "其他服务业",
    "agriculture": "农业",
}
UNIT_NAMES: dict[str, str] = {u.key: u.name_zh for u in HUAIAN_UNITS}
# Risk of not starting this year, on P(started by 31 December): the report's classes (likely
# from 90%, at risk from 50%; analysis.plots.style.risk_class) read for one project.
LIKELY, AT_RISK = 0.9, 0.5
WATCH_COLUMNS: tuple[str, ...] = (
    "status",
    "source_row",
    "name",
    "unit",
    "unit_zh",
    "sector",
    "investment_yi",
    "size_tier",
    "stage",
    "waiting_in",
    "days_in_stage",
    "p_started",
    "p_started_low",
    "p_started_high",
    "p_completed",
    "start_p10",
    "start_p50",
    "start_p90",
    "risk",
    "main_blocker",
    "main_blocker_share",
    "blockers",
    "p_walked",
    "walk_causes",
    *(f"wait_{q}_days" for q in QUEUES),
    "counts_for",
    "replications",
    "reason",
)


# Column -> (Chinese, English) header: row 1 and row 2 of watchlist.csv and of the sheet.
WATCH_HEADERS: dict[str, tuple[str, str]] = {
    "scenario": ("情景", "scenario"),
    "policy": ("政策", "policy"),
    "as_of": ("台账日期", "as of"),
    "status": ("状态", "status"),
    "source_row": ("台账行号", "ledger row"),
    "name": ("项目名称", "project"),
    "unit_zh": ("县区（园区）", "county / park"),
    "sector": ("行业", "sector"),
    "investment_yi": ("协议投资额（亿元）", "agreed investment (100m CNY)"),
    "size_tier": ("规模档次", "size tier"),
    "stage": ("当前节点", "stage on as_of"),
    "waiting_in": ("所处环节", "waiting in (as_of)"),
    "days_in_stage": ("在该节点天数", "days in stage"),
    "p_started": ("年内开工概率", "P(started by 31 Dec)"),
    "p_started_low": ("开工概率下限", "P(started) 95% low"),
    "p_started_high": ("开工概率上限", "P(started) 95% high"),
    "p_completed": ("年内竣工概率", "P(completed by 31 Dec)"),
    "start_p10": ("开工日期 p10", "start date p10"),
    "start_p50": ("开工日期 p50", "start date p50"),
    "start_p90": ("开工日期 p90", "start date p90"),
    "risk": ("风险", "risk of not starting"),
    "main_blocker": ("主要卡点", "main blocker"),
    "main_blocker_share": ("主要卡点占比", "main blocker share of runs"),
    "blockers": ("未开工原因分布", "why not started (share of runs)"),
    "p_walked": ("投资方退出概率", "P(investor leaves)"),
    "walk_causes": ("退出时所处环节", "where investors leave"),
    "wait_land_days": ("等待用地指标天数（均值）", "days queued for land (mean)"),
    "wait_energy_days": ("等待能耗指标天数（均值）", "days queued for energy (mean)"),
    "wait_approvals_days": ("等待审批天数（均值）", "days queued for approvals (mean)"),
    "counts_for": ("计入指标", "counts for targets"),
    "replications": ("模拟次数", "replications"),
    "reason": ("说明", "note"),
    "unit": ("县区代码", "unit key"),
}
WATCH_PERCENT: frozenset[str] = frozenset(
    {"p_started", "p_started_low", "p_started_high", "p_completed", "main_blocker_share", "p_walked"}
)


def write_watchlist(table: pd.DataFrame, path: str) -> None:
    """Write ``watchlist.csv``: UTF-8 with BOM (so Excel shows the Chinese), two header rows.

    Chinese headers in row 1 and English in row 2 (``pd.read_csv(path, header=1)`` reads it
    back), as in ``report.xlsx``.
    """
    write_bilingual_csv(table, path, WATCH_HEADERS, WATCH_PERCENT)


def write_bilingual_csv(
    table: pd.DataFrame, path: str, headers: dict[str, tuple[str, str]], percent: frozenset[str]
) -> None:
    """A planner's CSV: UTF-8 with BOM, ``headers``' Chinese in row 1 and English in row 2.

    Shares (``percent``) are rounded to 3 decimals and other floats to 2, for presentation
    only (the parquet beside it keeps every digit).
    """
    zh = [headers.get(c, (c, c))[0] for c in table.columns]
    en = [headers.get(c, (c, c))[1] for c in table.columns]
    shown = table.copy()
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col]):
            shown[col] = shown[col].round(3 if col in percent else 2)
    rows = pd.DataFrame([zh, en], columns=table.columns, dtype=object)
    rows = pd.concat([rows, shown.astype(object)], ignore_index=True)
    rows.to_csv(path, index=False, header=False, encoding="utf-8-sig")


def _date_text(days: np.ndarray, origin_year: int, year_end_day: float) -> np.ndarray:
    """Model days as ISO dates; a day at or after the year end as ``after <year>-12-31``."""
    origin = np.datetime64(f"{origin_year}-01-01", "D")
    finite = np.isfinite(days) & (days < year_end_day)
    dates = (origin + np.floor(np.where(finite, days, 0.0)).astype("timedelta64[D]")).astype(str)
    last = str(origin + np.timedelta64(int(year_end_day) - 1, "D"))
    return np.where(finite, dates, f"after {last}")


def _shares_text(counts: dict[str, int], total: int, labels: dict[str, str]) -> str:
    """``label 45%; label 20%`` for the causes seen, largest first."""
    seen = sorted(((c, k) for k, c in counts.items() if c > 0), key=lambda p: -p[0])
    return "; ".join(f"{labels[k]} {c / total:.0%}" for c, k in seen)


def watch_table(
    outcomes: pd.DataFrame,
    projects: pd.DataFrame,
    *,
    year_end_day: float,
    origin_year: int,
    plan: PlanConfig | None = None,
    refused: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One line per ledger project (and per refused row): the watch list.

    Parameters
    ----------
    outcomes
        Every replication's ledger-project rows (``StudyResult.watch``): ``replication``,
        ``project``, ``t_started``, ``t_completed``, ``blocker``, ``walk_cause``,
        ``wait_<queue>_days``.
    projects
        What the ledger says of each project (:func:`sim.nowcast.watch.watch_projects`).
    year_end_day
        Model day of 1 January after the target year (milestones before it are in the year).
    origin_year
        ``run.first_year`` (model day 0 is its 1 January).
    plan
        For the targets' Chinese labels in ``counts_for`` (keys if None).
    refused
        Rows the reader refused (:func:`sim.nowcast.watch.refused_projects`), listed with
        status ``not_forecast`` and their reason.

    Returns
    -------
    DataFrame
        :data:`WATCH_COLUMNS`, in the file's row order. Start dates are ISO dates, or
        ``after <year>-12-31`` where the quantile falls past the year end.
    """
    n = len(projects)
    reps = np.unique(outcomes["replication"].to_numpy()) if len(outcomes) else np.empty(0, int)
    r = len(reps)
    o = outcomes.sort_values(["replication", "project"], kind="stable")
    if len(o) != r * n:
        raise ValueError(f"outcomes hold {len(o)} rows, expected {r} replications x {n} projects")

    def matrix(col: str) -> np.ndarray:
        return o[col].to_numpy().reshape(r, n)

    start = matrix("t_started").astype(float)
    done = matrix("t_completed").astype(float)
    blocker = matrix("blocker").astype(int)
    walk = matrix("walk_cause").astype(int)
    started = np.isfinite(start) & (start < year_end_day)
    hits = started.sum(axis=0)
    low, high = wilson_bounds(hits.astype(float), np.full(n, float(r)))
    quant = np.quantile(np.where(started, start, np.inf), [0.1, 0.5, 0.9], axis=0, method="inverted_cdf")
    counts = np.stack([(blocker == k).sum(axis=0) for k in range(len(BLOCKERS))], axis=1)  # (n, blockers)
    not_started = counts.copy()
    not_started[:, BLOCKERS.index("started")] = 0
    main = np.argmax(not_started, axis=1)  # ties: the first in BLOCKERS order
    walked_after = blocker == BLOCKERS.index("walked")
    zh_labels = {k: f"{zh} {en}" for k, (zh, en) in BLOCKER_LABELS.items()}
    target_zh = {k: t.label_zh for k, t in plan.targets.items()} if plan is not None else {}
    p_started = hits / r if r else np.full(n, np.nan)
    # decided on as_of (started or dropped in the ledger): no Monte Carlo error to show
    decided = projects["waiting_in"].to_numpy(dtype=object) == ""
    low, high = np.where(decided, p_started, low), np.where(decided, p_started, high)
    out = pd.DataFrame(
        {
            "status": "forecast",
            "source_row": projects["source_row"].to_numpy(),
            "name": projects["name"].to_numpy(),
            "unit": projects["unit"].to_numpy(),
            "unit_zh": [UNIT_NAMES.get(u, u) for u in projects["unit"]],
            "sector": [SECTOR_LABELS.get(s, s) for s in projects["sector"]],
            "investment_yi": projects["investment_yi"].to_numpy(dtype=float),
            "size_tier": projects["size_tier"].to_numpy(),
            "stage": [STAGE_LABELS.get(s, s) for s in projects["stage"]],
            "waiting_in": [STEP_LABELS.get(s, s) for s in projects["waiting_in"]],
            "days_in_stage": projects["days_in_stage"].to_numpy(dtype=float),
            "p_started": p_started,
            "p_started_low": low,
            "p_started_high": high,
            "p_completed": (np.isfinite(done) & (done < year_end_day)).mean(axis=0),
            "start_p10": _date_text(quant[0], origin_year, year_end_day),
            "start_p50": _date_text(quant[1], origin_year, year_end_day),
            "start_p90": _date_text(quant[2], origin_year, year_end_day),
            "risk": [_risk(p, c) for p, c in zip(p_started, counts[:, BLOCKERS.index("dropped")] == r, strict=True)],
            "main_blocker": [zh_labels[BLOCKERS[k]] if not_started[i, k] else "" for i, k in enumerate(main)],
            "main_blocker_share": not_started[np.arange(n), main] / r,
            "blockers": [
                _shares_text(dict(zip(BLOCKERS, not_started[i].tolist(), strict=True)), r, zh_labels) for i in range(n)
            ],
            "p_walked": walked_after.mean(axis=0),
            "walk_causes": [
                _shares_text(
                    {c: int(((walk[:, i] == j) & walked_after[:, i]).sum()) for j, c in enumerate(WAIT_CAUSES) if j},
                    r,
                    WALK_LABELS,
                )
                for i in range(n)
            ],
            **{f"wait_{q}_days": matrix(f"wait_{q}_days").astype(float).mean(axis=0) for q in QUEUES},
            "counts_for": [
                "; ".join(target_zh.get(k, k) for k in str(keys).split(";") if k) for keys in projects["counts_for"]
            ],
            "replications": r,
            "reason": "",
        }
    )
    if refused is not None and len(refused):
        extra = pd.DataFrame(
            {
                "status": "not_forecast",
                "source_row": refused["source_row"].to_numpy(),
                "name": refused["name"].to_numpy(),
                "unit": refused["unit"].to_numpy(),
                "unit_zh": [UNIT_NAMES.get(u, u) for u in refused["unit"]],
                "sector": [SECTOR_LABELS.get(s, s) for s in refused["sector"]],
                "stage": refused["stage_text"].to_numpy(),
                "reason": ["未预测 not forecast: ledger row refused: " + str(x) for x in refused["reason"]],
                "replications": 0,
            }
        )
        out = pd.concat([out, extra.reindex(columns=out.columns)], ignore_index=True)
    return out.sort_values("source_row", kind="stable").reset_index(drop=True)[list(WATCH_COLUMNS)]


def _risk(p_started: float, dropped: bool) -> str:
    """The risk class of not starting this year (already started: none)."""
    if dropped:
        return "已终止 dropped"
    if p_started >= 1.0:
        return "已开工或必开工 started"
    if p_started >= LIKELY:
        return "可能开工 likely"
    if p_started >= AT_RISK:
        return "有风险 at risk"
    return "难以年内开工 unlikely"


def at_risk_by_unit(watch: pd.DataFrame, *, per_unit: int = 5) -> pd.DataFrame:
    """The projects most at risk in each county or park: not started on ``as_of``, lowest P(start) first.

    Projects already started or dropped on ``as_of`` are left out; ties go to the larger
    investment (more at stake). Refused rows are listed in the sheet, not here.
    """
    live = watch[(watch["status"] == "forecast") & (watch["waiting_in"] != "")]
    live = live.assign(unit_zh=live["unit_zh"].replace("", "（未填县区）"))
    live = live.sort_values(["unit_zh", "p_started", "investment_yi"], ascending=[True, True, False], kind="stable")
    top = live.groupby("unit_zh", sort=True, group_keys=False).head(per_unit)
    columns = ["unit_zh", "name", "investment_yi", "stage", "waiting_in", "p_started", "start_p50"]
    return top[[*columns, "main_blocker", "blockers"]].reset_index(drop=True)
