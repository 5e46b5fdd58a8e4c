"""``python -m bench``: measure speed and scale in one run, print the table, save JSON.

Every figure is measured now, on this machine, in this process (or its subprocesses), and
compared with the goal of issue 6. Numbers are noisy on a shared machine; the JSON keeps
the load average before and after so a reader can judge. Results go to
``bench/results/bench-<UTC time>.json`` (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench.ledger_check import ledger_check
from bench.measures import (
    Figure,
    crn_variance_reduction,
    event_rate,
    help_startup,
    kpi_table_memory,
    throughput,
)
from bench.study import compose_study

RESULTS = Path(__file__).resolve().parent / "results"


def fmt(value: float, unit: str) -> str:
    """A figure for the table."""
    if unit == "events/s":
        return f"{value:,.0f} {unit}"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:,.2f} {unit}"


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table (what the README shows)."""
    lines = ["| measure | figure | goal | met |", "|---|---|---|---|"]
    for f in figures:
        goal = "" if f.goal is None else ("≥ " if f.at_least else "≤ ") + fmt(f.goal, f.unit)
        met = {None: "", True: "yes", False: "**no**"}[f.met]
        lines.append(f"| {f.name} | {fmt(f.value, f.unit)} | {goal} | {met} |")
    return "\n".join(lines)


def main() -> None:
    """Run every measure and report."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the bench runs, figures meaningless")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for the parallel figures")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the JSON (default bench/results)")
    args = parser.parse_args()
    sizes = (
        {"rounds": 2, "speed": 4, "big": 8, "memory": 100, "crn": 4, "ledger_rows": 50}
        if args.quick
        else {"rounds": 6, "speed": 200, "big": 1000, "memory": 10_000, "crn": 60, "ledger_rows": 1000}
    )
    load_before = os.getloadavg()
    started = time.perf_counter()
    cfg = compose_study([])  # the CLI's default: scenario huaian_2023, policy plan
    figures = [help_startup(5)]
    figures += event_rate(cfg, sizes["rounds"])
    speed, big_run = throughput(cfg, sizes["speed"], sizes["big"], args.jobs)
    figures += speed
    figures.append(kpi_table_memory(cfg, big_run, sizes["memory"]))
    figures += crn_variance_reduction(compose_study, sizes["crn"], args.jobs)
    figures += ledger_check(sizes["ledger_rows"], 3)
    report = table(figures)
    print(report)
    meta = {
        "when_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "sizes": sizes,
        "jobs": args.jobs,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "bench_wall_s": round(time.perf_counter() - started, 1),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    body = {"meta": meta, "figures": [asdict(f) | {"met": f.met} for f in figures], "table": report}
    out.write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
    for f in figures:
        if "cpu_cores_obtained" in f.detail:
            print(f"{f.name}: the run obtained {f.detail['cpu_cores_obtained']} CPU cores on average")
    print(f"\nload average before {load_before}, after {meta['load_average_after']}; {meta['bench_wall_s']} s")
    print(f"saved {out}")


if __name__ == "__main__":
    main()
