"""Read a project ledger as an office sends it, and account for every row of it.

An office's ledger (一月一通报) is rarely the template: a merged title row and a unit row
(单位：亿元、亩) above the header, sometimes a second header row under group headings, a 序号
and a 县区（园区）column, header and value variants (:mod:`sim.ledger.vocabulary`), dates in
every form (:mod:`sim.ledger.dates`), section headings and subtotal rows after each county
block, a total at the bottom, blank cells. :func:`read_office_ledger` finds the header, cleans
each project row into the template's layout, then checks every row with the strict
:func:`sim.ledger.io.validate_ledger`. A row that fails is refused alone, not the file.

Every source row gets one line in the account (``source_row, status, reason``):

- ``read``: read as written;
- ``assumed``: read with the assumptions stated in ``reason`` (month-only date at mid-month,
  stage from the dates, drop date, unit carried down a merged block ...);
- ``skipped``: not a project (title, unit, header, blank, section heading, 小计/合计 row; a
  total's sum is checked against the rows it covers and a mismatch is reported in the reason);
- ``refused``: a project row with a problem: which column, what it holds, what is allowed.

The reading is in layers: :mod:`sim.ledger.grids` (the file as cells), :mod:`sim.ledger.header`
(which row names which column), then here the rows below the header and the account. The
input file is only read.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cityplan.units import HUAIAN_UNITS, unit_key
from sim.ledger.dates import ALLOWED as DATE_ALLOWED
from sim.ledger.dates import parse_date
from sim.ledger.grids import cell_text, load_grids
from sim.ledger.header import Header, find_header
from sim.ledger.io import (
    COLUMNS,
    DATE_COLUMNS,
    FLAGS,
    ORDER,
    REQUIRED,
    STAGES,
    ZH,
    LedgerError,
    Problem,
    implied_stage,
    validate_ledger,
)
from sim.ledger.vocabulary import (
    flag_value,
    normalise,
    sector_key,
    stage_key,
    total_kind,
)

log = logging.getLogger(__name__)

STATUSES: tuple[str, ...] = ("read", "assumed", "skipped", "refused")
STAGE_ORDER: tuple[str, ...] = ("signed", "procedures", "land", "building", "completed", "registered")
# Amount columns whose totals are checked, in the file's own unit.
SUMMED: tuple[str, ...] = ("investment_yi", "spent_to_date_yi", "land_mu", "energy_tce")
# A total's cells are rounded like the rows': allow half a unit of the last (2nd) decimal
# per row added (assumption: ledgers show amounts to 0.01).
ROUNDING_PER_ROW = 0.005
_NUMBER = re.compile(r"^([-+]?\d+(?:\.\d*)?)(亿元|亿|万元|万)?$")
_HEADING_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\))")


@dataclass(frozen=True)
class LedgerRead:
    """The outcome of reading one office ledger.

    Attributes
    ----------
    ledger
        Validated projects (as :func:`sim.ledger.io.validate_ledger`), one per row read or
        assumed, plus ``source_row`` (spreadsheet row, 1-based).
    cleaned
        The same rows as text in the template's layout (English keys, ISO dates).
    account
        One line per source row: ``source_row``, ``status``, ``reason``.
    refused
        The refused project rows as text in the template's layout, plus ``source_row`` and
        ``reason`` (the nowcast lists them as not forecast, :mod:`sim.nowcast.watch`).
    """

    ledger: pd.DataFrame
    cleaned: pd.DataFrame
    account: pd.DataFrame
    refused: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class _Row:
    source_row: int
    status: str = "read"
    notes: list[str] = field(default_factory=list)
    clean: dict[str, str] = field(default_factory=dict)
    stage_text: str = ""  # the stage as written, for messages
    amounts: dict[str, float | None] = field(default_factory=dict)  # file units, for sum checks


def _number(text: str) -> tuple[float | None, float]:
    """A number and the factor to 亿元 its suffix says (12.5亿元, 3,000万元, 1,234.5)."""
    match = _NUMBER.match(normalise(text).replace(",", ""))
    if match is None:
        return None, 1.0
    return float(match.group(1)), 1e-4 if match.group(2) in ("万元", "万") else 1.0


def _unit_in(text: str) -> str | None:
    """The unit a section heading names (一、清江浦区（12个）-> qingjiangpu), longest name first."""
    names = sorted(((n, u.key) for u in HUAIAN_UNITS for n in (u.name_zh, u.short_zh)), key=lambda p: -len(p[0]))
    return next((key for name, key in names if name in text), None)


def read_office_ledger(path: str | Path, *, as_of: str | None = None) -> LedgerRead:
    """Read an office's ledger, clean every project row and validate each one on its own.

    Parameters
    ----------
    path
        CSV (UTF-8 or GBK) or XLSX file (the first sheet with a header row); never written to.
    as_of
        ISO date the ledger describes; later dates are refused (a month-only date in the
        month of ``as_of`` is read as ``as_of`` when the 15th would be after it).

    Returns
    -------
    LedgerRead
        The validated projects, the cleaned text ledger and the account of every row.

    Raises
    ------
    LedgerError
        When no header row is found or a required column is missing (nothing can be read).
    """
    sheets = load_grids(path)
    sheet, grid, header = _first_ledger_sheet(sheets, str(path))
    missing = [c for c in REQUIRED if c not in header.columns and c != "stage"]
    if missing:
        seen = " | ".join(cell_text(c) for c in grid[header.last] if cell_text(c))
        problems = [Problem(0, c, seen[:200], "a required column in the header row") for c in missing]
        raise LedgerError(str(path), problems)
    rows = _account_above(grid, header)
    if sheet:
        others = [name for name, _ in sheets if name != sheet]
        rows[header.last].notes[0] += f"; sheet {sheet!r}" + (f" (not read: {', '.join(others)})" if others else "")
    reader = _RowReader(header, as_of)
    for i in range(header.last + 1, len(grid)):
        rows.append(reader.read(grid[i], i + 1))
    return _validate(rows, as_of, str(path))


def _first_ledger_sheet(
    sheets: list[tuple[str, list[list[object]]]], source: str
) -> tuple[str, list[list[object]], Header]:
    """The first sheet with a header (a workbook may open on a summary sheet), its rows and header."""
    first_error: LedgerError | None = None
    for name, grid in sheets:
        try:
            return name, grid, find_header(grid, f"{source}, sheet {name!r}" if name else source)
        except LedgerError as err:
            first_error = first_error or err
    if first_error is None:
        raise LedgerError(source, [Problem(0, "file", "no sheet", "a sheet with a header row")])
    raise first_error


def _account_above(grid: list[list[object]], header: Header) -> list[_Row]:
    rows = []
    for i in range(header.last + 1):
        what = "header row" if i >= header.first else "above the header (title or unit row)"
        if i == header.last:
            used = ", ".join(f"{k} ({ZH.get(k, k)})" for k in header.columns)
            what += f"; columns read: {used}"
            if header.ignored:
                what += f"; not used: {', '.join(header.ignored)}"
            if header.unknown:
                what += f"; unknown, ignored: {', '.join(header.unknown)}"
            wan = [k for k, f in header.factors.items() if f != 1.0]
            if wan:
                what += f"; in 万元, divided by 10,000 to 亿元: {', '.join(wan)}"
        rows.append(_Row(i + 1, "skipped", [what if any(cell_text(c) for c in grid[i]) else "blank row"]))
    return rows


class _RowReader:
    """Reads the rows below the header one at a time (it remembers the block and the unit)."""

    def __init__(self, header: Header, as_of: str | None) -> None:
        self.header = header
        self.limit = pd.Timestamp(as_of) if as_of else None
        self.section_unit: str | None = None
        self.block: list[_Row] = []  # project rows since the last subtotal
        self.projects: list[_Row] = []  # every project row, for the grand total
        self.last_unit = ""

    def cell(self, row: list[object], key: str) -> object:
        j = self.header.columns.get(key)
        return None if j is None else row[j]

    def text(self, texts: list[str], key: str) -> str:
        j = self.header.columns.get(key)
        return "" if j is None else texts[j]

    def read(self, row: list[object], source_row: int) -> _Row:
        texts = [cell_text(c) for c in row]
        if not any(texts):
            return _Row(source_row, "skipped", ["blank row"])
        name_j = self.header.columns["name"]
        kind = total_kind(texts[: max(name_j + 1, 3)])
        if kind:
            return self.total(kind, texts, source_row)
        filled = [t for t in texts if t]
        if all(t.isdigit() for t in filled) and [int(t) for t in filled] == list(range(1, len(filled) + 1)):
            return _Row(source_row, "skipped", ["column numbering row (1, 2, 3 ...)"])
        if self.is_heading(texts, filled):
            unit = _unit_in(" ".join(filled))
            self.section_unit = unit
            self.block = []
            note = f"section heading ({' '.join(filled)})" + (f": unit {unit}" if unit else "")
            return _Row(source_row, "skipped", [note])
        out = self.project(row, texts, source_row)
        self.block.append(out)
        self.projects.append(out)
        return out

    def is_heading(self, texts: list[str], filled: list[str]) -> bool:
        """A county block's heading: at most a number and a title naming a unit or numbered 一、."""
        data = ("sector", "investment_yi", "signed_date")
        if len(filled) > 2 or any(self.text(texts, k) for k in data):  # noqa: PLR2004 (number, title)
            return False
        text = " ".join(filled)
        return _unit_in(text) is not None or _HEADING_NUMBER.match(normalise(text)) is not None

    def total(self, kind: str, texts: list[str], source_row: int) -> _Row:
        covered = self.block if kind == "subtotal" else self.projects
        word = "小计 subtotal" if kind == "subtotal" else "合计 total"
        notes = [f"{word} row"]
        for key in SUMMED:
            stated, _ = _number(self.text(texts, key))
            if stated is None or key not in self.header.columns:
                continue
            values = [r.amounts.get(key) for r in covered]
            total = float(sum(v for v in values if v is not None))
            span = f"rows {covered[0].source_row}-{covered[-1].source_row}" if covered else "no rows"
            label = f"{key} ({ZH[key]})"
            if abs(total - stated) <= ROUNDING_PER_ROW * (len(covered) + 1):
                notes.append(f"{label} sum of {span} agrees ({total:.2f})")
            else:
                notes.append(f"SUM MISMATCH: {label} of {span} add up to {total:.2f}, the row says {stated:.2f}")
        if kind == "subtotal":
            self.block = []
        return _Row(source_row, "skipped", notes)

    def project(self, row: list[object], texts: list[str], source_row: int) -> _Row:
        out = _Row(source_row)
        clean = {k: "" for k, _ in COLUMNS}
        for key, j in self.header.columns.items():
            if key in ZH:
                clean[key] = texts[j]
        clean["sector"] = sector_key(clean["sector"]) or clean["sector"]
        for key in ("investment_yi", "spent_to_date_yi", "land_mu", "energy_tce"):
            number, suffix_factor = _number(clean[key])
            out.amounts[key] = number
            if number is not None:
                clean[key] = repr(number * suffix_factor * self.header.factors.get(key, 1.0))
        for key in FLAGS:
            flag = flag_value(clean[key])
            clean[key] = clean[key] if flag is None else ("是" if flag else "否")
        self.unit(clean, out)
        dates = self.dates(row, clean, out)
        self.stage(clean, dates, out)
        out.clean = clean
        return out

    def unit(self, clean: dict[str, str], out: _Row) -> None:
        text = clean["unit"]
        if not text:
            carried = self.last_unit if self.block else (self.section_unit or "")
            if carried:
                clean["unit"] = carried
                where = "the row above (a merged cell)" if self.block else "the section heading"
                out.notes.append(f"unit blank: {carried}, from {where}")
        elif (key := unit_key(normalise(text)) or unit_key(text)) is None:
            clean["unit"] = ""
            known = ", ".join(u.short_zh for u in HUAIAN_UNITS)
            out.notes.append(f"unit {text!r} is not one of the city's units ({known}): kept without a unit")
        else:
            clean["unit"] = key
        self.last_unit = clean["unit"]

    def dates(self, row: list[object], clean: dict[str, str], out: _Row) -> dict[str, pd.Timestamp | None]:
        parsed: dict[str, pd.Timestamp | None] = {}
        month_only: set[str] = set()
        for key in DATE_COLUMNS:
            text = clean[key]
            value = self.cell(row, key)
            got = parse_date(text if isinstance(value, str) else value) if text else None
            parsed[key] = got.day if got else None
            if got is None:
                clean[key] = text  # validate_ledger refuses what is not blank
                continue
            if got.assumption:
                month_only.add(key)
                out.notes.append(f"{key}: {got.assumption}")
                limit = self.limit
                if limit is not None and got.day > limit and got.day.to_period("M") == limit.to_period("M"):
                    parsed[key] = limit
                    out.notes.append(f"{key}: the 15th is after as_of; read as as_of {limit.date()}")
        for earlier, later in ORDER if month_only else ():  # a month-only date may not precede its cause
            a, b = parsed[earlier], parsed[later]
            if a is None or b is None or b >= a or a.to_period("M") != b.to_period("M"):
                continue
            if later in month_only:
                parsed[later] = a
                out.notes.append(f"{later}: month only, before {earlier}; read as {a.date()}")
            elif earlier in month_only:
                parsed[earlier] = b
                out.notes.append(f"{earlier}: month only, after {later}; read as {b.date()}")
        for key, day in parsed.items():
            if day is not None:
                clean[key] = _iso(day)
        return parsed

    def stage(self, clean: dict[str, str], dates: dict[str, pd.Timestamp | None], out: _Row) -> None:
        text = clean["stage"]
        out.stage_text = text
        stage = stage_key(text) if text else None
        implied = implied_stage(dates)
        if stage == "dropped" and dates["dropped_date"] is None:
            known = [d for d in dates.values() if d is not None]
            if known:
                last = max(known)
                clean["dropped_date"] = last.date().isoformat()
                out.notes.append(f"dropped without a 终止日期: taken as dropped on its latest date, {last.date()}")
        elif not text:
            stage = implied
            out.notes.append(f"stage blank: taken from the dates as {implied} ({STAGES[implied]})")
        elif _behind(stage, implied):
            out.notes.append(f"stage {text!r} is behind its dates: read as {implied} ({STAGES[implied]})")
            stage = implied
        clean["stage"] = stage or text


@functools.lru_cache(maxsize=4096)
def _iso(day: pd.Timestamp) -> str:
    return day.date().isoformat()


def _behind(stage: str | None, implied: str) -> bool:
    """Whether a stage as written is earlier than the one its dates reach (then the dates win)."""
    if stage not in STAGE_ORDER or implied not in STAGE_ORDER or (stage, implied) == ("procedures", "signed"):
        return False
    return STAGE_ORDER.index(stage) < STAGE_ORDER.index(implied)


def _same_names(rows: Iterable[_Row]) -> list[_Row]:
    """Rows sharing a project name in one unit: a repeat is refused, a different row is another project.

    A firm's second project or phase often carries the same name. A row equal to an earlier
    one in every field is a repeat (refused, naming the earlier row); one whose amounts, dates
    or stage differ is read as a further project, named ``<name> (2)``, ``(3)``, ... with a note.
    """
    kept: list[_Row] = []
    by_name: dict[tuple[str, str], list[tuple[_Row, dict[str, str]]]] = {}
    for r in rows:
        name, unit, as_written = r.clean.get("name", ""), r.clean.get("unit", ""), dict(r.clean)
        earlier = by_name.setdefault((str(unit_key(unit) or unit) if unit else "", name), []) if name else []
        same = next((e for e, clean in earlier if clean == as_written), None)
        if same is not None:
            r.status = "refused"
            r.notes = [f"name ({ZH['name']}): {name!r} — repeats row {same.source_row} in every field", *r.notes]
            continue
        if earlier:
            r.clean = {**r.clean, "name": f"{name} ({len(earlier) + 1})"}
            r.notes.append(
                f"same name as row {earlier[0][0].source_row} of the same unit, other amounts, dates or stage: "
                f"read as another project, {r.clean['name']!r}"
            )
        if name:
            earlier.append((r, as_written))
        kept.append(r)
    return kept


def _validate(rows: list[_Row], as_of: str | None, source: str) -> LedgerRead:
    """Check every project row with the strict validator; refuse the rows it names."""
    projects = _same_names(r for r in rows if r.status == "read")
    for _ in range(3):  # a refused row can only lift a duplicate problem of a later one
        frame = pd.DataFrame([r.clean for r in projects], columns=[k for k, _ in COLUMNS], dtype=object)
        try:
            ledger = validate_ledger(frame, as_of=as_of, source=source)
            break
        except LedgerError as err:
            bad: dict[int, list[Problem]] = {}
            for p in err.problems:
                bad.setdefault(p.row - 2, []).append(p)
            for i, problems in bad.items():
                projects[i].status = "refused"
                projects[i].notes = [_problem_text(p, projects[i]) for p in problems] + projects[i].notes
            projects = [r for r in projects if r.status == "read"]
    else:  # pragma: no cover - validate_ledger names every bad row in one pass
        raise LedgerError(source, [Problem(0, "file", "", "rows that validate after refusals")])
    for r in projects:
        r.status = "assumed" if r.notes else "read"
    ledger = ledger.assign(source_row=[r.source_row for r in projects])
    cleaned = frame.assign(source_row=[r.source_row for r in projects])
    account = pd.DataFrame(
        {
            "source_row": [r.source_row for r in rows],
            "status": [r.status for r in rows],
            "reason": ["; ".join(r.notes) for r in rows],
        }
    )
    turned_down = [r for r in rows if r.status == "refused"]
    refused = pd.DataFrame([r.clean for r in turned_down], columns=[k for k, _ in COLUMNS], dtype=object).assign(
        source_row=[r.source_row for r in turned_down], reason=["; ".join(r.notes) for r in turned_down]
    )
    return LedgerRead(ledger, cleaned, account, refused)


# The date that shows a project reached a stage (a stage ahead of its dates lacks it).
STAGE_DATES: dict[str, str] = {
    "land": "land_date",
    "building": "started_date",
    "completed": "completed_date",
    "registered": "registered_date",
}


def _problem_text(p: Problem, row: _Row) -> str:
    """A problem as one reason (no row number: the account line has it)."""
    allowed = DATE_ALLOWED if p.column in DATE_COLUMNS and p.allowed.startswith("a date such as") else p.allowed
    value = p.value
    if p.column == "stage" and str(p.value) in STAGE_DATES:
        needed = STAGE_DATES[str(p.value)]
        value = row.stage_text
        allowed = f"the {needed} ({ZH[needed]}) that shows it, or the stage its dates imply: {allowed}"
    return f"{p.column} ({ZH.get(p.column, p.column)}): {value!r} — {allowed}"
