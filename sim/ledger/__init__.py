"""Project ledgers: the model's recorder and the planners' monthly ledger (一月一通报).

- :mod:`sim.ledger.recorder` — one flat row per simulated project (milestone times).
- :mod:`sim.ledger.io` — the project's ledger template: read, validate, write, map to the model.
"""
