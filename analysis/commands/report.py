"""``python -m analysis report <run or multirun dir>``: charts, report.xlsx and report.html."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    """Write the report; return 0, or 2 with a clear message on bad input."""
    from analysis.report.write import write_report

    try:
        emulator = Path(args.emulator) if args.emulator else None
        written = write_report(Path(args.run_dir), force=args.force, emulator=emulator, png=args.png)
    except (ValueError, FileExistsError) as err:
        log.error("%s", err)
        return 2
    log.info("wrote %d files into %s", len(written), args.run_dir)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``report`` command."""
    parser = subparsers.add_parser(
        "report",
        help="charts (SVG; PNG with --png), report.xlsx and report.html for a run or multirun",
        description=__doc__,
    )
    parser.add_argument("run_dir", help="run directory (holds attainment.csv) or multirun directory")
    parser.add_argument("--force", action="store_true", help="replace an existing report.xlsx, report.html and charts/")
    parser.add_argument("--emulator", help="emulator.json of python -m sim.screen: adds the what-if panel and sheets")
    parser.add_argument(
        "--png",
        action="store_true",
        help="also write every chart as a 150-dpi PNG (the page uses SVG; PowerPoint, Keynote, WPS take SVG)",
    )
    parser.set_defaults(func=run)
