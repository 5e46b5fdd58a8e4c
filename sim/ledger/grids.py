"""An office's ledger file as grids of cells: every sheet of an XLSX, or a CSV, as Python values.

The first layer of :mod:`sim.ledger.tolerant`: it reads the file and nothing else (no header,
no meaning). A CSV may be UTF-8 or GBK (Excel on Chinese Windows); an XLSX is read with
calamine, with cells as openpyxl gave them and merged cells filled. :func:`cell_text` turns
one cell into the text the readers compare. The input file is only read.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from sim.ledger.io import LedgerError, Problem

_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")  # Excel on Chinese Windows saves CSV as GBK


def load_grids(path: str | Path) -> list[tuple[str, list[list[object]]]]:
    """(sheet name, rows) of every sheet of an XLSX (merged cells filled) or of a CSV ("" name), padded."""
    path = Path(path)
    if not path.is_file():
        raise LedgerError(str(path), [Problem(0, "file", str(path), "an existing .csv or .xlsx file")])
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        sheets = _xlsx_sheets(path)
    elif suffix == ".csv":
        sheets = [("", _csv_rows(path))]
    else:
        raise LedgerError(str(path), [Problem(0, "file", path.suffix, "a .csv or .xlsx file")])
    return [(name, _padded(rows)) for name, rows in sheets]


def _padded(rows: list[list[object]]) -> list[list[object]]:
    width = max((len(r) for r in rows), default=0)
    return [list(r) + [None] * (width - len(r)) for r in rows]


def _csv_rows(path: Path) -> list[list[object]]:
    for encoding in _ENCODINGS:
        try:
            with path.open(encoding=encoding, newline="") as f:
                return [list(r) for r in csv.reader(f)]
        except UnicodeDecodeError:
            continue
    raise LedgerError(str(path), [Problem(0, "file", "encoding", "a CSV in UTF-8 or GBK (GB18030)")])


def _xlsx_sheets(path: Path) -> list[tuple[str, list[list[object]]]]:
    """Every sheet's cells from A1, read with calamine (Rust; openpyxl took ~0.8 s of a 1.1 s read).

    Cells as openpyxl gave them, so the reading downstream is unchanged: a blank cell is None,
    a whole number an int; dates come as ``datetime.date``/``datetime`` (both read as dates).
    A merged cell holds its value in the top-left cell: it is copied over the whole range.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheets = [book.get_sheet_by_name(name) for name in book.sheet_names]
        grids = [(sheet.name, sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges) for sheet in sheets]
    except (CalamineError, OSError, ValueError) as err:
        raise LedgerError(str(path), [Problem(0, "file", str(err), "a readable .xlsx workbook")]) from err
    out = []
    for name, cells, merged_ranges in grids:
        rows = [[_as_openpyxl(v) for v in row] for row in cells]
        for (top, left), (bottom, right) in merged_ranges or []:
            value = rows[top][left]
            for r in range(top, bottom + 1):
                for c in range(left, right + 1):
                    rows[r][c] = value
        out.append((name, rows))
    return out


def _as_openpyxl(value: object) -> object:
    """A calamine cell as openpyxl gives it: "" (blank) -> None, 52.0 -> 52."""
    if type(value) is float and value.is_integer():
        return int(value)
    return None if value == "" else value


def cell_text(value: object) -> str:
    """A cell as stripped text ("" for blank); a date cell as its ISO day; 3.0 as 3."""
    if type(value) is str:  # most cells: the fast path
        return value.strip()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "isoformat"):
        return pd.Timestamp(value).date().isoformat()  # type: ignore[arg-type]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
