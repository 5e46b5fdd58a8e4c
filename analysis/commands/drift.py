"""``python -m analysis drift <run dir or attainment.csv> ...``: drift chart and early warning.

Reads the ``attainment.csv`` of nowcast runs at several ledger dates and writes, into
``--out`` (a new directory): ``drift.csv``, ``early_warning.csv`` (UTF-8 with BOM) and
``drift.png``. The terminal lists the early warning.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from analysis.drift import WARNING_THRESHOLD, drift_table, early_warning, plot_drift, read_attainment


def register(subparsers: Any) -> None:
    """Add the ``drift`` command."""
    p = subparsers.add_parser("drift", help="probability drift across nowcast ledger dates, and early warning")
    p.add_argument("runs", nargs="+", help="nowcast run directories (or their attainment.csv)")
    p.add_argument("--threshold", type=float, default=WARNING_THRESHOLD, help="warn below this P(attain)")
    p.add_argument("--out", default="drift", help="new output directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the drift table, the early warning and the chart."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(args.out)
    if out.exists():
        sys.stderr.write(f"{out} exists; choose a new --out directory\n")
        return 2
    paths = [Path(r) / "attainment.csv" if Path(r).is_dir() else Path(r) for r in args.runs]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        expected = "expected nowcast run directories or their attainment.csv"
        sys.stderr.write(f"no such file: {', '.join(missing)}; {expected}\n")
        return 2
    try:
        drift = drift_table(read_attainment(paths))
    except (ValueError, UnicodeDecodeError) as err:  # pandas' parser errors are ValueErrors
        sys.stderr.write(f"{str(err).splitlines()[0] if str(err) else err!r}\n")
        return 2
    warning = early_warning(drift, threshold=args.threshold)
    out.mkdir(parents=True)
    drift.to_csv(out / "drift.csv", index=False, encoding="utf-8-sig")
    warning.to_csv(out / "early_warning.csv", index=False, encoding="utf-8-sig")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    plot_drift(drift, threshold=args.threshold, ax=ax)
    fig.savefig(out / "drift.png", dpi=120, bbox_inches="tight")
    lines = [f"early warning: P(attain) < {args.threshold:.0%} on the latest ledger date"]
    lines += [
        f"  {r.label_zh} {r.label_en}: {r.p_attain:.0%} (change {r.change:+.0%})"
        for r in warning.itertuples(index=False)
    ]
    sys.stdout.write("\n".join(lines) + f"\nwrote {out}/drift.csv, early_warning.csv, drift.png\n")
    return 0
