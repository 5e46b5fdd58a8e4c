"""Preview a ledger before a run: read it as the nowcast would, say what was read, write nothing over.

:func:`check_ledger` reads an office's ledger (:func:`sim.ledger.tolerant.read_office_ledger`),
then writes two new files next to it: the account of every source row
(``<name>_ledger_read.csv``) and the projects read, cleaned into the template's layout
(``<name>_cleaned.csv``, which the strict reader accepts as it is). A name already taken gets
``_2``, ``_3`` ... : nothing is ever written over.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cityplan.units import HUAIAN_UNITS
from sim.ledger.io import COLUMNS, SECTOR_ZH, STAGES, write_ledger
from sim.ledger.tolerant import STATUSES, LedgerRead, read_office_ledger

SUM_MISMATCH = "SUM MISMATCH"


@dataclass(frozen=True)
class CheckResult:
    """What a check read and wrote, and how long the reading took (seconds)."""

    read: LedgerRead
    account_path: Path
    cleaned_path: Path
    seconds: float


def free_path(path: Path) -> Path:
    """``path`` if nothing is there, else the first free ``<stem>_2<suffix>``, ``_3`` ..."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}_{n}{path.suffix}")
    return candidate


def cleaned_for_planners(cleaned: pd.DataFrame) -> pd.DataFrame:
    """The cleaned text ledger in the template's columns; sector, stage and unit in Chinese."""
    names = {u.key: u.name_zh for u in HUAIAN_UNITS}
    out = cleaned[[k for k, _ in COLUMNS]].copy()
    for column, zh in (("unit", names), ("sector", SECTOR_ZH), ("stage", STAGES)):
        out[column] = out[column].map(lambda k, zh=zh: zh.get(k, k))
    return out


def check_ledger(path: str | Path, *, as_of: str | None = None) -> CheckResult:
    """Read ``path`` tolerantly and write its account and cleaned ledger beside it (new files).

    Parameters
    ----------
    path
        The office's ledger, CSV or XLSX; only read.
    as_of
        ISO date the ledger describes (dates after it are refused), or None.
    """
    path = Path(path)
    start = time.perf_counter()
    got = read_office_ledger(path, as_of=as_of)
    seconds = time.perf_counter() - start
    account_path = free_path(path.with_name(f"{path.stem}_ledger_read.csv"))
    got.account.to_csv(account_path, index=False, encoding="utf-8-sig")
    cleaned_path = free_path(path.with_name(f"{path.stem}_cleaned.csv"))
    write_ledger(cleaned_for_planners(got.cleaned), cleaned_path)
    return CheckResult(got, account_path, cleaned_path, seconds)


def summarise_account(account: pd.DataFrame, *, limit: int = 10) -> str:
    """Counts by status, the first refused rows, sum mismatches and where assumptions were made."""
    counts = account["status"].value_counts()
    lines = ["rows: " + ", ".join(f"{s} {int(counts.get(s, 0))}" for s in STATUSES)]
    sections = (
        ("refused", account["status"] == "refused"),
        ("sum checks", account["reason"].str.contains(SUM_MISMATCH, regex=False)),
        ("assumed", account["status"] == "assumed"),
    )
    for title, mask in sections:
        picked = account[mask]
        if picked.empty:
            continue
        more = f" (first {limit} of {len(picked)})" if len(picked) > limit else ""
        lines.append(f"{title}{more}:")
        lines += [f"  row {r.source_row}: {r.reason}" for r in picked.head(limit).itertuples()]
    return "\n".join(lines)
