"""Many replications of one cell: randomness, parameters, one replication, the study, its tables.

This package owns randomness (:mod:`sim.run.rng`: one root seed, a named stream per source)
and the parameter draws (:mod:`sim.run.parameters`); :mod:`sim.run.replication` is the one
lifecycle of a replication (plain or nowcast), :mod:`sim.run.study` runs a cell's replications
on a backend (:mod:`sim.run.backends`), resumably (:mod:`sim.run.parts`) and to a precision
(:mod:`sim.run.precision`); :mod:`sim.run.tables` assembles the tidy long tables.
"""
