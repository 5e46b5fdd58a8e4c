"""An investor's one waiting budget: the days of queueing it tolerates over all its procedures.

The investor's patience (``walkaway.patience_*``, drawn once per project) covers all of its
waiting in queues, on both chains: land quota, energy quota and the approval offices, one
after the other (the status quo) or land beside energy + permits (拿地即开工). It is spent by
wall-clock time while at least one of the investor's requests waits in a line: two lines at
once cost one day a day, not two, because the investor waits on the calendar (its start is
what it waits for), and a day in which both chains are stuck delays the start by one day.
On a sequential chain this is the sum of the queue waits. The investor leaves (walk cause: the
queue it was in) when the budget runs out, whichever chain runs it out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class WaitingBudget:
    """Days of queue waiting one investor still tolerates (one per project, shared by its chains).

    Attributes
    ----------
    left_days
        Days left on ``since_day`` (or now, while no request waits).
    waiting
        Requests of the investor waiting in a line now.
    since_day
        Model day the current stretch of waiting began (meaningful while ``waiting > 0``).
    """

    left_days: float
    waiting: int = 0
    since_day: float = 0.0

    def left_on(self, day: float) -> float:
        """Days of waiting the investor still tolerates on model ``day`` (now or later, while waiting)."""
        return self.left_days - (day - self.since_day) if self.waiting else self.left_days

    def begin(self, day: float) -> None:
        """A request starts waiting on ``day``: the clock runs from the first of them."""
        if not self.waiting:
            self.since_day = day
        self.waiting += 1

    def end(self, day: float) -> None:
        """A request stops waiting on ``day`` (granted or withdrawn): the clock stops with the last."""
        self.waiting -= 1
        if not self.waiting:
            self.left_days -= day - self.since_day
