"""Project ledgers: the model's recorder and the planners' monthly ledger (一月一通报).

- :mod:`sim.model.recorder` — one flat row per simulated project (milestone times).
- :mod:`sim.ledger.io` — the project's ledger template: read, validate, write, map to the model.
- :mod:`sim.ledger.tolerant` — a ledger as an office sends it, with an account of every row
  (:mod:`sim.ledger.grids`: the file as cells; :mod:`sim.ledger.header`: which row names
  which column; :mod:`sim.ledger.vocabulary`: the words offices use; :mod:`sim.ledger.dates`:
  their dates).
- :mod:`sim.ledger.check` — ``python -m sim.ledger check``: the same reading, no simulation.
- :mod:`sim.ledger.office` — write a ledger in an office's layout (round trips, bench).
"""
