"""Conservation: quota granted = used + returned + idle, pools balance, lifecycles only move forward."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from analysis.states import chain_violations, project_states
from sim.config.study import StudyConfig, calendar_of
from sim.run.study import run_study

# Lifecycle rank of each state: a project's rank never falls from one month end to the next,
# and a terminal state (rejected, re-signed, walked) is never left.
RANK = {"appraisal": 0, "signed": 1, "procedures": 2, "building": 3, "completed": 4, "registered": 5}
TERMINAL = ("rejected", "resigned", "walked")
ATOL = 1e-6


def _check_states_move_forward(ledger: pd.DataFrame, month_ends: np.ndarray) -> None:
    previous: pd.Series | None = None
    for day in month_ends:
        states = project_states(ledger, day)
        if previous is not None:
            before = previous.reindex(states.index)
            known = before.notna()
            stuck = before[known].isin(TERMINAL)
            assert (states[known][stuck] == before[known][stuck]).all(), "a terminal state was left"
            live = known & ~before.isin(TERMINAL) & ~states.isin(TERMINAL)
            assert (states[live].map(RANK) >= before[live].map(RANK)).all(), "a project went back"
            walked_late = before[known].isin(["building", "completed", "registered"]) & states[known].isin(TERMINAL)
            assert not walked_late.any(), "an investor left after the start"
        previous = states


def _check_quota(ledger: pd.DataFrame, log: pd.DataFrame, resource: str, pool: str) -> None:
    """Pool counters equal the ledger's per-project records at every month start; every grant is accounted for."""
    quota = ledger[f"{resource}_quota"].to_numpy(dtype=float)
    granted_t = ledger[f"t_{resource}_granted"].to_numpy(dtype=float)
    returned_t = ledger[f"t_{resource}_returned"].to_numpy(dtype=float)
    idle_t = ledger["t_land_idle"].to_numpy(dtype=float) if resource == "land" else np.full(len(ledger), np.nan)
    recovered_t = ledger["t_land_recovered"].to_numpy(dtype=float) if resource == "land" else idle_t
    walked = np.isfinite(ledger["t_walked"].to_numpy(dtype=float))
    started = np.isfinite(ledger["t_started"].to_numpy(dtype=float))
    granted = np.isfinite(granted_t)

    # granted = used (by projects still in the pipeline or started) + returned + idle
    used = quota[granted & ~walked].sum()
    returned, idle = quota[np.isfinite(returned_t)].sum(), quota[np.isfinite(idle_t)].sum()
    assert quota[granted].sum() == pytest.approx(used + returned + idle, abs=ATOL)
    assert not (granted & walked & ~np.isfinite(returned_t) & ~np.isfinite(idle_t) & (quota > 0)).any()
    assert not (np.isfinite(idle_t) & started).any()
    assert not (np.isfinite(returned_t) & ~walked).any()

    wide = log[log["resource"] == pool].pivot_table(index="day", columns="metric", values="value")
    for day, row in wide.iterrows():
        assert row["granted"] == pytest.approx(quota[granted_t <= day].sum(), abs=ATOL)
        assert row["returned"] == pytest.approx(quota[returned_t <= day].sum(), abs=ATOL)
        assert row["idle"] == pytest.approx(quota[idle_t <= day].sum(), abs=ATOL)
        assert row["recovered"] == pytest.approx(quota[recovered_t <= day].sum(), abs=ATOL)
        balance = row["added"] - row["granted"] + row["returned"] + row["recovered"] - row["lapsed"]
        assert row["level"] == pytest.approx(balance, abs=ATOL)
        assert row["level"] >= -ATOL


@pytest.mark.parametrize("policy", ["status_quo", "plan"])
def test_conservation_every_replication(study: Callable[..., StudyConfig], policy: str) -> None:
    cfg = study(f"policy={policy}", "run.replications=3", "run.keep_ledgers=3")
    res = run_study(cfg)
    cal = calendar_of(cfg)
    month_ends = np.concatenate([cal.month_ends(y) for y in range(cal.first_year, cal.last_year + 1)])
    walked_with_quota = 0
    for rep, ledger in res.ledgers.groupby("replication"):
        assert chain_violations(ledger).empty, f"replication {rep}"
        started = ledger["t_started"].notna()
        assert (ledger.loc[started, "t_signed"] <= ledger.loc[started, "t_started"]).all()
        _check_states_move_forward(ledger, month_ends)
        log = res.resources[res.resources["replication"] == rep]
        _check_quota(ledger, log, "land", "land_mu")
        _check_quota(ledger, log, "energy", "energy_tce")
        walked_with_quota += int((ledger["t_walked"].notna() & (ledger["land_quota"] > 0)).sum())
    assert walked_with_quota > 0  # the walk-away branch of the identity was exercised


def test_spent_share_after_signing_counts_only_started_projects() -> None:
    """A hand-made cohort: what is spent a year after signing follows the start and the S-curve."""
    from cityplan.counting import KpiWindow, spent_share_after_signing

    window = KpiWindow(0.0, (365.0,), 0.7, spend_realisation_share=0.5, spend_curve_a=1.0, spend_curve_b=1.0)
    ledger = pd.DataFrame(
        {
            "t_signed": [0.0, 0.0, 10.0],
            "t_started": [65.0, np.nan, 200.0],  # the second never starts
            "investment_yi": [10.0, 10.0, 100.0],
            "spend_days": [600.0, 300.0, 100.0],
            "sector": "industrial",
        }
    )
    # project 0: 300 of 600 days built a year after signing -> 0.5 x 0.5 x 10 = 2.5; project 2 done: 50
    assert spent_share_after_signing(ledger, window, 0.0, 365.0, 365.0) == pytest.approx((2.5 + 0.0 + 50.0) / 120.0)
    assert spent_share_after_signing(ledger, window, 0.0, 5.0, 365.0) == pytest.approx(2.5 / 20.0)
