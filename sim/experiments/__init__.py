"""Designs that drive the model: cells, screens, selection with a guarantee, tuning, what it takes.

- :mod:`sim.experiments.cells` -- a cell (scenario + levers) and its replications on workers;
- :mod:`sim.experiments.design` -- two-level fractional factorial designs (resolution >= V);
- :mod:`sim.experiments.screen` -- ``python -m sim.screen``: main effects and interactions;
- :mod:`sim.experiments.kn` -- the KN procedure (Kim & Nelson) for ranking and selection;
- :mod:`sim.experiments.select` -- ``python -m sim.select``: the cheapest feasible package;
- :mod:`sim.experiments.tune` -- ``python -m sim.tune``: continuous lever intensities (Optuna);
- :mod:`sim.experiments.what_it_takes` -- ``python -m sim.what_it_takes``: screen, then select.
"""
