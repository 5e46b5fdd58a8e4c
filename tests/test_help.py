"""Where the leaders' help pays most (issue 25 item 2): the mechanism, the allocation, the table.

A three-project ledger on 30 September 2023: an agricultural project of 5亿 in a problem (堵点)
since 1 September (no new land: it cannot be waiting for land, so the nowcast knows it is in
its problem; agriculture is not on the problem meetings' agenda), an industrial project past
its problem (its energy quota came first, under 拿地即开工) waiting for more land than the city
has, and a 12亿 project in pre-work. The leaders' attention is all taken
(``model.problems.leader_capacity=[0,0,0]``), so only a leader who takes a project up helps it.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.help import ROW_ALLOCATION, allocate, paired_start_gain, tier_capacity
from cityplan.errors import ConfigError
from sim.config.study import NowcastConfig, StudyConfig, calendar_of
from sim.nowcast.read import load_model_ledger
from sim.nowcast.start import helped_projects
from sim.run.help import estimate_help, paired_config
from sim.run.study import run_study
from tests.conftest import ROOT, compose_study

AS_OF = "2023-09-30"
HEADER = (
    "name,sector,investment_yi,signed_date,procedures_date,land_granted_date,land_date,energy_granted_date,"
    "energy_date,review_date,permits_date,started_date,completed_date,registered_date,output_date,dropped_date,"
    "stage,spent_to_date_yi,foreign,taiwan,tech_talent,in_park,land_mu,energy_tce"
)
ROWS = (  # file rows 2, 3, 4
    "problem-agri,agriculture,5.0,2023-03-01,2023-09-01,,,,,,,,,,,,procedures,0,no,no,no,no,0,0",
    "land-only,industrial,5.0,2023-03-01,2023-04-01,,,2023-05-15,,,,,,,,,procedures,0,no,no,no,yes,100000,1000",
    "prework-ind,industrial,12.0,2023-05-01,,,,,,,,,,,,,signed,0,no,no,no,yes,100,2000",
    "small-agri,agriculture,0.5,2023-03-01,2023-09-01,,,,,,,,,,,,procedures,0,no,no,no,no,0,0",
)
PROBLEM_ROW, LAND_ROW, SMALL_ROW = 2, 3, 5


@pytest.fixture(scope="module")
def nowcast(tmp_path_factory: pytest.TempPathFactory) -> StudyConfig:
    """The nowcast of the three-project ledger, leaders' attention all taken, 8 paired replications."""
    path = tmp_path_factory.mktemp("help") / "ledger.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    cfg = compose_study(["run=smoke", "uncertainty=none", "model.problems.leader_capacity=[0,0,0]"])
    return replace(cfg, nowcast=NowcastConfig(ledger=str(path), as_of=AS_OF, help_replications=8, help_candidates=2))


def _project(cfg: StudyConfig, row: int) -> int:
    """The nowcast's index of the project on ledger ``row``."""
    one = replace(cfg, nowcast=replace(cfg.nowcast, helped_rows=[row]))
    return int(helped_projects(one, np.full(len(ROWS), 5.0))[0])


def test_help_settles_a_problem_and_cannot_give_land(nowcast: StudyConfig) -> None:
    """Paired runs: help raises P(start) of a project held by a problem, changes nothing for one held by land."""
    year_end = calendar_of(nowcast).year_start(nowcast.run.target_year + 1)
    base = run_study(paired_config(nowcast, []))
    problem, land = _project(nowcast, PROBLEM_ROW), _project(nowcast, LAND_ROW)
    helped = run_study(paired_config(nowcast, [PROBLEM_ROW]))
    _p, gain, _low, _high = paired_start_gain(base.watch, helped.watch, [problem], year_end_day=year_end)
    assert gain > 0
    started = {
        name: r.set_index(["replication", "project"])["t_started"].lt(year_end).unstack()[problem]
        for name, r in (("base", base.watch), ("helped", helped.watch))
    }
    assert not (started["base"] & ~started["helped"]).any()  # help never makes it later
    # the land-only project: past its problem, so the help is never used; same city bit for bit
    waiting = run_study(paired_config(nowcast, [LAND_ROW]))
    pd.testing.assert_frame_equal(waiting.watch, base.watch)
    pd.testing.assert_frame_equal(waiting.kpis, base.kpis)
    held = base.watch[base.watch["project"] == land]["blocker"]
    assert (held != 0).all()  # and it is held (by the land quota, or its investor leaves waiting)


def test_allocation_never_exceeds_capacity() -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        gains = pd.DataFrame({"tier": rng.integers(0, 3, n), "goal_gain_pp": rng.normal(0.2, 1.0, n)})
        capacity = rng.integers(0, 4, 3).tolist()
        chosen = allocate(gains, capacity)
        used = gains[chosen].groupby("tier").size().reindex(range(3), fill_value=0).to_numpy()
        assert (used <= np.asarray(capacity)).all()
        assert (gains.loc[chosen, "goal_gain_pp"] > 0).all()
        # greedy: a positive gain left out means its tier is full of larger gains
        for i in gains.index[~chosen & (gains["goal_gain_pp"] > 0)]:
            t = gains.at[i, "tier"]
            assert used[t] == capacity[t]
            assert (gains.loc[chosen & (gains["tier"] == t), "goal_gain_pp"] >= gains.at[i, "goal_gain_pp"]).all()


def test_same_seed_same_table_and_a_resume(nowcast: StudyConfig, tmp_path: Path) -> None:
    cfg = replace(nowcast, nowcast=replace(nowcast.nowcast, help_capacity=[1, 1, 0], help_replications=4))
    first = estimate_help(cfg)
    pd.testing.assert_frame_equal(first, estimate_help(cfg, parts_dir=tmp_path))
    pd.testing.assert_frame_equal(first, estimate_help(cfg, parts_dir=tmp_path))  # from the parts on disk
    assert (tmp_path / "base").is_dir()
    assert first["row"].iloc[-1] == ROW_ALLOCATION
    estimated = first[first["goal_gain_pp"].notna() & (first["row"] != ROW_ALLOCATION)]
    assert len(estimated) == 2  # help_candidates
    proposed = first[first["allocated"] == "是 yes"]
    assert proposed["leader_tier"].str.startswith("县区").sum() <= 1
    assert set(first["source_row"].dropna()) <= {PROBLEM_ROW, LAND_ROW, 4}  # the small project has no leader's tier


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"help_capacity": [-1, 2, 0]}, "nowcast.help_capacity (county and park heads)"),
        ({"help_capacity": [1, 2, 0, 4]}, "nowcast.help_capacity"),
        ({"help_replications": 1}, "nowcast.help_replications"),
        ({"help": True, "ledger": "", "as_of": ""}, "nowcast.ledger"),
    ],
)
def test_bad_help_settings_fail_in_one_line(changes: dict[str, object], field: str) -> None:
    settings = {"ledger": "x.csv", "as_of": AS_OF} | changes
    with pytest.raises(ConfigError) as err:
        NowcastConfig(**settings)  # type: ignore[arg-type]
    assert f"'{field}'" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("row", [99, SMALL_ROW])
def test_helped_rows_must_be_forecast_projects_in_a_tier(nowcast: StudyConfig, row: int) -> None:
    cfg = replace(nowcast, nowcast=replace(nowcast.nowcast, helped_rows=[row]))
    ledger = load_model_ledger(cfg.nowcast.ledger, AS_OF, cfg.run.first_year)
    with pytest.raises(ConfigError, match=r"nowcast\.helped_rows") as err:
        helped_projects(cfg, ledger["investment_yi"].to_numpy(dtype=float))
    assert "\n" not in str(err.value)


def test_capacity_defaults_to_the_leaders_attention() -> None:
    assert tier_capacity([], [40, 30, 10]) == [40, 30, 10]
    assert tier_capacity([5, 3, 1], [40, 30, 10]) == [5, 3, 1]
    with pytest.raises(ValueError, match="capacity"):
        tier_capacity([5, -3, 1], [40, 30, 10])


@pytest.mark.slow
def test_cli_writes_help_and_the_report_shows_it(nowcast: StudyConfig, tmp_path: Path) -> None:
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "sim", "run=smoke", "uncertainty=none", f"nowcast.ledger={nowcast.nowcast.ledger}"]
    cmd += [f"nowcast.as_of={AS_OF}", "nowcast.help=true", "nowcast.help_replications=4", f"hydra.run.dir={out}"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    csv = pd.read_csv(out / "help.csv", header=1, encoding="utf-8-sig")
    assert csv.columns[3] == "row"
    assert pd.read_csv(out / "help.csv", nrows=0, encoding="utf-8-sig").columns[3] == "行类型"
    subprocess.run([sys.executable, "-m", "analysis", "report", str(out)], cwd=ROOT, check=True, capture_output=True)
    from openpyxl import load_workbook

    assert "help" in load_workbook(out / "report.xlsx").sheetnames
    assert "Where leaders" in (out / "report.html").read_text(encoding="utf-8")
    bad = subprocess.run(
        [*cmd[:-1], "nowcast.help_capacity=[1,-2,0]", f"hydra.run.dir={tmp_path / 'bad'}"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0
    assert (
        bad.stderr.strip()
        .splitlines()[-1]
        .startswith("gongjian: invalid configuration: config field 'nowcast.help_capacity")
    )


def test_a_project_its_leader_is_on_gains_nothing_and_the_screen_says_so(nowcast: StudyConfig) -> None:
    """Under the plan (every >= 1亿 project has a leader) with the leaders' attention free: help adds nothing."""
    free = replace(nowcast, model=compose_study(["run=smoke", "uncertainty=none"]).model)
    base = run_study(paired_config(free, []))
    helped = run_study(paired_config(free, [PROBLEM_ROW]))
    pd.testing.assert_frame_equal(helped.kpis, base.kpis)
    problem = _project(free, PROBLEM_ROW)
    rows = base.watch[base.watch["project"] == problem]
    assert (rows["problem_days"] > 0).all()  # it is in its problem on as_of ...
    assert rows["leader"].all()  # ... and its leader is on it in every replication
    table = estimate_help(free)
    row = table[table["source_row"] == PROBLEM_ROW].iloc[0]
    assert row["help_reach"] == 0
    assert "cannot change" in row["note"]
