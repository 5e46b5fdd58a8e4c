"""``python -m sim.tune``: kept as a short name for :mod:`sim.experiments.tune` (same command)."""

import sys

from sim.experiments.tune import main

if __name__ == "__main__":
    sys.exit(main())
