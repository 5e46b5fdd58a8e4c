"""The Yancheng-style snapshot of the model beside the evidence, and the ready share it implies.

``python -m sim.experiments.readiness_fit [--replications N] [override ...]`` runs the status
quo at point values (``uncertainty=none``) and prints, for the signings of a pre-campaign
year (default 2021, the year the validation record reads), the snapshot Yancheng published
(calibration.md §2.1: H1 signings on 30 June, started / in procedures / before procedures;
Jan-Sep signings started on 30 September) and the share of the year's signings started
within 90 days, beside the evidence (:mod:`analysis.snapshot`).

With ``--fit`` it also fits ``readiness.ready_share_of_no_land``: the started shares are
linear in the ready share (ready projects never queue for land), so two runs, with no ready
project and with every no-land project ready, give the line, and the Yancheng figures
(14% +- 7, 17% +- 7 points: another city) read off the share and its range. The model's own
durations make the line; nothing of 2023 enters.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.snapshot import evidence_table
from sim.compose import compose_study
from sim.run.replication import calendar_of, run_replication

# Yancheng's started shares and their error as another city (calibration.md §2.1; the
# validation record's ±7 points): (row of analysis.snapshot.EVIDENCE, observed, sd).
STARTED_EVIDENCE: tuple[tuple[str, float, float], ...] = (
    ("H1 signings started on 30 June", 0.14, 0.07),
    ("Jan-Sep signings started on 30 September", 0.17, 0.07),
)


def snapshot(overrides: list[str], replications: int, year: int) -> pd.DataFrame:
    """The snapshot of ``year``'s industrial ≥1亿 signings beside the evidence (status quo, point values).

    Parameters
    ----------
    overrides
        Hydra overrides on top of ``policy=status_quo uncertainty=none run=smoke``.
    replications
        Replications averaged (0 .. replications - 1).
    year
        A simulated year before the campaign launch (the status quo is in force).
    """
    cfg = compose_study(["run=smoke", "uncertainty=none", "policy=status_quo", *overrides])
    ledgers = [run_replication(cfg, r, keep_ledger=True).ledger for r in range(replications)]
    kept = [ledger for ledger in ledgers if ledger is not None]
    return evidence_table(kept, calendar_of(cfg).year_start(year))


@dataclass(frozen=True)
class ReadyShareFit:
    """The ready share of no-land projects that reproduces each Yancheng figure, and its range."""

    table: pd.DataFrame

    def summary(self) -> str:
        """One line per figure: the share that meets it, and the shares at ±1 sd."""
        return "\n".join(
            f"{row.measure}: observed {row.observed:.3f} ± {row.sd:.2f}; model {row.at_zero:.3f} with no ready "
            f"project, {row.at_one:.3f} with all no-land projects ready -> ready_share_of_no_land "
            f"{row.fit:.2f} (range {row.low:.2f}-{row.high:.2f}, clipped to 0-1)"
            for row in self.table.itertuples()
        )


def fit_ready_share(overrides: list[str], replications: int, year: int) -> ReadyShareFit:
    """Fit ``readiness.ready_share_of_no_land`` to Yancheng's started shares on the model's own durations."""
    ends = [
        snapshot([*overrides, f"model.readiness.ready_share_of_no_land={c}"], replications, year)
        .set_index("measure")["model"]
        .astype(float)
        for c in (0.0, 1.0)
    ]
    rows = []
    for measure, observed, sd in STARTED_EVIDENCE:
        zero, one = float(ends[0][measure]), float(ends[1][measure])
        slope = one - zero

        def share(target: float, zero: float = zero, slope: float = slope) -> float:
            return float(np.clip((target - zero) / slope, 0.0, 1.0)) if slope > 0 else float("nan")

        rows.append(
            {
                "measure": measure,
                "observed": observed,
                "sd": sd,
                "at_zero": zero,
                "at_one": one,
                "fit": share(observed),
                "low": share(observed - sd),
                "high": share(observed + sd),
            }
        )
    return ReadyShareFit(pd.DataFrame(rows))


def main(argv: list[str] | None = None) -> int:
    """Print the snapshot beside the evidence (and, with ``--fit``, the ready share it implies)."""
    parser = argparse.ArgumentParser(prog="python -m sim.experiments.readiness_fit", description=__doc__)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--year", type=int, default=2021)
    parser.add_argument("--fit", action="store_true", help="also fit readiness.ready_share_of_no_land")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. model.prework.median_days=45")
    args = parser.parse_args(argv)
    table = snapshot(args.overrides, args.replications, args.year)
    out = [
        f"Status quo, point values, {args.replications} replications: industrial ≥1亿 signings of {args.year}",
        table.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
    ]
    if args.fit:
        out.append(fit_ready_share(args.overrides, args.replications, args.year).summary())
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
