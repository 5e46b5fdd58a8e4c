"""One warm-up shared by many cells (issue 26): launch-boundary continuations and the fork at the launch.

The state on the launch day is the same under every policy (a look-ahead past the launch waits
for it), so cells forked from one warm-up give the tables of full runs bit for bit; a child
that fails is an error in the parent, with no child left behind.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
from dataclasses import replace

import numpy as np
import pytest

from cityplan.calendar import Calendar
from sim.config.study import StudyConfig, calendar_of
from sim.model.leads import draw_leads, lead_draw_inputs
from sim.model.system import System
from sim.run import fork
from sim.run.parameters import with_parameters
from sim.run.replication import run_replication, start_model
from sim.run.rng import replication_streams
from tests.conftest import compose_study

# status quo, the plan, and single levers that act on the look-ahead chains (registration at
# completion, the appraisal screen) and on the queues' rules at the launch
CELLS = ["status_quo", "plan", "completion_service", "appraisal", "differentiated_supply"]


def _study(policy: str, *more: str) -> StudyConfig:
    return compose_study(["run=smoke", f"policy={policy}", *more])


def _at_launch(policy: str, replication: int = 0) -> tuple[System, list[tuple[float, int, str]]]:
    """The model of ``policy`` run to the launch day, and its event queue (time, priority, kind)."""
    cfg = with_parameters(_study(policy), replication)
    leads = draw_leads(
        cfg.model.demand, calendar_of(cfg), replication_streams(cfg.run.seed, replication), cfg.model.attraction
    )
    env, system = start_model(cfg, leads)
    env.run(until=system.launch_day)
    return system, sorted((t, p, type(e).__name__) for t, p, _, e in env._queue)  # type: ignore[attr-defined]


def test_the_city_on_the_launch_day_is_the_same_under_every_policy() -> None:
    # breaks if a look-ahead read the policy's rules before the launch (the old regime_at)
    base, base_queue = _at_launch("status_quo")
    assert base.at_launch, "no look-ahead reached the launch: the test would prove nothing"
    for policy in ("plan",):
        other, queue = _at_launch(policy)
        for milestone, days in base.ledger.times.items():
            np.testing.assert_array_equal(other.ledger.times[milestone], days, err_msg=milestone)
        assert other.leave_day == base.leave_day
        assert queue == base_queue
        assert [(step.__name__, args[1:2]) for step, args in other.at_launch] == [
            (step.__name__, args[1:2]) for step, args in base.at_launch
        ]


def test_parked_steps_are_replayed_at_the_launch() -> None:
    cfg = _study("plan")
    system = run_replication_system(cfg)
    assert system.at_launch == []
    assert system.launch_regime is None


def run_replication_system(cfg: StudyConfig) -> System:
    """A replication of ``cfg`` run to the horizon (its System)."""
    cfg = with_parameters(cfg, 0)
    leads = draw_leads(cfg.model.demand, calendar_of(cfg), replication_streams(cfg.run.seed, 0), cfg.model.attraction)
    env, system = start_model(cfg, leads)
    env.run(until=calendar_of(cfg).horizon_days)
    return system


@pytest.mark.slow
@pytest.mark.parametrize("replication", [0, 1])
def test_forked_cells_equal_full_runs_bit_for_bit(replication: int) -> None:
    studies = [_study(cell) for cell in CELLS]
    cfgs = [with_parameters(study, replication) for study in studies]
    assert fork.shared_warmups(cfgs) == [list(range(len(CELLS)))]
    forked = fork.run_forked(cfgs, replication)
    for cell, study, kpis in zip(CELLS, studies, forked, strict=True):
        full = run_replication(study, replication).kpis
        assert kpis.dtype == full.dtype, cell
        assert kpis.shape == full.shape, cell
        np.testing.assert_array_equal(kpis, full, err_msg=cell)
    assert gc.get_freeze_count() == 0


def test_run_cells_forks_where_it_can_and_equals_the_plain_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # one study on another seed has its own warm-up (alone: a full run), in its place
    studies = [_study("plan"), _study("status_quo"), _study("plan", "run.seed=7"), _study("appraisal")]
    cfgs = [with_parameters(study, 0) for study in studies]
    assert fork.shared_warmups(cfgs) == [[0, 1, 3], [2]]
    calls: list[int] = []
    real = fork.run_forked
    monkeypatch.setattr(fork, "run_forked", lambda cfgs, r: calls.append(len(cfgs)) or real(cfgs, r))
    monkeypatch.setattr(fork, "fork_refused", lambda: None)  # under xdist the worker has threads of its own
    forked = fork.run_cells(studies, 0)
    assert calls == [3]
    monkeypatch.setattr(fork, "FORK", False)
    monkeypatch.setattr(fork, "fork_refused", lambda: "off")
    plain = fork.run_cells(studies, 0)
    assert len(forked) == len(plain) == len(studies)
    for a, b in zip(forked, plain, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_plain_path_is_taken_where_forking_is_unsafe_or_pointless(monkeypatch: pytest.MonkeyPatch) -> None:
    studies = [_study("plan"), _study("status_quo")]
    monkeypatch.setattr(fork, "FORK", False)
    assert "switched off" in (fork.fork_unavailable(studies) or "")
    monkeypatch.setattr(fork, "FORK", True)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert "threads" in (fork.fork_unavailable(studies) or "")
    finally:
        stop.set()
        worker.join()
    monkeypatch.setattr(fork, "fork_refused", lambda: None)
    nowcast = replace(studies[0], nowcast=replace(studies[0].nowcast, ledger="ledger.csv", as_of="2023-06-30"))
    assert "nowcast" in (fork.fork_unavailable([nowcast, studies[1]]) or "")
    assert fork.fork_unavailable(studies[:1]) is not None
    assert fork.fork_unavailable(studies) is None


def _no_child_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_a_child_that_raises_is_an_error_in_the_parent() -> None:
    def fails() -> np.ndarray:
        raise ValueError("the cell's KPIs cannot be counted")

    with pytest.raises(fork.ForkedCellError, match=r"cell 3 failed in its forked child:(.|\n)*the cell's KPIs"):
        fork.in_child(fails, "cell 3")
    assert _no_child_left()


def test_a_child_that_dies_is_an_error_in_the_parent() -> None:
    def dies() -> np.ndarray:
        os.kill(os.getpid(), signal.SIGKILL)
        return np.zeros(1)

    with pytest.raises(fork.ForkedCellError, match="killed by signal 9"):
        fork.in_child(dies, "cell 0")
    assert _no_child_left()
    np.testing.assert_array_equal(fork.in_child(lambda: np.arange(3.0), "cell 1"), np.arange(3.0))


def test_a_failing_cell_stops_the_block_and_unfreezes(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> np.ndarray:
        raise RuntimeError("broken count")

    monkeypatch.setattr(fork, "ledger_kpis", broken)
    cfgs = [with_parameters(_study(cell), 0) for cell in ("status_quo", "plan")]
    with pytest.raises(fork.ForkedCellError, match=r"cell 0, replication=0 failed(.|\n)*broken count"):
        fork.run_forked(cfgs, 0)
    assert gc.get_freeze_count() == 0
    assert _no_child_left()


class _Reads:
    """Wraps a config and records which of its attributes are read."""

    def __init__(self, wrapped: object) -> None:
        self.wrapped, self.names = wrapped, set[str]()

    def __getattr__(self, name: str) -> object:
        self.names.add(name)
        return getattr(self.wrapped, name)


def test_lead_draw_inputs_name_everything_draw_leads_reads() -> None:
    # breaks if draw_leads reads an attraction setting the fork's check does not compare
    cfg = _study("status_quo")
    drawn, listed = _Reads(cfg.model.attraction), _Reads(cfg.model.attraction)
    streams = replication_streams(cfg.run.seed, 0)
    draw_leads(cfg.model.demand, Calendar(cfg.run.target_year, cfg.run.target_year), streams, drawn)  # type: ignore[arg-type]
    lead_draw_inputs(cfg.model.demand, listed)  # type: ignore[arg-type]
    assert drawn.names
    assert drawn.names <= listed.names


def test_studies_that_draw_other_leads_do_not_share_a_warm_up() -> None:
    plan = with_parameters(_study("plan"), 0)
    other = replace(
        plan, model=replace(plan.model, attraction=replace(plan.model.attraction, series_event_leads_1e8_mean=9.0))
    )
    assert fork.shared_warmups([plan, other]) == [[0], [1]]
