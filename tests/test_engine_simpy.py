"""``sim/engine/`` leans on SimPy 4.1's internals; these tests say which, and fail if SimPy moves.

Three files touch what SimPy does not promise to keep: ``sim/engine/detached.py`` copies
``Process._resume``, ``sim/engine/clock.py`` pushes onto ``env._queue`` with ``env._eid``, and
``sim/engine/resources.py`` builds granted requests by hand (``_granted_request``) and serves
its heaps without SimPy's loops. ``pyproject.toml`` pins ``simpy>=4.1,<4.2`` for them; before
raising the pin, re-check each against the new SimPy and update these tests.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

import simpy
import simpy.events
from simpy.events import NORMAL

from sim.engine.clock import at
from sim.engine.detached import Detached
from sim.engine.resources import HeapPriorityResource, OfficeRequest

RECHECK = (
    "sim/engine/ was written against SimPy 4.1: sim/engine/detached.py copies Process._resume, "
    "sim/engine/clock.py pushes onto env._queue with env._eid, sim/engine/resources.py builds "
    "granted requests (_granted_request) and serves its heaps without SimPy's loops; re-check "
    "them against SimPy {version} before raising the pin in pyproject.toml (simpy>=4.1,<4.2)"
)

# How Detached._resume differs from SimPy 4.1's Process._resume, line by line (indentation,
# comments and docstrings left out): a finished generator is queued only if someone waits for
# it, and the friendly message for a bad yield value is dropped (a bad yield still fails, with
# AttributeError).
RESUME_CHANGES = [
    "- event = None",
    "+ if self.callbacks:",
    "+ else:",
    "+ self.callbacks = None",
    "+ event = None",
    "- event = None",
    "+ event = None",
    "- try:",
    "- except AttributeError:",
    "- if hasattr(event, 'callbacks'):",
    "- raise",
    "- msg = f'Invalid yield value \"{event}\"'",
    "- descr = _describe_frame(self._generator.gi_frame)",
    "- raise RuntimeError(f'\\n{descr}{msg}') from None",
]


def _code_lines(function: Callable[..., Any]) -> list[str]:
    """The statements of ``function``'s body, one per line, stripped (no docstring or comments)."""
    definition = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    assert isinstance(definition, ast.FunctionDef)
    body = definition.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        definition.body = body[1:]
    return [line.strip() for line in ast.unparse(definition).splitlines()[1:]]


def test_simpy_is_the_version_the_engine_was_copied_from() -> None:
    assert simpy.__version__.startswith("4.1."), RECHECK.format(version=simpy.__version__)


def test_detached_resume_is_simpys_process_resume_but_for_its_end() -> None:
    """A SimPy that changes ``Process._resume`` changes this diff: then re-copy it into ``Detached``."""
    ours, theirs = _code_lines(Detached._resume), _code_lines(simpy.events.Process._resume)
    changes = [line for line in difflib.ndiff(theirs, ours) if line[:1] in "+-"]
    assert changes == RESUME_CHANGES, RECHECK.format(version=simpy.__version__)


def test_at_pushes_what_environment_schedule_pushes() -> None:
    """``at(env, day)`` queues the entry ``env.timeout`` would: (time, NORMAL, next id, event)."""
    env = simpy.Environment()
    timeout = env.timeout(5.0)
    event = at(env, 5.0)
    queue: list[tuple[float, int, int, simpy.Event]] = env._queue  # type: ignore[attr-defined]
    assert [entry[:2] for entry in queue] == [(5.0, NORMAL), (5.0, NORMAL)], RECHECK.format(version=simpy.__version__)
    assert queue[1][2] == queue[0][2] + 1
    assert queue[1][3] is event
    order: list[str] = []
    timeout.callbacks.append(lambda _: order.append("timeout"))  # type: ignore[union-attr]
    event.callbacks.append(lambda _: order.append("at"))  # type: ignore[union-attr]
    env.run()
    assert order == ["timeout", "at"]


def test_a_request_granted_at_once_has_the_attributes_simpys_constructor_sets() -> None:
    """``request_at_once`` on a free office builds by hand what ``OfficeRequest(...)`` builds, already granted."""
    made_env, shortcut_env = simpy.Environment(), simpy.Environment()
    made = HeapPriorityResource(made_env, capacity=1).request(0.5, project=3)
    shortcut_office = HeapPriorityResource(shortcut_env, capacity=1)
    shortcut = shortcut_office.request_at_once(0.5, project=3)
    assert isinstance(shortcut, OfficeRequest)
    made_attributes, shortcut_attributes = vars(made), vars(shortcut)
    assert sorted(made_attributes) == sorted(shortcut_attributes), RECHECK.format(version=simpy.__version__)
    for name in ("priority", "preempt", "time", "key", "project", "usage_since", "_ok", "_value"):
        assert made_attributes[name] == shortcut_attributes[name], name
    assert made.triggered
    assert shortcut.triggered
    assert shortcut_office.users == [shortcut]
