"""What holds a project and why an investor leaves: the codes the model records and the analyses read.

One list each, shared by :mod:`sim.model.recorder` (walk-away causes), :mod:`sim.nowcast.watch`
(what holds a ledger project on 31 December) and :mod:`analysis.watchlist`. Append only: the
codes are stored as indices.
"""

from __future__ import annotations

# Why an investor walked away (the ledger's walk_cause); "none" = stayed.
WAIT_CAUSES: tuple[str, ...] = ("none", "land", "energy", "approvals", "prework", "procedures", "never_proceeds")
# The queues among them: land quota, energy quota, approval offices.
QUEUE_CAUSES: tuple[str, ...] = WAIT_CAUSES[1:4]

# What holds a ledger project on 31 December in a replication (or why it is out), in order:
# it started; it is in pre-work (前期工作: procedures not begun); in a problem (堵点: procedures
# begun, no quota asked for yet); queueing for land quota, energy quota or an approval office;
# in another procedure step (land transfer, energy assessment, file, review, site preparation);
# its investor left after as_of; it was dropped in the ledger already.
BLOCKERS: tuple[str, ...] = (
    "started",
    "prework",
    "problem",
    "land",
    "energy",
    "approvals",
    "procedures",
    "walked",
    "dropped",
)
