"""Chunks on worker processes give the same tables as serial; RunConfig's new fields."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import pytest

from cityplan.errors import ConfigError
from sim.config.study import StudyConfig
from sim.run.study import chunks_of, run_study
from tests.conftest import compose_study


def test_chunks_are_consecutive_and_bounded() -> None:
    assert chunks_of([0, 1, 2, 3, 4], 2) == [[0, 1], [2, 3], [4]]
    # a gap (a replication already on disk) starts a new chunk
    assert chunks_of([0, 1, 3, 4, 5, 9], 3) == [[0, 1], [3, 4, 5], [9]]
    assert chunks_of([], 5) == []


def test_parallel_chunks_equal_serial_with_ledgers(study: Callable[..., StudyConfig]) -> None:
    cfg = study("run.replications=4", "run.keep_ledgers=2", "run.chunk_size=3")
    serial = run_study(cfg)
    parallel = run_study(replace(cfg, run=replace(cfg.run, jobs=2, chunk_size=1)))
    for name in ("kpis", "monthly", "ledgers", "resources"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(parallel, name), obj=name)
    assert sorted(serial.ledgers["replication"].unique()) == [0, 1]
    assert parallel.meta["replications_computed"] == 4


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("run.backend=spark", "run.backend"),
        ("run.dask_address=localhost:8786", "run.dask_address"),
        ("run.target_halfwidth=0.7", "run.target_halfwidth"),
        ("run.target_halfwidth=-0.01", "run.target_halfwidth"),
        ("run.max_replications=10", "run.max_replications"),
    ],
)
def test_bad_run_settings_name_the_field(override: str, field: str) -> None:
    overrides = ["run=smoke", "run.replications=20", "run.target_halfwidth=0.02", override]
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")) as err:
        compose_study(overrides)
    assert override.split("=", 1)[1] in str(err.value)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("progress", "tty", "shown"), [(True, True, True), (False, True, False), (True, False, False)])
def test_progress_bar_only_on_a_terminal(
    study: Callable[..., StudyConfig], monkeypatch: pytest.MonkeyPatch, progress: bool, tty: bool, shown: bool
) -> None:
    err = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    run_study(study("run.replications=2", "run.chunk_size=1", f"run.progress={str(progress).lower()}"))
    text = err.getvalue()
    assert ("2/2" in text and "rep/s" in text) == shown, text
