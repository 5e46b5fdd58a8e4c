"""Land and waiting measurement (issue 23, items 4-5): the default city at point values.

``python -m bench.land_check --replications 40`` runs the default scenario (2019-2023, the
status quo and the plan, ``uncertainty=none``, kept ledgers) and prints, per policy: the 2023
same-year start rate, industrial >= 1亿 starts and signings, land queue waits and walk-aways
in 2023, and the Jan-Sep 2020 warm-up beside calibration.md §1 (345 signed, 305 started for
758亿, 169 completed). Counts are projects >= 1亿 of all sectors, as §1 reports them.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from sim.compose import compose_study
from sim.config.study import calendar_of
from sim.run.study import run_study

EVIDENCE_2020 = {"signed": 345, "started": 305, "started_yi": 758.0, "completed": 169}  # calibration.md §1


def _window(t: pd.Series, lo: float, hi: float) -> pd.Series:
    return (t >= lo) & (t < hi)


def measure(policy: str, replications: int, overrides: list[str]) -> dict[str, float]:
    """Means over replications of the measures above, for ``policy``."""
    cfg = compose_study(
        [
            f"policy={policy}",
            "uncertainty=none",
            f"run.replications={replications}",
            f"run.keep_ledgers={replications}",
            *overrides,
        ]
    )
    res = run_study(cfg)
    cal = calendar_of(cfg)
    y23, y24 = cal.year_start(2023), cal.year_start(2024)
    s20, oct20 = cal.year_start(2020), cal.day_of("2020-10-01")
    kpi = res.kpis[res.kpis["month"] == 12] if "month" in res.kpis else res.kpis
    wide = kpi.pivot_table(index="replication", columns="target", values="value")
    rows = []
    for _, lg in res.ledgers.groupby("replication"):
        big = lg["investment_yi"] >= 1.0
        signed23 = _window(lg["t_signed"], y23, y24)
        walked23 = _window(lg["t_walked"], y23, y24)
        in_land_queue23 = lg["wait_land_days"] > 0
        rows.append(
            {
                "land_wait_days_mean_2023_signings": lg.loc[signed23 & in_land_queue23, "wait_land_days"].mean(),
                "land_queue_share_2023_signings": (signed23 & in_land_queue23).sum() / max(signed23.sum(), 1),
                "walked_land_2023": (walked23 & (lg["walk_cause"] == "land")).sum(),
                "walked_queues_2023": (walked23 & lg["walk_cause"].isin(["land", "energy", "approvals"])).sum(),
                "signed_2020_jan_sep": (big & _window(lg["t_signed"], s20, oct20)).sum(),
                "started_2020_jan_sep": (big & _window(lg["t_started"], s20, oct20)).sum(),
                "started_yi_2020_jan_sep": lg.loc[big & _window(lg["t_started"], s20, oct20), "investment_yi"].sum(),
                "completed_2020_jan_sep": (big & _window(lg["t_completed"], s20, oct20)).sum(),
            }
        )
    out = {str(k): float(v) for k, v in pd.DataFrame(rows).mean().items()}
    for target in ("start_rate_same_year", "started_same_year", "started_industrial_1e8", "signed_industrial_1e8"):
        out[target] = float(wide[target].mean())
    return out


def main() -> None:
    """Print the measures of the status quo and the plan side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides")
    args = parser.parse_args()
    table = pd.DataFrame({p: measure(p, args.replications, args.overrides) for p in ("status_quo", "plan")})
    table["evidence"] = np.nan
    for key, value in EVIDENCE_2020.items():
        table.loc[f"{key}_2020_jan_sep" if key != "started_yi" else "started_yi_2020_jan_sep", "evidence"] = value
    with pd.option_context("display.float_format", "{:,.3f}".format, "display.width", 140):
        print(table)


if __name__ == "__main__":
    main()
