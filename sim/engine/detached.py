"""A process that starts on a given event and that no other process waits for.

SimPy's :class:`~simpy.events.Process` costs two events of its own: ``Initialize``, which
starts the generator in a later turn of the event queue, and its own triggering when the
generator returns, processed even if no one waits for it. A project's life from the start of
its procedures needs neither: it begins on an event scheduled anyway (the day its procedures
start, :func:`sim.engine.clock.at`), and nothing yields it. :class:`Detached` resumes the generator
first on that event, and when the generator returns with no callback registered it is marked
processed instead of queued (a later ``yield`` of it goes on at once, as for any processed
event). A failing generator is queued as SimPy does, so its exception surfaces from ``run``.
"""

from __future__ import annotations

from typing import Any

from simpy.events import Event, Process


class Detached(Process):
    """A process whose generator first runs when ``start`` is processed, and whose end costs no event."""

    def __init__(self, env: Any, generator: Any, start: Event) -> None:
        # Process.__init__ without its Initialize event (its attribute set, inlined as SimPy does)
        self.env = env
        self.callbacks: Any = []
        self._generator = generator
        self._target = start
        start.callbacks.append(self._resume)  # type: ignore[union-attr]

    def _resume(self, event: Event) -> None:
        """SimPy's ``Process._resume`` (simpy 4.1, MIT licence), but an end no one waits for is not queued."""
        self.env._active_proc = self  # type: ignore[attr-defined]
        while True:
            try:
                if event._ok:
                    event = self._generator.send(event._value)
                else:
                    event._defused = True  # type: ignore[attr-defined]
                    exc = type(event._value)(*event._value.args)
                    exc.__cause__ = event._value
                    event = self._generator.throw(exc)
            except StopIteration as e:
                self._ok = True
                self._value = e.args[0] if len(e.args) else None
                if self.callbacks:
                    self.env.schedule(self)
                else:
                    self.callbacks = None  # processed: no one waits for it
                event = None  # type: ignore[assignment]
                break
            except BaseException as e:
                self._ok = False
                e.__traceback__ = e.__traceback__.tb_next  # type: ignore[union-attr]
                self._value = e
                self.env.schedule(self)
                event = None  # type: ignore[assignment]
                break
            if event.callbacks is not None:
                event.callbacks.append(self._resume)
                break
        self._target = event
        self.env._active_proc = None  # type: ignore[attr-defined]
