"""The heap-ordered SimPy resources: priority order, ties first-come, cancellation."""

from __future__ import annotations

import simpy

from sim.engine.resources import HeapPriorityResource, OfficeRequest, PriorityContainer


def test_container_serves_by_priority_then_arrival() -> None:
    env = simpy.Environment()
    pool = PriorityContainer(env, init=0.0)
    served: list[str] = []

    def want(name: str, amount: float, priority: float, delay: float):  # type: ignore[no-untyped-def]
        yield env.timeout(delay)
        yield pool.get(amount, priority)
        served.append(name)

    for name, amount, priority, delay in [("a", 5, 2.0, 0), ("b", 5, 1.0, 1), ("c", 5, 1.0, 2), ("d", 5, 0.5, 3)]:
        env.process(want(name, amount, priority, delay))

    def supply():  # type: ignore[no-untyped-def]
        yield env.timeout(10)
        for _ in range(4):
            yield pool.put(5)
            yield env.timeout(1)

    env.process(supply())
    env.run()
    assert served == ["d", "b", "c", "a"]
    assert pool.granted == 20.0
    assert pool.added == 20.0


def test_cancelled_request_leaves_the_line() -> None:
    env = simpy.Environment()
    pool = PriorityContainer(env, init=0.0)
    first = pool.get(10.0, 0.0)
    second = pool.get(1.0, 1.0)
    first.cancel()
    assert len(pool.get_queue) == 1
    pool.put(1.0)
    env.run()
    assert second.triggered
    assert not first.triggered


def test_head_of_line_blocks_until_covered() -> None:
    env = simpy.Environment()
    pool = PriorityContainer(env, init=3.0)
    big = pool.get(5.0, 0.0)
    small = pool.get(1.0, 1.0)
    env.run()
    assert not big.triggered
    assert not small.triggered  # the quota office allocates in order
    pool.put(2.0)
    env.run()
    assert big.triggered
    assert not small.triggered
    assert pool.level == 0.0


def test_priority_resource_order_and_capacity_change() -> None:
    env = simpy.Environment()
    offices = HeapPriorityResource(env, capacity=1)
    order: list[int] = []

    def file(i: int, priority: float):  # type: ignore[no-untyped-def]
        with offices.request(priority=priority) as req:
            yield req
            order.append(i)
            yield env.timeout(10)

    for i, prio in enumerate([5.0, 3.0, 4.0, 1.0]):
        env.process(file(i, prio))
    env.run(until=1)
    assert order == [0]
    offices.set_capacity(2)
    env.run(until=2)
    assert order == [0, 3]
    env.run()
    assert order == [0, 3, 1, 2]


def test_first_fit_serves_what_fits_without_blocking() -> None:
    env = simpy.Environment()
    pool = PriorityContainer(env, init=3.0, first_fit=True)
    big = pool.get(5.0, 0.0)
    small = pool.get(1.0, 1.0)
    env.run()
    assert not big.triggered
    assert small.triggered  # a small request is not held up by a big one
    assert pool.level == 2.0
    assert pool.waiting == 1
    pool.put(2.0)  # level 4: still short of 5
    later = pool.get(4.0, 2.0)
    env.run()
    assert not big.triggered
    assert later.triggered
    pool.put(5.0)
    env.run()
    assert big.triggered
    assert pool.waiting == 0
    assert pool.granted == 10.0


def test_put_serves_waiting_line_before_a_new_request_of_the_same_instant() -> None:
    """A tranche released at t goes to the waiting high-priority request, not to a lower one asked at t."""
    env = simpy.Environment()
    pool = PriorityContainer(env, init=0.0, first_fit=True)
    high = pool.get(5.0, 0.0)
    order: list[str] = []
    high.callbacks.append(lambda _e: order.append("high"))

    def same_instant():  # type: ignore[no-untyped-def]
        yield env.timeout(1)
        pool.put(5.0)
        low = pool.get(5.0, 1.0)  # lower priority, asked after the put in the same instant
        yield env.timeout(0)
        order.append("low" if low.triggered else "low waits")

    env.process(same_instant())
    env.run()
    assert high.triggered
    assert order == ["high", "low waits"]
    assert pool.level == 0.0


def test_switch_to_first_fit_serves_requests_that_now_fit() -> None:
    env = simpy.Environment()
    pool = PriorityContainer(env, init=3.0, first_fit=False)
    big = pool.get(5.0, 0.0)
    small = pool.get(1.0, 1.0)
    env.run()
    assert not small.triggered  # held behind the head
    pool.set_first_fit(True)
    env.run()
    assert small.triggered  # the line is rescanned at the switch, not at the next release
    assert not big.triggered
    assert pool.level == 2.0


def test_give_back_returns_quota_and_serves_the_line() -> None:
    env = simpy.Environment()
    pool = PriorityContainer(env, init=5.0, first_fit=True)
    first = pool.get(5.0, 0.0)
    second = pool.get(4.0, 1.0)
    env.run()
    assert first.triggered
    assert not second.triggered
    pool.give_back(5.0)  # the first project left before using its quota
    env.run()
    assert second.triggered
    assert pool.returned == 5.0
    assert pool.level == 1.0
    assert pool.added - pool.granted + pool.returned - pool.lapsed == pool.level


def test_rekey_ranks_the_backlog_with_new_requests() -> None:
    """After a rule change, old and new requests share one key: the backlog is re-ranked."""
    env = simpy.Environment()
    pool = PriorityContainer(env, init=0.0, first_fit=True)
    sizes = {0: 1.0, 1: 80.0}  # project -> investment
    old_small = pool.get(1.0, 700.0, project=0)  # fifo key: arrival day
    old_big = pool.get(1.0, 710.0, project=1)
    pool.rekey(lambda req: -sizes[req.project])  # size rule: -investment
    new_mid = pool.get(1.0, -20.0, project=2)
    pool.put(2.0)
    env.run()
    assert old_big.triggered
    assert new_mid.triggered
    assert not old_small.triggered


def test_resource_rekey_reorders_waiting_files() -> None:
    env = simpy.Environment()
    offices = HeapPriorityResource(env, capacity=1)
    busy = offices.request(priority=0)
    a = offices.request(priority=1)
    b = offices.request(priority=2)
    new_rank = {id(a): 5.0, id(b): 1.0}
    offices.rekey(lambda req: (new_rank[id(req)], req.time, False))
    offices.release(busy)
    env.run()
    assert b.triggered
    assert not a.triggered


def test_take_at_once_grants_exactly_what_a_request_would_get_at_once() -> None:
    """``take_at_once`` decides as ``get`` would at that instant, under both rules, and takes only then."""
    for first_fit in (True, False):
        for amount, priority in [(2.0, 0.5), (2.0, 1.0), (2.0, 3.0), (9.0, 0.5), (4.0, 0.5)]:
            made = PriorityContainer(simpy.Environment(), init=4.0, first_fit=first_fit)
            shortcut = PriorityContainer(simpy.Environment(), init=4.0, first_fit=first_fit)
            for pool in (made, shortcut):
                pool.get(6.0, 1.0)  # waits: larger than the level, priority 1
            request = made.get(amount, priority)
            taken = shortcut.take_at_once(amount, priority)
            assert taken == request.triggered, (first_fit, amount, priority)
            assert (shortcut.level, shortcut.granted, shortcut.waiting) == (
                made.level,
                made.granted,
                made.waiting - (0 if taken else 1),
            )


def test_request_at_once_is_granted_only_ahead_of_every_waiting_file() -> None:
    """A request made as a server frees (the release not yet processed) is granted at once only if it is first."""
    for priority, first in [(0.5, True), (1.0, False)]:
        env = simpy.Environment()
        offices = HeapPriorityResource(env, capacity=1)
        holding = offices.request_at_once(0.0)
        waiting = offices.request_at_once(1.0)
        assert holding.triggered
        assert not waiting.triggered
        offices.release(holding)  # the office is free; the waiting file is admitted when the release is processed
        new = offices.request_at_once(priority)
        assert new.triggered is first
        assert waiting.triggered is not first  # a tie goes to the earlier file, admitted now instead
        assert offices.count == 1
        assert len(offices.queue) == 1
        assert new.key == (priority, 0.0, False)


def test_office_requests_carry_their_project_on_every_path() -> None:
    """``request`` and both paths of ``request_at_once`` (granted now, or waiting) name the requester."""
    env = simpy.Environment()
    offices = HeapPriorityResource(env, capacity=1)
    granted = offices.request_at_once(0.0, project=7)
    waiting = offices.request_at_once(1.0, project=8)
    plain = offices.request(2.0, project=9)
    assert granted.triggered
    assert not waiting.triggered
    assert [r.project for r in (granted, waiting, plain)] == [7, 8, 9]
    assert all(isinstance(r, OfficeRequest) for r in (granted, waiting, plain))
    # a new rule ranks the line by project: 9 ahead of 8
    offices.rekey(lambda req: (-req.project, req.time, False))
    offices.free(granted)
    env.run()
    assert plain.triggered
    assert not waiting.triggered
