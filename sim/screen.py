"""``python -m sim.screen``: kept as a short name for :mod:`sim.experiments.screen` (same command)."""

import sys

from sim.experiments.screen import main

if __name__ == "__main__":
    sys.exit(main())
