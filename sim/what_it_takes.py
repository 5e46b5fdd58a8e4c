"""``python -m sim.what_it_takes``: kept as a short name for :mod:`sim.experiments.what_it_takes` (same command)."""

import sys

from sim.experiments.what_it_takes import main

if __name__ == "__main__":
    sys.exit(main())
