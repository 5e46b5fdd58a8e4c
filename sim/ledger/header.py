"""Find the header of an office's ledger: which row (or two rows) names the columns, and in what unit.

The second layer of :mod:`sim.ledger.tolerant`: a title and a unit row (单位：万元) may sit
above the header, and group headings may sit over a second header row. :func:`find_header`
scores the first rows by how many known columns (:mod:`sim.ledger.vocabulary`) they name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sim.ledger.grids import cell_text
from sim.ledger.io import LedgerError, Problem
from sim.ledger.vocabulary import YI_COLUMNS, amount_factor, header_key, normalise

# Offices put one to three rows (title, unit, date) above the header; search a few more
# (assumption: a header below row 20 is not a ledger this reader should guess at).
HEADER_SEARCH_ROWS = 20
MIN_HEADER_COLUMNS = 3  # a header names at least name, sector, investment ... (REQUIRED has 5)


@dataclass(frozen=True)
class Header:
    """Where the header is and what each column holds."""

    first: int  # 0-based index of the (first) header row in the grid
    last: int  # 0-based index of the last header row (second header row, if any)
    columns: dict[str, int]  # column key -> grid column index (first occurrence)
    factors: dict[str, float]  # amount column -> factor to 亿元 (万元 headers)
    ignored: tuple[str, ...]  # known columns the model does not use (序号, 备注 ...)
    unknown: tuple[str, ...]  # headers not in the vocabulary


def find_header(grid: list[list[object]], source: str = "ledger") -> Header:
    """The header row (or two rows: group headings over column names) among the first rows.

    The row, or pair of rows, naming the most known columns wins (the earlier on a tie). A
    pair counts when both rows name at least two columns (a data row or a unit row names
    none). Money columns are in 亿元 unless their header, their group heading or a unit row
    above (单位：万元) names 万元.
    """
    texts = [[cell_text(c) for c in row] for row in grid[: HEADER_SEARCH_ROWS + 1]]
    keyed = [[header_key(t) if t else None for t in row] for row in texts]
    best: tuple[int, int, int, list[str | None]] | None = None
    for h in range(min(HEADER_SEARCH_ROWS, len(texts))):
        candidates = [(h, keyed[h])]
        if h + 1 < len(texts) and min(_score(keyed[h]), _score(keyed[h + 1])) >= 2:  # noqa: PLR2004
            both = [
                second if second is not None else first if first is not None else header_key(a + b)
                for first, second, a, b in zip(keyed[h], keyed[h + 1], texts[h], texts[h + 1], strict=True)
            ]
            candidates.append((h + 1, both))
        for last, keys in candidates:
            if best is None or _score(keys) > best[0]:
                best = (_score(keys), h, last, keys)
    if best is None or best[0] < MIN_HEADER_COLUMNS or "name" not in best[3]:
        found = "; ".join(" | ".join(t for t in row if t) for row in texts[:5])
        allowed = "a header row naming 项目名称 and the other columns (see sim/ledger/vocabulary.py)"
        raise LedgerError(source, [Problem(0, "header", found[:200], allowed)])
    _, first, last, keys = best
    above = [amount_factor(t) for row in texts[:first] for t in row if normalise(t).startswith("单位")]
    default = next((f for f in above if f is not None), 1.0)
    columns: dict[str, int] = {}
    factors: dict[str, float] = {}
    ignored, unknown = [], []
    for j, key in enumerate(keys):
        label = " ".join(dict.fromkeys(t for t in (texts[first][j], texts[last][j]) if t))
        if key is None:
            if label:
                unknown.append(label)
        elif key == "" or key in columns:
            ignored.append(label)
        else:
            columns[key] = j
            own = [amount_factor(t) for t in (texts[last][j], texts[first][j])]
            factors[key] = next((f for f in own if f is not None), default) if key in YI_COLUMNS else 1.0
    return Header(first, last, columns, factors, tuple(dict.fromkeys(ignored)), tuple(dict.fromkeys(unknown)))


def _score(keys: Iterable[str | None]) -> int:
    return len({k for k in keys if k})
