"""Drift across ledger dates and the early warning, on hand-made attainment tables."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import pytest

from analysis.drift import drift_table, early_warning, plot_drift, read_attainment

DATES = ("2023-04-30", "2023-05-31", "2023-06-30")
P = {"a": (0.9, 0.7, 0.4), "b": (0.3, 0.35, 0.45), "c": (0.8, 0.8, 0.9), "d": (0.6, 0.4, 0.6)}


def _tables(tmp_path: Path) -> list[Path]:
    paths = []
    for i, day in enumerate(DATES):
        frame = pd.DataFrame(
            {
                "scenario": "s",
                "policy": "p",
                "as_of": day,
                "target": list(P),
                "label_zh": list(P),
                "label_en": [k.upper() for k in P],
                "p_attain": [v[i] for v in P.values()],
            }
        ).assign(p_attain_low=lambda f: f["p_attain"] - 0.05, p_attain_high=lambda f: f["p_attain"] + 0.05)
        path = tmp_path / f"att_{day}.csv"
        frame.sample(frac=1.0, random_state=i).to_csv(path, index=False, encoding="utf-8-sig")
        paths.append(path)
    return paths


def test_drift_and_early_warning(tmp_path: Path) -> None:
    drift = drift_table(read_attainment(reversed(_tables(tmp_path))))
    a = drift[drift["target"] == "a"]
    np.testing.assert_allclose(a["p_attain"], P["a"])
    np.testing.assert_allclose(a["change"].iloc[1:], [-0.2, -0.3])
    assert np.isnan(a["change"].iloc[0])
    warn = early_warning(drift)
    assert list(warn["target"]) == ["a", "b"]  # lowest first; c and d end at or above 0.5
    row = warn.set_index("target")
    assert row.loc["a", "newly_below"]
    assert not row.loc["b", "newly_below"]
    assert row.loc["b", "first_below"] == pd.Timestamp(DATES[0])
    assert row.loc["a", "first_below"] == pd.Timestamp(DATES[2])
    assert list(early_warning(drift, threshold=0.85)["target"]) == ["a", "b", "d"]
    ax = plot_drift(drift, targets=["a", "b"])
    assert len(ax.get_lines()) == 3  # two targets and the threshold


def test_drift_needs_nowcast_tables(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    pd.DataFrame({"target": ["a"], "p_attain": [0.5]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match="no 'as_of' column"):
        read_attainment([path])


def test_drift_command_writes_tables_and_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from analysis.__main__ import main

    out = tmp_path / "drift"
    assert main(["drift", *map(str, _tables(tmp_path)), "--out", str(out)]) == 0
    assert "a A: 40% (change -30%)" in capsys.readouterr().out
    warn = pd.read_csv(out / "early_warning.csv", encoding="utf-8-sig")
    assert list(warn["target"]) == ["a", "b"]
    assert (out / "drift.png").stat().st_size > 0
    assert main(["drift", *map(str, _tables(tmp_path)), "--out", str(out)]) == 2  # never overwrites
