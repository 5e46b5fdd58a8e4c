"""Planner ledgers (一月一通报 project ledger): read, validate, write, and map to the model.

A planner ledger is a CSV or XLSX file, one row per signed project, with dates instead of
model days. Headers may be Chinese or English (either spelling, full- or half-width
brackets, any case); values of sector, stage and yes/no flags too.

Columns (English header | Chinese header | required | values):

- name | 项目名称 | yes | unique text
- sector | 行业 | yes | industrial 工业, producer_services 生产性服务业, other_services 其他服务业
  (or 服务业), agriculture 农业
- investment_yi | 协议投资额(亿元) | yes | agreed investment, number > 0, 亿元
- signed_date | 签约日期 | yes | date (YYYY-MM-DD, YYYY/M/D, 2023年6月30日 or an Excel date)
- procedures_date | 手续启动日期 | no | procedures (手续) began
- land_granted_date | 用地指标下达日期 | no | land quota allocated
- land_date | 供地日期 | no | land delivered
- energy_granted_date | 能耗指标下达日期 | no | energy quota allocated
- energy_date | 能评批复日期 | no | energy assessment approved
- review_date | 审批受理日期 | no | an approval office took the file (review began)
- permits_date | 施工许可日期 | no | construction permits issued
- started_date | 开工日期 | no | construction started
- completed_date | 竣工日期 | no | completed and accepted
- registered_date | 列统日期 | no | registered as an above-size enterprise
- output_date | 达效日期 | no | design output reached
- dropped_date | 终止日期 | no | project dropped (investor left)
- stage | 当前节点 | yes | signed 已签约, procedures 手续办理, land 已供地, building 在建,
  completed 已竣工, registered 已列统, dropped 已终止
- spent_to_date_yi | 已完成投资(亿元) | no | cumulative spending, number >= 0, 亿元
- foreign, taiwan, tech_talent, in_park | 是否外资, 是否台资, 是否科技人才, 是否省级以上园区 | no |
  是/否, yes/no, true/false, 1/0 (blank = no)
- land_mu | 用地(亩) | no | land need, number >= 0, 亩 (blank: the model draws it)
- energy_tce | 能耗(吨标煤) | no | energy need, number >= 0, 吨标煤 (blank: the model draws it)
- unit | 县区(园区) | no | the county, district or park (:mod:`cityplan.units`: key, full or short
  Chinese name, or English name; blank = not given)

The stage must agree with the dates: it is the furthest of signed -> procedures -> land ->
building -> completed -> registered reached by a date, or dropped when a 终止日期 is given
(``procedures`` is also accepted for a signed project whose 手续启动日期 is blank).
:func:`validate_ledger` reports every problem at once (row as in the spreadsheet, header =
row 1), and nothing here ever writes to the input file.

In the model a date ``d`` is model day ``day_of(d) + 0.5`` (midday), and a model day ``t``
is the date ``floor(t)`` days after 1 January of ``run.first_year``; the round trip keeps
the month (and the day) of every milestone, which is what the targets count.

This is the strict reader (``nowcast.strict=true``): the template's layout, all or nothing.
Offices' own layouts go through :mod:`sim.ledger.tolerant`, which cleans them into this
layout and then applies the same :func:`validate_ledger` row by row.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cityplan.calendar import Calendar
from cityplan.schema import SECTORS
from cityplan.units import HUAIAN_UNITS, unit_key

log = logging.getLogger(__name__)

# (English key, Chinese header) in file order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "项目名称"),
    ("sector", "行业"),
    ("investment_yi", "协议投资额(亿元)"),
    ("signed_date", "签约日期"),
    ("procedures_date", "手续启动日期"),
    ("land_granted_date", "用地指标下达日期"),
    ("land_date", "供地日期"),
    ("energy_granted_date", "能耗指标下达日期"),
    ("energy_date", "能评批复日期"),
    ("review_date", "审批受理日期"),
    ("permits_date", "施工许可日期"),
    ("started_date", "开工日期"),
    ("completed_date", "竣工日期"),
    ("registered_date", "列统日期"),
    ("output_date", "达效日期"),
    ("dropped_date", "终止日期"),
    ("stage", "当前节点"),
    ("spent_to_date_yi", "已完成投资(亿元)"),
    ("foreign", "是否外资"),
    ("taiwan", "是否台资"),
    ("tech_talent", "是否科技人才"),
    ("in_park", "是否省级以上园区"),
    ("land_mu", "用地(亩)"),
    ("energy_tce", "能耗(吨标煤)"),
    ("unit", "县区(园区)"),
)
REQUIRED: tuple[str, ...] = ("name", "sector", "investment_yi", "signed_date", "stage")
ZH: dict[str, str] = dict(COLUMNS)
# Date column -> model milestone (ledger column t_<milestone>).
DATE_MILESTONES: dict[str, str] = {
    "signed_date": "signed",
    "procedures_date": "procedures",
    "land_granted_date": "land_granted",
    "land_date": "land",
    "energy_granted_date": "energy_granted",
    "energy_date": "energy",
    "review_date": "review",
    "permits_date": "permits",
    "started_date": "started",
    "completed_date": "completed",
    "registered_date": "registered",
    "output_date": "output",
    "dropped_date": "walked",
}
DATE_COLUMNS: tuple[str, ...] = tuple(DATE_MILESTONES)
# Dates that show procedures (手续) under way before the land is delivered.
PROCEDURE_DATES: tuple[str, ...] = (
    "procedures_date",
    "land_granted_date",
    "energy_granted_date",
    "energy_date",
    "review_date",
    "permits_date",
)
FLAGS: tuple[str, ...] = ("foreign", "taiwan", "tech_talent", "in_park")
AMOUNTS: tuple[str, ...] = ("spent_to_date_yi", "land_mu", "energy_tce")
# Pairs (earlier, later): the later date may not precede the earlier one.
ORDER: tuple[tuple[str, str], ...] = (
    ("signed_date", "procedures_date"),
    ("procedures_date", "land_granted_date"),
    ("signed_date", "land_granted_date"),
    ("land_granted_date", "land_date"),
    ("signed_date", "land_date"),
    ("signed_date", "energy_granted_date"),
    ("energy_granted_date", "energy_date"),
    ("signed_date", "energy_date"),
    ("energy_date", "review_date"),
    ("review_date", "permits_date"),
    ("energy_date", "permits_date"),
    ("signed_date", "permits_date"),
    ("signed_date", "started_date"),
    ("land_date", "started_date"),
    ("permits_date", "started_date"),
    ("started_date", "completed_date"),
    ("completed_date", "registered_date"),
    ("completed_date", "output_date"),
    ("signed_date", "dropped_date"),
)
STAGES: dict[str, str] = {
    "signed": "已签约",
    "procedures": "手续办理",
    "land": "已供地",
    "building": "在建",
    "completed": "已竣工",
    "registered": "已列统",
    "dropped": "已终止",
}
SECTOR_ZH: dict[str, str] = {
    "industrial": "工业",
    "producer_services": "生产性服务业",
    "other_services": "其他服务业",
    "agriculture": "农业",
}
_SECTOR_ALIASES = {**{k: k for k in SECTORS}, **{v: k for k, v in SECTOR_ZH.items()}, "服务业": "other_services"}
_STAGE_ALIASES = {**{k: k for k in STAGES}, **{v: k for k, v in STAGES.items()}}
_TRUE = {"是", "yes", "y", "true", "1", "1.0", "t"}
_FALSE = {"否", "no", "n", "false", "0", "0.0", "f", ""}


def _norm(text: object) -> str:
    """Header/value key: half-width brackets, no spaces, lower case."""
    s = str(text).replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", s).lower()


_HEADER_ALIASES: dict[str, str] = {_norm(k): k for k, _ in COLUMNS} | {_norm(z): k for k, z in COLUMNS}


@dataclass(frozen=True)
class Problem:
    """One problem in a ledger: spreadsheet row (header = 1; 0 = whole file), column, value."""

    row: int
    column: str
    value: object
    allowed: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}, column '{self.column}' ({ZH.get(self.column, self.column)}): {self.value!r} — {self.allowed}"


class LedgerError(ValueError):
    """A planner ledger has problems; ``problems`` lists every one of them."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"ledger {source}: {len(problems)} problem(s):\n{lines}")


def read_ledger(path: str | Path) -> pd.DataFrame:
    """Read a CSV or XLSX ledger as text cells with English column keys (file left untouched).

    Unknown columns are dropped with a warning; duplicate columns (e.g. both 行业 and
    sector) keep the first.
    """
    path = Path(path)
    if not path.is_file():
        raise LedgerError(str(path), [Problem(0, "file", str(path), "an existing .csv or .xlsx file")])
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise LedgerError(str(path), [Problem(0, "file", path.suffix, "a .csv or .xlsx file")])
    raw = _read_raw(path)
    keep: dict[str, str] = {}
    for header in raw.columns:
        key = _HEADER_ALIASES.get(_norm(header))
        if key is None:
            log.warning("ledger %s: ignoring unknown column %r", path, header)
        elif key not in keep.values():
            keep[str(header)] = key
    frame = raw[list(keep)].rename(columns=keep)
    return frame.apply(lambda col: col.map(_cell_text))


def _read_raw(path: Path) -> pd.DataFrame:
    """The file's cells as text; a file that is not a readable CSV (UTF-8 or GBK) or XLSX is a LedgerError."""
    if path.suffix.lower() == ".xlsx":
        try:
            return pd.read_excel(path, dtype=object, engine="openpyxl")
        except Exception:
            raise LedgerError(str(path), [Problem(0, "file", path.name, "a readable .xlsx workbook")]) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise LedgerError(str(path), [Problem(0, "file", first, "a CSV with a header row")]) from None
    raise LedgerError(str(path), [Problem(0, "file", path.name, "a CSV in UTF-8 or GBK (GB18030)")])


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value).strip()


_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?$")


@functools.lru_cache(maxsize=8192)  # ledgers repeat dates; a parse is pure
def _parse_date(text: str) -> pd.Timestamp | None:
    """Year first only (2023-06-30, 2023/6/30, 2023.6.30, 2023年6月30日): never guess day/month order."""
    match = _DATE.match(text.strip().replace("年", "-").replace("月", "-").replace("日", ""))
    if match is None:
        return None
    try:
        year, month, day = (int(g) for g in match.groups())
        return pd.Timestamp(year=year, month=month, day=day)
    except ValueError:
        return None


def _parse_number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def implied_stage(dates: dict[str, pd.Timestamp | None]) -> str:
    """The stage the dates of one project imply (see the module docstring)."""
    if dates.get("dropped_date") is not None:
        return "dropped"
    for column, stage in (
        ("registered_date", "registered"),
        ("completed_date", "completed"),
        ("started_date", "building"),
        ("land_date", "land"),
    ):
        if dates.get(column) is not None:
            return stage
    return "procedures" if any(dates.get(c) is not None for c in PROCEDURE_DATES) else "signed"


def validate_ledger(raw: pd.DataFrame, *, as_of: str | None = None, source: str = "ledger") -> pd.DataFrame:
    """Check every cell and return a typed ledger, or raise :class:`LedgerError` listing all problems.

    Parameters
    ----------
    raw
        Text cells with English keys (:func:`read_ledger`).
    as_of
        ISO date the ledger describes; dates after it are problems.
    source
        Name of the file, for messages.

    Returns
    -------
    DataFrame
        One row per project: ``name``, ``sector`` (model key), ``investment_yi``, date
        columns as ``datetime64`` (NaT = not reached), ``stage`` (English key), amounts (NaN
        = blank) and boolean flags.
    """
    problems = [Problem(0, c, "(missing)", "a required column") for c in REQUIRED if c not in raw.columns]
    if problems:
        raise LedgerError(source, problems)
    limit = pd.Timestamp(as_of) if as_of else None
    rows = []
    for i, rec in enumerate(raw.to_dict("records")):
        row, out = i + 2, {}
        out["name"] = rec["name"]
        if not rec["name"]:
            problems.append(Problem(row, "name", "", "a non-empty project name"))
        sector = _SECTOR_ALIASES.get(_norm(rec["sector"]))
        if sector is None:
            problems.append(Problem(row, "sector", rec["sector"], f"one of {', '.join(_SECTOR_ALIASES)}"))
        out["sector"] = sector
        inv = _parse_number(rec["investment_yi"])
        if inv is None or inv <= 0:
            problems.append(Problem(row, "investment_yi", rec["investment_yi"], "a number > 0 (亿元)"))
        out["investment_yi"] = inv if inv is not None else np.nan
        dates: dict[str, pd.Timestamp | None] = {}
        for col in DATE_COLUMNS:
            text = rec.get(col, "")
            parsed = _parse_date(text) if text else None
            dates[col] = parsed
            if text and parsed is None:
                problems.append(Problem(row, col, text, "a date such as 2023-06-30"))
            elif limit is not None and parsed is not None and parsed > limit:
                problems.append(Problem(row, col, text, f"a date on or before as_of {as_of}"))
        if dates["signed_date"] is None and not rec["signed_date"]:
            problems.append(Problem(row, "signed_date", "", "a signing date (required)"))
        for earlier, later in ORDER:
            a, b = dates[earlier], dates[later]
            if a is not None and b is not None and b < a:
                what = "a start on or after signing" if later == "started_date" and earlier == "signed_date" else ""
                allowed = what or f"a date on or after {earlier} ({ZH[earlier]}) {a.date()}"
                problems.append(Problem(row, later, rec[later], allowed))
        out |= {c: dates[c] for c in DATE_COLUMNS}
        stage = _STAGE_ALIASES.get(_norm(rec["stage"]))
        implied = implied_stage(dates)
        ok_stages = {implied} | ({"procedures"} if implied == "signed" else set())
        if stage is None:
            problems.append(Problem(row, "stage", rec["stage"], f"one of {', '.join(_STAGE_ALIASES)}"))
        elif stage not in ok_stages:
            problems.append(Problem(row, "stage", rec["stage"], f"'{implied}' ({STAGES[implied]}), as the dates imply"))
        out["stage"] = stage
        for col in AMOUNTS:
            text = rec.get(col, "")
            value = _parse_number(text) if text else np.nan
            if value is None or value < 0:
                problems.append(Problem(row, col, text, "a number >= 0 or blank"))
            out[col] = np.nan if value is None else value
        for col in FLAGS:
            text = _norm(rec.get(col, ""))
            if text not in _TRUE | _FALSE:
                problems.append(Problem(row, col, rec.get(col), "是/否, yes/no, true/false, 1/0 or blank"))
            out[col] = text in _TRUE
        unit = rec.get("unit", "")
        out["unit"] = unit_key(unit) if unit else ""
        if out["unit"] is None:
            known = ", ".join(u.short_zh for u in HUAIAN_UNITS)
            problems.append(Problem(row, "unit", unit, f"one of {known} (or the full name, or the key) or blank"))
        rows.append(out)
    frame = pd.DataFrame(rows, columns=[k for k, _ in COLUMNS])
    if len(frame):
        repeated = frame.duplicated(["unit", "name"], keep="first").to_numpy() & (frame["name"] != "").to_numpy()
        for dup in np.flatnonzero(repeated):
            allowed = "a name not used by an earlier row" + (" of the same unit" if frame["unit"].iloc[dup] else "")
            problems.append(Problem(int(dup) + 2, "name", frame["name"].iloc[dup], allowed))
    if problems:
        raise LedgerError(source, sorted(problems, key=lambda p: p.row))
    for col in DATE_COLUMNS:
        frame[col] = pd.to_datetime(frame[col])
    return frame


def load_ledger(path: str | Path, *, as_of: str | None = None) -> pd.DataFrame:
    """Read and validate a ledger file (:func:`read_ledger` then :func:`validate_ledger`)."""
    return validate_ledger(read_ledger(path), as_of=as_of, source=str(path))


def to_model(ledger: pd.DataFrame, calendar: Calendar) -> pd.DataFrame:
    """Validated ledger -> model columns: ``t_<milestone>`` in model days (midday), flags, needs."""
    origin = pd.Timestamp(f"{calendar.first_year}-01-01")
    out = ledger[["name", "sector", "investment_yi", *FLAGS, *AMOUNTS, "stage", "unit"]].copy()
    for col, milestone in DATE_MILESTONES.items():
        out[f"t_{milestone}"] = (ledger[col] - origin) / pd.Timedelta(days=1) + 0.5
    return out


def spent_share(t_started: np.ndarray, build_days: np.ndarray, day: float, a: float, b: float) -> np.ndarray:
    """Share of the realised investment spent by model ``day`` on a Beta(a, b) S-curve (NaN -> 0)."""
    from scipy.special import betainc  # here: scipy takes 0.3-0.6 s to import, and a check needs none

    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.clip((day - t_started) / build_days, 0.0, 1.0)
    return np.where(np.isfinite(x), betainc(a, b, np.nan_to_num(x)), 0.0)


def from_model(
    model_ledger: pd.DataFrame, calendar: Calendar, as_of: str, *, realisation: float, curve: tuple[float, float]
) -> pd.DataFrame:
    """A planner ledger (English keys, text cells) of a simulated run as it stood on ``as_of``.

    Parameters
    ----------
    model_ledger
        One replication's ``ledgers.parquet`` rows (model days).
    calendar
        The run's calendar.
    as_of
        ISO date; milestones after the end of that day are left blank.
    realisation, curve
        ``construction.spend_realisation_share`` and the spending S-curve (a, b), for the
        cumulative spending column.
    """
    end = calendar.day_of(as_of) + 1.0
    m = model_ledger[model_ledger["t_signed"] < end].reset_index(drop=True)
    origin = np.datetime64(f"{calendar.first_year}-01-01", "D")
    out = pd.DataFrame({"name": [f"P{int(p):05d}" for p in m["project"]], "sector": m["sector"]})
    out["investment_yi"] = m["investment_yi"].map(repr)
    dates: dict[str, pd.Series] = {}
    for col, milestone in DATE_MILESTONES.items():
        t = m[f"t_{milestone}"].to_numpy(dtype=float)
        t = np.where(t < end, t, np.nan)
        day = (origin + np.floor(np.nan_to_num(t)).astype("timedelta64[D]")).astype(str)
        dates[col] = pd.Series(np.where(np.isfinite(t), day, ""))
        out[col] = dates[col]
    stage_dates = [{c: (pd.Timestamp(d[i]) if d[i] else None) for c, d in dates.items()} for i in range(len(m))]
    out["stage"] = [implied_stage(d) for d in stage_dates]
    started = np.where(m["t_started"] < end, m["t_started"], np.nan)
    span = m["spend_days" if "spend_days" in m else "build_days"].to_numpy(dtype=float)  # all build phases
    share = spent_share(started, span, end, *curve)
    out["spent_to_date_yi"] = (m["investment_yi"] * realisation * share).map(repr)
    for col in FLAGS:
        out[col] = np.where(m[col], "是", "否")
    out["land_mu"] = m["land_mu"].map(repr)
    out["energy_tce"] = m["energy_tce"].map(repr)
    out["unit"] = m["unit"].fillna("").astype(str) if "unit" in m else ""
    return out[[k for k, _ in COLUMNS]]


def write_ledger(frame: pd.DataFrame, path: str | Path, *, chinese: bool = True) -> Path:
    """Write a planner ledger to a new CSV (UTF-8 with BOM) or XLSX file; never overwrites."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; refusing to overwrite a ledger")
    out = frame.rename(columns=ZH) if chinese else frame
    if path.suffix.lower() == ".xlsx":
        out.to_excel(path, index=False, engine="openpyxl")
    else:
        out.to_csv(path, index=False, encoding="utf-8-sig")
    return path
