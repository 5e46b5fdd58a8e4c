"""``python -m sim.select``: kept as a short name for :mod:`sim.experiments.select` (same command)."""

import sys

from sim.experiments.select import main

if __name__ == "__main__":
    sys.exit(main())
