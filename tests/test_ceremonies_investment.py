"""Issue 23 items 6-7: concentrated-start ceremonies and industrial investment as counted."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cityplan.counting import KpiWindow, industrial_investment, other_industrial_investment_of_year
from cityplan.errors import ConfigError
from sim.config.steps import ConstructionConfig
from sim.model.processes import join_ceremony


def _system(pull_days: float, ceremonies: list[int], lull: tuple[float, float] = (0.0, 0.0)) -> SimpleNamespace:
    """The least of a System that join_ceremony reads: one year from day 0, a festival lull."""
    construction = ConstructionConfig(ceremony_days_of_year=ceremonies, ceremony_pull_days=pull_days)
    cfg = SimpleNamespace(construction=construction)
    return SimpleNamespace(year_starts=[0.0, 365.0], regime_at=lambda day: (cfg, None), festival_lull=lambda day: lull)


def test_ready_project_starts_at_the_ceremony() -> None:
    s = _system(15.0, [110])
    assert join_ceremony(s, ready_day=100.0, start=120.0) == 110.0


def test_no_start_before_the_permits() -> None:
    # the ceremony comes before the procedures are done: the project keeps its own start
    s = _system(15.0, [110])
    assert join_ceremony(s, ready_day=112.0, start=120.0) == 120.0


def test_pull_is_bounded_by_the_window() -> None:
    s = _system(5.0, [110])
    assert join_ceremony(s, ready_day=100.0, start=120.0) == 120.0


def test_no_ceremony_start_in_the_festival_lull() -> None:
    s = _system(15.0, [110], lull=(100.0, 115.0))
    assert join_ceremony(s, ready_day=100.0, start=120.0) == 120.0


def test_year_end_deadline_pulls_a_january_start_into_december() -> None:
    s = _system(15.0, [358])
    assert join_ceremony(s, ready_day=355.0, start=368.0) == 358.0


def test_without_ceremonies_nothing_moves() -> None:
    s = _system(30.0, [])
    assert join_ceremony(s, ready_day=100.0, start=120.0) == 120.0


def test_bad_ceremony_day_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="ceremony_days_of_year"):
        ConstructionConfig(ceremony_days_of_year=[400])


def _window(level: float, *, with_retrofits: bool = True) -> KpiWindow:
    shares = ConstructionConfig().other_investment_cumulative_share_by_month
    return KpiWindow(
        year_start_day=0.0,
        cutoff_days=tuple(float(d) for d in np.cumsum([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])),
        cny_per_usd=7.0,
        spend_realisation_share=0.75,
        spend_curve_a=2.0,
        spend_curve_b=2.0,
        industrial_investment_with_retrofits=with_retrofits,
        other_industrial_investment_yi=level,
        other_investment_cumulative_shares=tuple(shares),
    )


EMPTY_LEDGER = pd.DataFrame({"sector": [], "investment_yi": [], "t_started": [], "build_days": []})
EMPTY_RETROFITS = pd.DataFrame({"investment_yi": [], "t_started": [], "t_completed": []})


def test_other_industrial_investment_is_counted_along_the_nbs_profile() -> None:
    # calibration.md §4: Q1 21.3%, H1 48.3%, Jan-Oct 83.4%, all by December
    spent = industrial_investment(EMPTY_LEDGER, EMPTY_RETROFITS, _window(1000.0))
    assert spent[[2, 5, 9, 11]] == pytest.approx([213.0, 483.0, 834.0, 1000.0])


def test_new_projects_only_leave_it_out() -> None:
    spent = industrial_investment(EMPTY_LEDGER, EMPTY_RETROFITS, _window(1000.0, with_retrofits=False))
    assert spent[-1] == 0.0


def test_other_investment_grows_from_the_base_year() -> None:
    assert other_industrial_investment_of_year(600.0, 0.1, 2021, 2023) == pytest.approx(726.0)
    assert other_industrial_investment_of_year(600.0, 0.1, 2021, 2019) == pytest.approx(600.0 / 1.21)


def test_the_study_counts_the_target_years_other_investment() -> None:
    from sim.config.study import kpi_window
    from tests.conftest import compose_study

    study = compose_study(["run=smoke", "uncertainty=none"])
    c = study.model.construction
    years = study.run.target_year - study.model.demand.base_year
    expected = (
        c.other_industrial_investment_yi_in_base_year * (1 + c.other_industrial_investment_growth_per_year) ** years
    )
    assert kpi_window(study).other_industrial_investment_yi == pytest.approx(expected)
