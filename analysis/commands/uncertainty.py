"""``python -m analysis sensitivity`` and ``discover``: the uncertainty budget and scenario discovery."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from analysis.report.budget import budget_run, effects, goals, input_units, prior_labels, run_dirs
from cityplan.files import refuse_overwrite

log = logging.getLogger(__name__)


def run_sensitivity(args: argparse.Namespace) -> int:
    """The ``sensitivity`` command."""
    root = Path(args.path)
    dirs = run_dirs(root)
    if not dirs:
        log.error("no kpis.parquet below %s: is it a run or multirun directory?", root)
        return 2
    outputs = [d / name for d in dirs for name in ("sensitivity.csv", "value_of_information.csv")]
    if args.baseline:
        outputs += [root / "sensitivity_effects.csv", root / "effect_payoff.csv"]
    try:
        refuse_overwrite(outputs, force=args.force, hint="pass --force to replace it")
    except FileExistsError as err:
        log.error("%s", err)
        return 2
    for d in dirs:
        budget_run(d, n_boot=args.n_boot, charts=not args.no_charts)
    if args.baseline:
        try:
            effects(root, args.baseline, n_boot=args.n_boot)
        except ValueError as err:
            log.error("%s", err)
            return 2
    return 0


def run_discover(args: argparse.Namespace) -> int:
    """The ``discover`` command."""
    from analysis.report.discovery import discover_run

    run = Path(args.run_dir)
    if not (run / "kpis.parquet").exists():
        log.error("%s holds no kpis.parquet", run)
        return 2
    try:
        refuse_overwrite([run / "boxes.csv"], force=args.force, hint="pass --force to replace it")
        discover_run(
            run,
            list(args.target or []),
            goals(run),
            prior_labels(run),
            charts=not args.no_charts,
            units=input_units(run),
        )
    except (ValueError, FileExistsError) as err:
        log.error("%s", err)
        return 2
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``sensitivity`` and ``discover`` commands."""
    p = sub.add_parser("sensitivity", help="uncertainty budget: luck and each uncertain input, per target")
    p.add_argument("path", help="run or multirun directory (run with uncertainty=evidence)")
    p.add_argument("--baseline", default="", help="in a sweep: also the budget of each policy's paired effect")
    p.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples for the intervals")
    p.add_argument("--no-charts", action="store_true", help="tables only")
    p.add_argument("--force", action="store_true", help="replace the budget files of an earlier run of this command")
    p.set_defaults(func=run_sensitivity)
    d = sub.add_parser("discover", help="scenario discovery: the input regions where a target is missed")
    d.add_argument("run_dir", help="run directory (run with uncertainty=evidence)")
    d.add_argument("--target", action="append", help="target key (repeatable); default: every at-risk target")
    d.add_argument("--no-charts", action="store_true", help="tables only")
    d.add_argument("--force", action="store_true", help="replace boxes.csv of an earlier run of this command")
    d.set_defaults(func=run_discover)
