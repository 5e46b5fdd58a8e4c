"""SimPy resources whose waiting line is a binary heap.

SimPy's ``PriorityResource`` keeps its queue in a list that is re-sorted on every request,
and ``simpy.Container`` serves gets strictly first-come-first-served. A city with thousands
of projects waiting for land needs a priority line that stays O(log n) per request, so the
two classes here plug a heap (:class:`HeapQueue`) into SimPy's own queue protocol. SimPy
only ever touches the head of these queues (index 0), which is what makes a heap valid.
"""

from __future__ import annotations

import heapq
import itertools
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import simpy
from simpy.core import BoundClass
from simpy.resources.container import ContainerGet
from simpy.resources.resource import PriorityRequest


class HeapQueue:
    """A priority queue with the list interface SimPy's resources use (head-only access)."""

    def __init__(self) -> None:
        self._heap: list[tuple[Any, int, Any]] = []
        self._seq = itertools.count()
        self.latest: Any = None

    def append(self, item: Any) -> None:
        """Add ``item``; it is served by ``item.key`` ascending, ties first-come."""
        heapq.heappush(self._heap, (item.key, next(self._seq), item))
        self.latest = item

    def entries(self) -> list[tuple[Any, int, Any]]:
        """Every entry, in service order, leaving the queue as it is."""
        return sorted(self._heap)

    def drain(self) -> list[tuple[Any, int, Any]]:
        """Remove and return every entry, in service order."""
        entries, self._heap = sorted(self._heap), []
        return entries

    def refill(self, entries: list[tuple[Any, int, Any]]) -> None:
        """Put back entries that are already in service order (a sorted list is a heap)."""
        self._heap = entries

    def __getitem__(self, idx: int) -> Any:
        if idx != 0:
            raise IndexError("HeapQueue only exposes its head")
        return self._heap[0][2]

    def pop(self, idx: int = 0) -> Any:
        """Remove and return the head."""
        if idx != 0:
            raise IndexError("HeapQueue only pops its head")
        return heapq.heappop(self._heap)[2]

    def rekey(self, key_of: Any) -> None:
        """Re-order the line under a new rule: ``key_of(item)`` is each item's new key.

        Used when the service rule changes (the campaign launch): every waiting item is then
        ranked by the rule in force, so the backlog and new requests share one key.
        """
        for entry_item in [entry[2] for entry in self._heap]:
            entry_item.key = key_of(entry_item)
        self._heap = sorted((entry[2].key, entry[1], entry[2]) for entry in self._heap)

    def remove(self, item: Any) -> None:
        """Remove ``item`` (a cancelled request); O(n) in C, used only when an investor leaves.

        The entry is found by ``list.index`` (identity first, at C speed), not a Python loop.
        """
        keyed = list(map(operator.itemgetter(2), self._heap))
        try:
            i = keyed.index(item)
        except ValueError:
            raise ValueError("item not in queue") from None
        last = self._heap.pop()
        if i < len(self._heap):
            self._heap[i] = last
            heapq.heapify(self._heap)

    def __len__(self) -> int:
        return len(self._heap)


class PriorityGet(ContainerGet):
    """A request for ``amount`` from a :class:`PriorityContainer`, served by ``priority``."""

    def __init__(self, container: PriorityContainer, amount: float, priority: float, project: int = -1) -> None:
        self.key = priority
        self.project = project
        super().__init__(container, amount)


class OfficeRequest(PriorityRequest):
    """A request for a server of a :class:`HeapPriorityResource`: smaller ``priority`` first.

    SimPy's ``PriorityRequest`` with the requester, ``project``, carried as a field (as
    :class:`PriorityGet` carries it), so a change of priority rule can rank the waiting line
    by project.
    """

    def __init__(
        self, resource: HeapPriorityResource, priority: float = 0, preempt: bool = True, project: int = -1
    ) -> None:
        self.project = project
        super().__init__(resource, priority, preempt)  # type: ignore[arg-type]  # SimPy types priority as int


# A request a process may wait on and withdraw: a quota get or an office request.
QueuedRequest = PriorityGet | OfficeRequest


class PriorityContainer(simpy.Container):
    """A ``simpy.Container`` (a quota such as land in 亩) whose gets wait in priority order.

    Use ``get(amount, priority)``; smaller priority first. Two allocation rules:

    - ``first_fit=True`` (the status quo): the office serves, in priority order, every
      request that the level covers; a request too large for what is left waits without
      holding up smaller ones. A new request is served at once if it fits, since after
      every allocation no waiting request fits.
    - ``first_fit=False`` (reserve for the head, 差别化供给): the head of the line blocks
      those behind it until the level covers it, so quota accumulates for the largest.
    """

    GetQueue = HeapQueue  # type: ignore[assignment]
    if TYPE_CHECKING:

        def get(self, amount: float, priority: float, project: int = -1) -> PriorityGet:  # type: ignore[override]
            """Request ``amount``; smaller ``priority`` is served first; ``project`` names the requester."""
            ...
    else:
        get = BoundClass(PriorityGet)

    def __init__(self, env: simpy.Environment, init: float = 0.0, *, first_fit: bool = False) -> None:
        super().__init__(env, capacity=float("inf"), init=init)
        self.first_fit = first_fit
        self.added = float(init)
        self.granted = 0.0
        self.lapsed = 0.0
        self.returned = 0.0
        self.idle = 0.0
        self.recovered = 0.0

    def take_at_once(self, amount: float, priority: float) -> bool:
        """Grant ``amount`` now if a request for it made now would be served the moment it is made.

        The same rule as ``get`` followed by the scan it triggers (first fit: it fits; head of
        the line: it would be the head, ahead of every waiting request, and it fits; the line
        stays as it is, since after every scan its head does not fit), without creating the
        request: most quota requests are granted at once, and a request object is a dozen
        Python calls. Returns False, taking nothing, when the request would have to wait.
        """
        if amount > self._level:
            return False
        if not self.first_fit:
            heap = cast(HeapQueue, self.get_queue)._heap
            if heap and not priority < heap[0][0]:  # ties go to the earlier request
                return False
        self._take(amount)
        return True

    def _take(self, amount: float) -> None:
        """Move ``amount`` from the stock to the granted total (every grant, with or without a request)."""
        self._level -= amount
        self.granted += amount

    def give_back(self, amount: float) -> None:
        """Return ``amount`` granted earlier (its project left before using it); waiting requests are served."""
        self._level += amount
        self.returned += amount
        self._scan()

    def lie_idle(self, amount: float) -> None:
        """Record ``amount`` granted and delivered to a project that left: idle, not back in the pool."""
        self.idle += amount

    def recover_idle(self, amount: float) -> None:
        """Put ``amount`` of idle quota back into the pool (recovered idle land); serve the line."""
        self._level += amount
        self.recovered += amount
        self._scan()

    def lapse(self, share: float) -> None:
        """Withdraw ``share`` of the unused level (annual quota that is not carried over)."""
        amount = self._level * share
        self._level -= amount
        self.lapsed += amount

    @property
    def waiting(self) -> int:
        """Requests still waiting (served entries may linger in the heap until the next scan)."""
        queue: HeapQueue = self.get_queue  # type: ignore[assignment]
        return len(self._live(queue))

    @staticmethod
    def _live(queue: HeapQueue) -> list[tuple[Any, int, Any]]:
        return [entry for entry in queue.entries() if not entry[2].triggered]

    def set_first_fit(self, first_fit: bool) -> None:
        """Switch the allocation rule (at the campaign launch) and serve what the new rule allows."""
        queue: HeapQueue = self.get_queue  # type: ignore[assignment]
        queue.refill(self._live(queue))
        self.first_fit = first_fit
        self._scan()

    def rekey(self, key_of: Callable[[PriorityGet], float]) -> None:
        """Rank every waiting request by ``key_of(request)`` (a new priority rule), then serve."""
        queue: HeapQueue = self.get_queue  # type: ignore[assignment]
        queue.refill(self._live(queue))
        queue.rekey(key_of)
        self._scan()

    def _do_put(self, event: Any) -> bool | None:
        """Add the tranche and serve waiting requests at once, in priority order.

        SimPy serves waiting gets only when the put event is processed (a callback later in
        the same instant); a lower-priority get made in between would find the new level
        first. Scanning here keeps priority order within the instant.
        """
        self.added += event.amount
        done = super()._do_put(event)
        self._scan()
        return done

    def _scan(self) -> None:
        """Serve the waiting line under the rule in force (full scan)."""
        self._trigger_get(self)

    def _grant(self, event: Any, *, at_once: bool = False) -> None:
        """Hand ``event.amount`` to a request; ``at_once``: the request is being made right now.

        A request granted the moment it is made is marked triggered without a turn in the
        event queue: its requester sees it triggered and does not wait (no callback would
        run but the container's own put check, which has nothing to do at infinite
        capacity), so it costs no event.
        """
        self._take(event.amount)
        if at_once:
            event._ok, event._value = True, None
        else:
            event.succeed()

    def _trigger_get(self, put_event: Any) -> None:
        """Serve waiting requests: first fit in priority order, or the head of the line only.

        The head-of-line loop is SimPy's ``BaseResource._trigger_get`` with
        ``Container._do_get``, written on the heap directly: it runs on every quota request
        and every monthly release, and the generic loop's ``len()``/``[0]``/``pop(0)``
        protocol calls were a tenth of a replication's time (profiled with pyinstrument).
        """
        queue = cast(HeapQueue, self.get_queue)
        if not self.first_fit:
            heap = queue._heap
            while heap:
                event = heap[0][2]
                if self._level < event.amount:
                    return
                heapq.heappop(heap)
                self._grant(event, at_once=put_event is None and event is queue.latest)
            return
        if put_event is None:  # a new request: only it can newly fit
            event = queue.latest
            if event is not None and not event.triggered and event.amount <= self._level:
                self._grant(event, at_once=True)  # served; its heap entry is dropped at the next scan
            return
        waiting = []
        for entry in queue.drain():
            event = entry[2]
            if event.triggered:
                continue
            if event.amount <= self._level:
                self._grant(event)
            else:
                waiting.append(entry)
        queue.refill(waiting)


class HeapPriorityResource(simpy.Resource):
    """A ``simpy.Resource`` (e.g. approval offices) served in priority order via a heap.

    Two shortcuts keep the event queue short without changing who is served when: a request
    made with :meth:`request_at_once` that finds a server free is served the moment it is made
    (marked triggered, no turn in the event queue: its requester checks ``triggered`` and goes
    on; ``request`` keeps SimPy's semantics), and :meth:`free` releases a server with no event
    when no one waits (SimPy's ``Release`` event would only run a callback that finds the line
    empty).
    """

    _at_once = False  # set while request_at_once makes its request

    def set_capacity(self, capacity: int) -> None:
        """Change the number of servers; added servers start serving the queue at once."""
        self._capacity = capacity
        while self.put_queue and len(self.users) < capacity:
            self._admit(at_once=False)

    def rekey(self, key_of: Callable[[OfficeRequest], tuple[float, float, bool]]) -> None:
        """Rank every waiting request by ``key_of(request)`` (a new priority rule)."""
        cast(HeapQueue, self.put_queue).rekey(key_of)

    PutQueue = HeapQueue  # type: ignore[assignment]
    if TYPE_CHECKING:

        def request(self, priority: float = 0, preempt: bool = True, project: int = -1) -> OfficeRequest:
            """Request a server; smaller ``priority`` is served first; ``project`` names the requester."""
            ...
    else:
        request = BoundClass(OfficeRequest)

    def request_at_once(self, priority: float, project: int = -1) -> OfficeRequest:
        """Request a server; if one is free it is granted now, with no event: check ``triggered`` before yielding.

        A request that would be served the moment it is made (a server free and no waiting
        request ahead of it: ties go to the earlier) is made already granted, without SimPy's
        passage through the waiting line (most files find an office free).
        """
        key = (priority, self._env.now, False)  # PriorityRequest's key: (priority, time, not preempt)
        heap = cast(HeapQueue, self.put_queue)._heap
        if len(self.users) < self._capacity and (not heap or key < heap[0][0]):
            return self._granted_request(priority, key, project)
        self._at_once = True
        try:
            return self.request(priority, project=project)
        finally:
            self._at_once = False

    def _granted_request(self, priority: float, key: tuple[float, float, bool], project: int) -> OfficeRequest:
        """A request made now and granted now: the attributes the constructors set, already triggered."""
        request = OfficeRequest.__new__(OfficeRequest)
        simpy.Event.__init__(request, self._env)
        request.project = project
        request.priority, request.key = priority, key  # type: ignore[assignment]  # SimPy types priority as int
        request.preempt, request.time = True, key[1]
        request.resource, request.proc = self, self._env.active_process
        request._ok, request._value = True, None
        request.usage_since = self._env.now
        self.users.append(request)
        return request

    def free(self, request: OfficeRequest) -> None:
        """Release the server ``request`` holds: SimPy's ``release`` when requests wait, else no event."""
        if self.put_queue:
            self.release(request)
        else:
            self.users.remove(request)

    def _trigger_put(self, get_event: Any) -> None:
        """Admit the head of the line if a server is free (one per call, as SimPy's loop does).

        Equivalent to ``BaseResource._trigger_put`` with ``Resource._do_put``, which stops
        after the head whatever happens, written on the heap directly for speed. Called with
        ``None`` by a request being made; one of :meth:`request_at_once` is served at once if
        it is the one admitted.
        """
        self._admit(at_once=get_event is None and self._at_once)

    def _admit(self, *, at_once: bool) -> None:
        """Serve the head of the line if a server is free; ``at_once``: without an event if it is the newest request."""
        queue = cast(HeapQueue, self.put_queue)
        heap = queue._heap
        if heap and len(self.users) < self.capacity:
            event = heapq.heappop(heap)[2]
            self.users.append(event)
            event.usage_since = self._env.now
            if at_once and event is queue.latest:
                event._ok, event._value = True, None
            else:
                event.succeed()
