"""Probability drift across ledger dates, and the early warning (一月一通报 follow-up).

Each nowcast run (``python -m sim nowcast.ledger=... nowcast.as_of=...``) writes an
``attainment.csv`` marked with its ``as_of``. Stacked, they show how the probability of
reaching each target moved month by month. The early warning lists targets whose latest
probability is below a threshold; the default 0.5 is the point where missing the target
becomes more likely than reaching it (a convention, not a figure from the plan — a
planner may prefer a stricter 0.8).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

WARNING_THRESHOLD = 0.5  # P(attain) below this: missing is more likely than reaching

DRIFT_COLUMNS: tuple[str, ...] = (
    "target",
    "label_zh",
    "label_en",
    "as_of",
    "p_attain",
    "p_attain_low",
    "p_attain_high",
    "change",
)


def read_attainment(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Stack the ``attainment.csv`` of several nowcast runs (each must carry ``as_of``)."""
    frames = []
    for path in paths:
        frame = pd.read_csv(path, encoding="utf-8-sig")
        if "as_of" not in frame.columns:
            raise ValueError(f"{path}: no 'as_of' column; expected the attainment.csv of a nowcast run")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def drift_table(attainment: pd.DataFrame) -> pd.DataFrame:
    """One row per target and ledger date, with the change in ``p_attain`` since the previous date.

    Parameters
    ----------
    attainment
        Stacked attainment tables with ``as_of`` (ISO date), ``target``, labels and
        ``p_attain`` with its interval (probabilities 0-1), one scenario x policy cell.

    Returns
    -------
    DataFrame
        Columns :data:`DRIFT_COLUMNS`, sorted by target (plan order) and ``as_of``;
        ``change`` is NaN at the first date.
    """
    cells = attainment[["scenario", "policy"]].drop_duplicates() if "scenario" in attainment else pd.DataFrame()
    if len(cells) > 1:
        raise ValueError(f"drift_table expects one scenario x policy cell, got {len(cells)}")
    order = {t: i for i, t in enumerate(dict.fromkeys(attainment["target"]))}
    df = attainment.assign(as_of=pd.to_datetime(attainment["as_of"]), _order=attainment["target"].map(order))
    df = df.sort_values(["_order", "as_of"]).reset_index(drop=True)
    df["change"] = df.groupby("target", sort=False)["p_attain"].diff()
    return df[list(DRIFT_COLUMNS)]


def early_warning(drift: pd.DataFrame, *, threshold: float = WARNING_THRESHOLD) -> pd.DataFrame:
    """Targets whose probability on the latest ledger date is below ``threshold``.

    Returns
    -------
    DataFrame
        One row per warned target: labels, ``as_of`` (latest date), ``p_attain`` and its
        interval, ``change`` since the previous date, ``first_below`` (first date of the
        current run below the threshold) and ``newly_below`` (True if it was at or above it
        on the previous date). Sorted by ``p_attain``, lowest first.
    """
    rows = []
    for _, unsorted in drift.groupby("target", sort=False):
        g = unsorted.sort_values("as_of").reset_index(drop=True)
        last = g.iloc[-1]
        if not last["p_attain"] < threshold:
            continue
        above = g["p_attain"] >= threshold
        start = g.index[above].max() if above.any() else None
        first_below = g.loc[g.index > start, "as_of"].min() if start is not None else g["as_of"].min()
        rows.append(
            {
                **last[["target", "label_zh", "label_en", "as_of", "p_attain", "p_attain_low", "p_attain_high"]],
                "change": last["change"],
                "first_below": first_below,
                "newly_below": len(g) > 1 and bool(g.iloc[-2]["p_attain"] >= threshold),
            }
        )
    columns = [*DRIFT_COLUMNS, "first_below", "newly_below"]
    return pd.DataFrame(rows, columns=columns).sort_values("p_attain", kind="stable").reset_index(drop=True)


def plot_drift(
    drift: pd.DataFrame,
    *,
    targets: Iterable[str] | None = None,
    threshold: float = WARNING_THRESHOLD,
    ax: Axes | None = None,
) -> Axes:
    """P(attain) of each target against the ledger date, with the warning threshold.

    Parameters
    ----------
    drift
        :func:`drift_table` output.
    targets
        Target keys to draw (default: all).
    threshold
        Horizontal line of the early warning (probability 0-1).
    ax
        Axes to draw on; a new figure's axes if None.
    """
    ax = ax or plt.figure(figsize=(8, 5)).add_subplot()
    keep = set(targets) if targets is not None else set(drift["target"])
    for target, g in drift[drift["target"].isin(keep)].groupby("target", sort=False):
        ax.plot(g["as_of"], g["p_attain"], marker="o", label=f"{g['label_en'].iloc[0]} ({target})")
        ax.fill_between(g["as_of"], g["p_attain_low"], g["p_attain_high"], alpha=0.15)
    ax.axhline(threshold, color="0.4", linestyle="--", linewidth=1, label=f"warning threshold {threshold:.0%}")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("ledger date (as_of)")
    ax.set_ylabel("P(reach the year-end target)")
    ax.set_title("Probability drift by ledger date")  # labels in English: CJK fonts are not assumed
    ax.legend(fontsize="small", frameon=False, loc="best")
    return ax
