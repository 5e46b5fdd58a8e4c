"""The approval offices alone: M/M/c mean wait against Erlang C, and Little's law."""

from __future__ import annotations

import numpy as np
from scipy import stats

from analysis.queueing import erlang_c, mmc_mean_wait
from sim.config.study import calendar_of
from sim.run.study import run_study
from tests.helpers import approval_only_study


def test_erlang_c_known_values() -> None:
    # one server: P(wait) = rho
    assert erlang_c(1, 0.7) == 0.7
    # c=2, a=1: P(wait) = 1/3 (closed form a^2/(2-a) / (1 + a + a^2/(2-a)) * ... )
    assert abs(erlang_c(2, 1.0) - 1 / 3) < 1e-12


def test_mmc_wait_inside_replication_ci() -> None:
    servers, mean_service, per_year = 3, 20.0, 43.8  # rho = 0.8
    cfg = approval_only_study(per_year, servers, mean_service, replications=40, years=10)
    res = run_study(cfg)
    cal = calendar_of(cfg)
    # An empty M/M/3 at rho 0.8 needs a long warm-up (relaxation ~ 1/(c mu (1 - sqrt(rho))^2)
    # ~ 600 days); a 120-day warm-up biased the wait low by a third. Skip two years.
    lo, hi = 730.0, cal.horizon_days - 240.0
    means = []
    for _, ledger in res.ledgers.groupby("replication"):
        window = ledger[(ledger["t_arrival"] >= lo) & (ledger["t_arrival"] < hi)]
        assert window["t_permits"].notna().all()
        means.append(window["wait_approvals_days"].mean())
    lam = per_year / 365.0
    expected = mmc_mean_wait(lam, 1.0 / mean_service, servers)
    m = np.mean(means)
    half = stats.t.ppf(0.995, len(means) - 1) * np.std(means, ddof=1) / np.sqrt(len(means))
    assert abs(m - expected) <= half, f"simulated {m:.2f} +- {half:.2f}, Erlang C {expected:.2f}"


def test_littles_law_busy_servers() -> None:
    """Mean busy servers = arrival rate x mean service time (Little's law on the servers)."""
    servers, mean_service, per_year = 4, 20.0, 36.5
    cfg = approval_only_study(per_year, servers, mean_service, replications=30, years=6)
    res = run_study(cfg)
    busy = res.resources[(res.resources["resource"] == "approvals") & (res.resources["metric"] == "busy")]
    busy = busy[busy["day"] >= 365.0]
    per_rep = busy.groupby("replication")["value"].mean()
    expected = per_year / 365.0 * mean_service
    half = stats.t.ppf(0.995, len(per_rep) - 1) * per_rep.std(ddof=1) / np.sqrt(len(per_rep))
    assert abs(per_rep.mean() - expected) <= half
