"""Conservation: one state per project, quotas never over-used, no start before signing."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from analysis.states import STATES, chain_violations, project_states
from sim.config import StudyConfig
from sim.runner import calendar_of, run_study


@pytest.mark.parametrize("policy", ["status_quo", "plan"])
def test_conservation_every_replication(study: Callable[..., StudyConfig], policy: str) -> None:
    cfg = study(f"policy={policy}", "run.replications=3", "run.keep_ledgers=3")
    res = run_study(cfg)
    cal = calendar_of(cfg)
    month_ends = np.concatenate([cal.month_ends(y) for y in range(cal.first_year, cal.last_year + 1)])
    for rep, ledger in res.ledgers.groupby("replication"):
        assert chain_violations(ledger).empty, f"replication {rep}"
        started = ledger["t_started"].notna()
        assert (ledger.loc[started, "t_signed"] <= ledger.loc[started, "t_started"]).all()
        for day in month_ends:
            states = project_states(ledger, day)
            assert len(states) == int((ledger["t_arrival"] <= day).sum())
            assert set(states.unique()) <= set(STATES)
        log = res.resources[res.resources["replication"] == rep]
        for resource, need in (("land_mu", "land_mu"), ("energy_tce", "energy_tce")):
            wide = log[log["resource"] == resource].pivot_table(index="day", columns="metric", values="value")
            assert (wide["granted"] <= wide["added"] + 1e-6).all()
            assert (wide["level"] >= -1e-9).all()
            col = "t_land_granted" if resource == "land_mu" else "t_energy"
            for day, added in wide["added"].items():
                # quota granted to projects by `day` never exceeds what had been added by then
                used = ledger.loc[ledger[col] <= day, need].sum()
                assert used <= added + 1e-6
