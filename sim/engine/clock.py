"""Events at an absolute model day.

``env.timeout(day - env.now)`` fires at ``env.now + (day - env.now)``, which can differ from
``day`` in the last bit. A step whose end is computed ahead by arithmetic (a chain of pure
delays, :mod:`sim.model.processes`) must be met at exactly the day the event path would reach, so
:func:`at` schedules a timeout by its day. It uses the environment's own queue and event
counter, as :meth:`simpy.Environment.schedule` does.
"""

from __future__ import annotations

import heapq

import simpy
from simpy.events import NORMAL


def at(env: simpy.Environment, day: float) -> simpy.Event:
    """A timeout that fires at model ``day`` (not before ``env.now``)."""
    if day < env.now:
        raise ValueError(f"day {day} is before now ({env.now})")
    event = simpy.Event(env)
    event._ok = True
    event._value = None
    heapq.heappush(env._queue, (day, NORMAL, next(env._eid), event))  # type: ignore[attr-defined]
    return event
