"""``python -m sim.calibrate``: kept as a short name for :mod:`sim.ledger.calibrate` (same command)."""

import sys

from sim.ledger.calibrate import main

if __name__ == "__main__":
    sys.exit(main())
