"""One way to run many replications (issue 26): experiment cells on the run backends.

A package is built from its levers' single-lever studies (composed once each) and must be the
study Hydra composes for it; the values of a block of cells must be those of running each cell
on its own, whatever the backend, the number of workers and the task sizes.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from cityplan.errors import ConfigError
from sim.config.run import RunConfig, parse_jobs
from sim.experiments.cells import (
    _study,
    cell_overrides,
    cell_study,
    cell_tasks,
    list_levers,
    list_scenarios,
    union_of_settings,
    with_settings,
    year_end_values,
)
from sim.run.replication import run_replication
from tests.conftest import compose_study

SMOKE = ("run=smoke", "uncertainty=none", "run.first_year=2022")  # a short warm-up: the test is of bookkeeping
PACKAGES = ("status_quo", "ready_to_build+five_permits+energy_swap", "+".join(list_levers()[::2]))


def _cells(packages: tuple[str, ...] = PACKAGES) -> list[list[str]]:
    levers, scenarios = list_levers(), list_scenarios()
    return [[*SMOKE, *cell_overrides(p, levers, scenarios)] for p in packages]


def test_a_package_built_from_its_levers_is_the_package_hydra_composes() -> None:
    for overrides in _cells():
        built, composed = cell_study(overrides), _study(tuple(overrides))
        assert built == composed, overrides
        assert built.policy_name == composed.policy_name


def test_two_levers_setting_one_field_are_refused_and_a_built_package_is_validated() -> None:
    field = ("model", "land", "reclamation_mu_per_month")
    with pytest.raises(ValueError, match=r"levers 'a' and 'b' both set model.land.reclamation_mu_per_month"):
        union_of_settings({"a": {field: 1.0}, "b": {field: 2.0}})
    assert union_of_settings({"a": {field: 1.0}, "b": {("model", "x"): 2}}) == {field: 1.0, ("model", "x"): 2}
    base = cell_study(_cells(("status_quo",))[0])
    with pytest.raises(ConfigError, match=r"run\.chunk_size"):
        with_settings(base, {("run", "chunk_size"): 0})  # rebuilt nodes run their checks


def test_tasks_hold_every_cell_and_replication_once_replication_major() -> None:
    studies = [cell_study(o) for o in _cells()]
    tasks = cell_tasks(studies, [3, 4, 5], block_size=2, chunk_size=2)
    pairs = [(c, r) for block, reps in tasks for r in reps for c in block.cells]
    assert sorted(pairs) == sorted((c, r) for c in range(3) for r in (3, 4, 5))
    assert [reps for _, reps in tasks] == [[3, 4], [3, 4], [5], [5]]  # all blocks of a replication first


def test_cells_on_any_backend_and_task_size_give_each_cells_own_values() -> None:
    cells, reps = _cells(), [1, 2]
    alone = np.stack(
        [np.stack([run_replication(_study(tuple(o)), r).kpis[:, -1] for r in reps], axis=1) for o in cells]
    )
    serial = year_end_values(cells, 1, 2, block_size=1, chunk_size=2)
    pooled = year_end_values(cells, 1, 2, run=RunConfig(jobs=2), block_size=2, chunk_size=1)
    np.testing.assert_array_equal(serial, alone)  # bit for bit, not approximately
    np.testing.assert_array_equal(pooled, alone)


def test_jobs_auto_is_every_core_and_a_bad_jobs_is_one_line() -> None:
    assert compose_study(["run=smoke", "run.jobs=auto"]).run.workers == (os.cpu_count() or 1)
    assert RunConfig(jobs=3).workers == 3
    for bad in ("0", "many"):
        with pytest.raises(ConfigError) as err:
            compose_study(["run=smoke", f"run.jobs={bad}"])
        message = str(err.value)
        assert "run.jobs" in message
        assert "'auto'" in message
        assert "\n" not in message
    assert parse_jobs("auto") == "auto"
    assert parse_jobs("4") == 4
    with pytest.raises(ValueError, match=r"--jobs: '0'"):
        parse_jobs("0")


def test_an_experiment_command_refuses_a_bad_backend_option(tmp_path, caplog: pytest.LogCaptureFixture) -> None:
    from sim.experiments.screen import main as screen_main

    assert screen_main(["--replications", "2", "--jobs", "two", "--out", str(tmp_path / "s")]) == 2
    assert "--jobs: 'two'" in caplog.text
    assert screen_main(["--replications", "2", "--backend", "ray", "--out", str(tmp_path / "s")]) == 2
    assert "run.backend" in caplog.text
    assert not (tmp_path / "s").exists()  # refused before anything ran or was written


def test_run_cells_gives_each_studys_own_kpi_matrix() -> None:
    """The contract of sim.run.fork.run_cells (plain or forked at the launch): each study's own KPIs, bit for bit."""
    from sim.run.fork import run_cells

    studies = [cell_study(o) for o in _cells(PACKAGES[:2])]
    together = run_cells(studies, 3)
    assert len(together) == len(studies)
    for study, kpis in zip(studies, together, strict=True):
        np.testing.assert_array_equal(kpis, run_replication(study, 3).kpis)
    assert not np.array_equal(together[0], together[1])  # two packages: the comparison can fail
