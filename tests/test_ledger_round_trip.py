"""Round trip (issue 12): a simulated ledger in an office's layout reads back to the same nowcast."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cityplan.units import UNIT_KEYS
from sim.config.study import NowcastConfig, StudyConfig, calendar_of
from sim.ledger.io import from_model, write_ledger
from sim.ledger.office import write_office_ledger
from sim.ledger.tolerant import read_office_ledger
from sim.nowcast.read import load_model_ledger
from sim.run.study import run_study

AS_OF = "2023-06-30"
# The default test reads back every 9th project of the city's ledger (~420 of ~3,800: every
# stage and, 9 being prime to the 11 unit labels, every county and park); an office workbook
# of the whole ledger takes ~20 s to write and read, and the slow test below reads it all.
ROUND_TRIP_STRIDE = 9


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[StudyConfig, pd.DataFrame, Path]:
    """Replication 0's ledger on 30 June as the template, with a unit per project (or none)."""
    from tests.conftest import compose_study

    cfg = compose_study(["run=smoke", "run.replications=1", "policy=plan"])
    truth = run_study(cfg)
    c = cfg.model.construction
    frame = from_model(
        truth.ledgers, calendar_of(cfg), AS_OF, realisation=c.spend_realisation_share, curve=(c.spend_curve_a, 2.0)
    )
    units = np.array([*UNIT_KEYS, ""], dtype=object)
    frame["unit"] = units[np.arange(len(frame)) % len(units)]
    folder = tmp_path_factory.mktemp("round_trip")
    return cfg, frame, write_ledger(frame, folder / "template.csv")


def _nowcast(cfg: StudyConfig, path: Path, *, strict: bool) -> StudyConfig:
    return replace(
        cfg,
        nowcast=NowcastConfig(ledger=str(path), as_of=AS_OF, strict=strict),
        run=replace(cfg.run, replications=2, seed=7),
    )


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_office_layout_reads_back_to_the_same_model_ledger(
    exported: tuple[StudyConfig, pd.DataFrame, Path], suffix: str, tmp_path: Path
) -> None:
    cfg, whole, _ = exported
    frame = whole.iloc[::ROUND_TRIP_STRIDE].reset_index(drop=True)
    assert set(frame["stage"]) == set(whole["stage"])
    assert set(frame["unit"]) == set(whole["unit"])
    template = write_ledger(frame, tmp_path / "template.csv")
    office = write_office_ledger(frame, tmp_path / f"office{suffix}", title="淮安市重特大项目推进情况表（截至6月底）")
    got = read_office_ledger(office, as_of=AS_OF)
    # every project row read as written; titles, headings, subtotals and the total skipped
    statuses = got.account["status"].value_counts().to_dict()
    assert statuses.get("refused", 0) == 0
    assert statuses.get("assumed", 0) == 0
    assert statuses["read"] == len(frame)
    totals = got.account["reason"].str.contains("subtotal|total row", regex=True)
    assert totals.sum() == len(set(frame["unit"])) + 1
    assert not got.account["reason"].str.contains("SUM MISMATCH").any()
    # the model's input is the same, in the same order, although the office grouped by county
    strict = load_model_ledger(str(template), AS_OF, cfg.run.first_year, strict=True)
    tolerant = load_model_ledger(str(office), AS_OF, cfg.run.first_year, strict=False)
    pd.testing.assert_frame_equal(strict, tolerant)


@pytest.mark.slow
def test_office_layout_gives_the_same_nowcast(exported: tuple[StudyConfig, pd.DataFrame, Path], tmp_path: Path) -> None:
    cfg, frame, template = exported
    office = write_office_ledger(frame, tmp_path / "office.xlsx")
    strict = run_study(_nowcast(cfg, template, strict=True))
    tolerant = run_study(_nowcast(cfg, office, strict=False))
    pd.testing.assert_frame_equal(strict.kpis, tolerant.kpis)
    pd.testing.assert_frame_equal(strict.monthly, tolerant.monthly)
    # the nowcast keeps each ledger project's county or park
    kept = tolerant.ledgers[tolerant.ledgers["replication"] == 0]["unit"].to_numpy()[: len(frame)]
    order = load_model_ledger(str(template), AS_OF, cfg.run.first_year, strict=True)
    np.testing.assert_array_equal(kept, order["unit"].to_numpy())
    assert sorted(kept) == sorted(frame["unit"])
