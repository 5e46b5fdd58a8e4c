"""The what-if emulator: predictions, the report's panel in a real headless browser, the sheet's formulas."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from analysis import effects
from analysis.effects import emulator, fit_target, model_matrix, predict
from analysis.report.whatif import WHATIF_CELLS, add_whatif_sheets, panel_html, sheet_name
from sim.experiments.design import resolution_v_design

LEVERS = ["a_lever", "b_lever", "c_lever", "d_lever", "e_lever"]
PACKAGES = [set(), {"a_lever"}, {"a_lever", "c_lever"}, {"b_lever", "d_lever", "e_lever"}, set(LEVERS)]


@pytest.fixture(scope="module")
def emu() -> dict:
    """An emulator of a known model: y = 10 + 3a + 2b + 1.5 a b + noise, 16 cells x 8 replications."""
    design = resolution_v_design(len(LEVERS)).matrix.astype(float)
    rng = np.random.default_rng(3)
    truth = 10 + 3 * design[:, 0] + 2 * design[:, 1] + 1.5 * design[:, 0] * design[:, 1]
    values = truth[:, None] + rng.normal(0, 1.0, (len(design), 8)) + rng.normal(0, 2.0, (1, 8))  # CRN shock
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(effects, "BOOTSTRAPS", 12)  # a short sheet for the formula evaluator; the logic is the same
        fit = fit_target("start_rate_same_year", 12.0, design, values, seed=1, direction="at_least")
    return emulator(
        LEVERS, {lv: lv.upper() for lv in LEVERS}, design, [fit], {"start_rate_same_year": "T"}, {"replications": 8}
    ) | {"_values": values, "_design": design}


def test_predict_recovers_the_known_effects_and_marks_simulated_cells(emu: dict) -> None:
    design, values = emu["_design"], emu["_values"]
    # 5 levers in 16 runs: the two-lever model is saturated, so a simulated cell's prediction is its mean
    for row, cell_values in zip(design, values, strict=True):
        package = {lv for lv, v in zip(LEVERS, row, strict=True) if v > 0}
        pred = predict(emu, "start_rate_same_year", package)
        assert pred["simulated"]
        assert pred["value"] == pytest.approx(cell_values.mean(), abs=1e-4)
        assert pred["value_low"] < pred["value"] < pred["value_high"]
        assert 0 <= pred["p_low"] <= pred["p_high"] <= 1
    unsimulated = next(
        p for p in ({"a_lever"}, {"b_lever"}, set()) if not predict(emu, "start_rate_same_year", p)["simulated"]
    )
    assert not predict(emu, "start_rate_same_year", unsimulated)["simulated"]
    both = predict(emu, "start_rate_same_year", {"a_lever", "b_lever"})["value"]
    neither = predict(emu, "start_rate_same_year", set())["value"]
    assert both - neither == pytest.approx(2 * (3 + 2), abs=1.5)  # 10+3+2+1.5 vs 10-3-2+1.5


def test_package_with_unknown_lever_is_an_error(emu: dict) -> None:
    with pytest.raises(ValueError, match="not screened"):
        predict(emu, "start_rate_same_year", {"no_such_lever"})


def test_model_matrix_orders_pairs_like_terms(emu: dict) -> None:
    row = model_matrix(np.array([[1.0, -1.0, 1.0, -1.0, 1.0]]))[0]
    assert row[0] == 1
    assert emu["terms"][5] == "a_lever:b_lever"
    assert row[6] == -1  # intercept, five levers, then a:b = 1 * -1


def public(emu: dict) -> dict:
    return {k: v for k, v in emu.items() if not k.startswith("_")}


@pytest.mark.slow
def test_sheet_formulas_recompute_to_the_model_numbers(emu: dict, tmp_path: Path) -> None:
    """Evaluate the sheet's formulas with the `formulas` package (an independent Excel evaluator)."""
    formulas = pytest.importorskip("formulas")
    from openpyxl import Workbook, load_workbook

    base = tmp_path / "base.xlsx"
    Workbook().save(base)
    (name,) = add_whatif_sheets(base, public(emu))
    for package in PACKAGES[1:4]:
        wb = load_workbook(base)
        ws = wb[name]
        for i, lv in enumerate(LEVERS):
            ws.cell(row=6 + i, column=3, value=int(lv in package))
        path = tmp_path / f"whatif_{len(package)}.xlsx"
        wb.save(path)
        model = formulas.ExcelModel().loads(str(path)).finish()
        solution = model.calculate()
        expected = predict(public(emu), "start_rate_same_year", package)

        def read(cell: str, solution=solution, path=path) -> object:
            key = next(
                k for k in solution if k.upper().endswith(f"{sheet_name('start_rate_same_year').upper()}'!{cell}")
            )
            return solution[key].value[0, 0]

        for field, cell in WHATIF_CELLS.items():
            got = read(cell)
            if field == "simulated":
                assert str(got).startswith("simulated") == expected["simulated"]
            else:
                assert float(got) == pytest.approx(expected[field], rel=1e-9, abs=1e-9), field


def chromedriver() -> str | None:
    return shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)


@pytest.mark.slow
def test_panel_in_a_headless_browser_matches_the_model(emu: dict, tmp_path: Path) -> None:
    """Tick levers in Debian's chromium (headless), read the prediction, compare with predict()."""
    driver_path = chromedriver()
    if driver_path is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium and chromium-driver (.ci/run installs them)")
        pytest.skip("chromium-driver not installed (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.common.by import By

    page = tmp_path / "panel.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{panel_html(public(emu))}</body></html>",
        encoding="utf-8",
    )
    options = webdriver.ChromeOptions()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=driver_path)
    browser = webdriver.Chrome(service=service, options=options)
    try:
        browser.get(page.as_uri())
        ticked: set[str] = set()
        for package in PACKAGES:
            for lv in LEVERS:
                if (lv in package) != (lv in ticked):
                    browser.find_element(By.ID, f"wi-lever-{lv}").click()
            ticked = set(package)
            expected = predict(public(emu), "start_rate_same_year", package)
            raw = {
                f: browser.find_element(By.ID, f"wi-{f.replace('_attain', '').replace('_', '-')}").get_attribute(
                    "data-raw"
                )
                for f in ("value", "value_low", "value_high", "p_attain", "p_low", "p_high", "simulated")
            }
            for field in ("value", "value_low", "value_high", "p_attain", "p_low", "p_high"):
                assert float(raw[field]) == pytest.approx(expected[field], rel=1e-9, abs=1e-9), field
            assert raw["simulated"] == ("1" if expected["simulated"] else "0")
    finally:
        browser.quit()


def test_report_finds_or_rejects_an_emulator(emu: dict, tmp_path: Path) -> None:
    import json

    from analysis.report.whatif import panel_section, whatif_emulator

    assert whatif_emulator(tmp_path, None) is None  # no emulator.json: no panel
    with pytest.raises(ValueError, match="does not exist"):
        whatif_emulator(tmp_path, tmp_path / "missing.json")
    (tmp_path / "emulator.json").write_text(json.dumps(public(emu)), encoding="utf-8")
    found = whatif_emulator(tmp_path, None)
    assert found is not None
    heading, block = panel_section(found)
    assert "what-if" in heading
    assert "wi-lever-a_lever" in block
    assert "<script src" not in block  # offline: no external script
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="missing"):
        whatif_emulator(tmp_path, tmp_path / "bad.json")
