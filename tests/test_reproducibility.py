"""Same seed -> identical tables; different seed -> different; serial == parallel; CRN."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from sim.config.study import StudyConfig, calendar_of
from sim.model.leads import draw_leads
from sim.run.rng import replication_streams
from sim.run.study import run_study


def test_same_seed_identical_tables(study: Callable[..., StudyConfig]) -> None:
    cfg = study("run.replications=3")
    a, b = run_study(cfg), run_study(cfg)
    pd.testing.assert_frame_equal(a.kpis, b.kpis)
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    pd.testing.assert_frame_equal(a.ledgers, b.ledgers)


def test_different_seed_different_tables(study: Callable[..., StudyConfig]) -> None:
    a = run_study(study("run.replications=2", "run.seed=1"))
    b = run_study(study("run.replications=2", "run.seed=2"))
    assert not np.array_equal(a.kpis["value"].to_numpy(), b.kpis["value"].to_numpy())


def test_serial_equals_parallel(study: Callable[..., StudyConfig]) -> None:
    cfg = study("run.replications=4", "run.chunk_size=1")
    serial = run_study(cfg)
    parallel = run_study(replace(cfg, run=replace(cfg.run, jobs=2)))
    pd.testing.assert_frame_equal(serial.kpis, parallel.kpis)
    pd.testing.assert_frame_equal(serial.monthly, parallel.monthly)


def test_policy_leaves_leads_unchanged(study: Callable[..., StudyConfig]) -> None:
    """Common random numbers: every project's arrival and attributes ignore the policy."""
    base, plan = study("policy=status_quo"), study("policy=plan")
    assert base.model != plan.model
    for rep in range(2):
        a = draw_leads(base.model.demand, calendar_of(base), replication_streams(base.run.seed, rep))
        b = draw_leads(plan.model.demand, calendar_of(plan), replication_streams(plan.run.seed, rep))
        for field in ("arrival_day", "sector", "investment_yi", "z", "u", "patience_u"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_replications_are_independent_of_scenario_name(study: Callable[..., StudyConfig]) -> None:
    cfg = study("run.replications=2")
    renamed = replace(cfg, scenario_name="other", policy_name="other")
    a, b = run_study(cfg), run_study(renamed)
    np.testing.assert_array_equal(a.kpis["value"].to_numpy(), b.kpis["value"].to_numpy())
