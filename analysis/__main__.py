"""``python -m analysis <command> <run or multirun dir>``: planner-facing outputs.

Commands
--------
compare   paired policy comparison of a multirun sweep -> comparison.csv
report    charts (PNG, SVG), report.xlsx and report.html for a run or multirun
drift     probability drift across nowcast ledger dates, and early warning
sensitivity  uncertainty budget (luck and each uncertain input) of a run or sweep
discover  scenario discovery: the input regions where a target is missed (PRIM, CART)

Each command lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``func``; this file only dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMANDS: tuple[str, ...] = (
    "analysis.commands.compare",
    "analysis.commands.report",
    "analysis.commands.drift",
    "analysis.commands.uncertainty",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available command."""
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        try:
            importlib.import_module(module).register(sub)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
