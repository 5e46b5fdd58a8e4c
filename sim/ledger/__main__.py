"""``python -m sim.ledger check <file> [--as-of DATE]``: preview a ledger without a simulation."""

from __future__ import annotations

import argparse
import logging
import sys

from sim.ledger.check import check_ledger, summarise_account
from sim.ledger.io import LedgerError


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, check the ledger, write the summary to stdout; 1 if unreadable."""
    parser = argparse.ArgumentParser(prog="python -m sim.ledger", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="read a ledger as the nowcast would and account for every row")
    check.add_argument("ledger", help="the office's ledger, .csv or .xlsx (never modified)")
    check.add_argument("--as-of", default=None, help="ISO date the ledger describes; later dates are refused")
    check.add_argument("--limit", type=int, default=10, help="how many rows of each kind to show (default 10)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = check_ledger(args.ledger, as_of=args.as_of)
    except LedgerError as err:
        sys.stderr.write(f"gongjian: cannot read the ledger: {err}\n")
        return 1
    sys.stdout.write(
        f"{args.ledger}: {len(result.read.ledger)} projects read in {result.seconds:.2f} s\n"
        f"{summarise_account(result.read.account, limit=args.limit)}\n"
        f"account of every row: {result.account_path}\n"
        f"cleaned ledger (template layout): {result.cleaned_path}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
