"""``python -m analysis compare <multirun dir> --baseline status_quo`` -> comparison.csv."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import pandas as pd

from analysis.compare import compare_cells, levers_summary
from cityplan.files import refuse_overwrite
from cityplan.targets import TARGET_COLUMNS

log = logging.getLogger(__name__)

HEADLINE = "start_rate_same_year"


def load_cells(sweep_dir: Path) -> dict[tuple[str, str], pd.DataFrame]:
    """Read every job's ``kpis.parquet`` below ``sweep_dir``, keyed by (scenario, policy)."""
    cells: dict[tuple[str, str], pd.DataFrame] = {}
    for path in sorted(sweep_dir.rglob("kpis.parquet")):
        kpis = pd.read_parquet(path)
        key = (str(kpis["scenario"].iloc[0]), str(kpis["policy"].iloc[0]))
        if key in cells:
            raise ValueError(f"two jobs in {sweep_dir} are the same cell {key}: {path}")
        cells[key] = kpis
    if not cells:
        raise ValueError(f"no kpis.parquet below {sweep_dir}: is it a run or multirun directory?")
    return cells


def load_targets(sweep_dir: Path) -> dict[tuple[str, str], pd.DataFrame]:
    """Each job's plan as its ``attainment.csv`` states it (goals as run), keyed by cell."""
    out: dict[tuple[str, str], pd.DataFrame] = {}
    for path in sorted(sweep_dir.rglob("attainment.csv")):
        att = pd.read_csv(path, encoding="utf-8-sig")
        if "direction" not in att.columns:  # runs from before plans had directions
            att["direction"] = "at_least"
        out[(str(att["scenario"].iloc[0]), str(att["policy"].iloc[0]))] = att[list(TARGET_COLUMNS)]
    return out


def run(args: argparse.Namespace) -> int:
    """Write comparison.csv and lever_effects.csv into the sweep directory; log the headline."""
    sweep = Path(args.sweep_dir)
    out = Path(args.out) if args.out else sweep / "comparison.csv"
    try:
        refuse_overwrite([out, out.with_name("lever_effects.csv")], force=args.force)
    except FileExistsError as err:
        log.error("%s", err)
        return 2
    try:
        cells = load_cells(sweep)
        targets = load_targets(sweep)
        if missing := sorted(set(cells) - set(targets)):
            raise ValueError(f"no attainment.csv (the plan's goals) beside the kpis of {missing}")
        comparison = compare_cells(cells, args.baseline, targets, level=args.level)
    except ValueError as err:
        log.error("%s", err)
        return 2
    comparison.to_csv(out, index=False, encoding="utf-8-sig")
    levers_summary(comparison).to_csv(out.with_name("lever_effects.csv"), index=False, encoding="utf-8-sig")
    head = comparison[comparison["target"] == HEADLINE].sort_values("p_attain_diff", ascending=False)
    lines = [f"Change in P(start rate >= 50%) vs {args.baseline} (paired, Newcombe 95% CI):"]
    lines += [
        f"  {r.scenario}/{r.policy}: {r.p_attain_baseline:.0%} -> {r.p_attain_policy:.0%} "
        f"({r.p_attain_diff:+.0%} [{r.p_attain_diff_low:+.0%}, {r.p_attain_diff_high:+.0%}]); "
        f"start rate {r.mean_diff:+.1%} [{r.diff_low:+.1%}, {r.diff_high:+.1%}]"
        for r in head.itertuples(index=False)
    ]
    sys.stdout.write("\n".join(lines) + f"\nwrote {out}\n")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``compare`` command."""
    p = sub.add_parser("compare", help="paired comparison of a policy sweep against a baseline")
    p.add_argument("sweep_dir", help="multirun directory (one sub-directory per scenario x policy job)")
    p.add_argument("--baseline", default="status_quo", help="baseline policy (or scenario) name")
    p.add_argument("--level", type=float, default=0.95, help="confidence level of the intervals")
    p.add_argument("--out", default="", help="output CSV (default: <sweep_dir>/comparison.csv; must not exist)")
    p.add_argument("--force", action="store_true", help="replace an existing comparison.csv and lever_effects.csv")
    p.set_defaults(func=run)
