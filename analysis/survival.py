"""Survival curves of fitted durations against Kaplan–Meier (calibration from a ledger)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes


def plot_survival(curves: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Fitted survival (line) against the Kaplan–Meier estimate (steps) of one duration.

    Parameters
    ----------
    curves
        Rows of one duration with columns ``duration``, ``days``, ``curve``
        ("Kaplan-Meier" or "fitted") and ``survival`` (share not yet ended, 0-1).
    ax
        Axes to draw on; a new figure's axes if None.
    """
    ax = ax or plt.figure().add_subplot()
    km = curves[curves["curve"] == "Kaplan-Meier"]
    fitted = curves[curves["curve"] == "fitted"]
    ax.step(km["days"], km["survival"], where="post", color="0.3", label="Kaplan-Meier")
    ax.plot(fitted["days"], fitted["survival"], color="C3", label="fitted")
    ax.set_title(str(curves["duration"].iloc[0]) if len(curves) else "")
    ax.set_xlabel("days (ratio for start -> completion)")
    ax.set_ylabel("share not yet ended")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False)
    return ax
