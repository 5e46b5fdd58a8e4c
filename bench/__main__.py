"""``python -m bench``: measure speed and scale in one run, print the table, save JSON.

Every figure is measured now, on this machine, in this process (or its subprocesses), and
compared with the goals of issues 6, 13 and 26 (issue 26's as ratios of timings taken in this
run). Numbers are noisy on a shared machine; the JSON keeps the load average before and after
so a reader can judge. Results go to
``bench/results/bench-<UTC time>.json`` (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
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
from bench.readme import PAGE, latest, update_page
from bench.report_speed import report_speed
from bench.screen import screen_figures
from bench.study import compose_study

RESULTS = Path(__file__).resolve().parent / "results"


def fmt(value: float, unit: str) -> str:
    """A figure for the table."""
    if unit == "events/s":
        return f"{value:,.0f} {unit}"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "events":
        return f"{value:,.0f} raw SimPy events"
    if unit == "diff":
        return f"{value:g}"
    return f"{value:,.2f} {unit}"


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table (what docs/benchmark.md shows)."""
    lines = ["| measure | figure | goal | met |", "|---|---|---|---|"]
    for f in figures:
        goal = "" if f.goal is None else ("≥ " if f.at_least else "≤ ") + fmt(f.goal, f.unit)
        met = {None: "", True: "yes", False: "**no**"}[f.met]
        lines.append(f"| {f.name} | {fmt(f.value, f.unit)} | {goal} | {met} |")
    return "\n".join(lines)


def _commit() -> str:
    """The checked-out commit (and '+changes' with uncommitted edits), or '' outside git."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=False
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, check=False
        )
    except OSError:
        return ""
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "") if head.returncode == 0 else ""


def main() -> None:
    """Run every measure and report."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the bench runs, figures meaningless")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for the parallel figures")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the JSON (default bench/results)")
    parser.add_argument(
        "--readme",
        nargs="?",
        const="latest",
        metavar="JSON",
        help="measure nothing: rewrite docs/benchmark.md's generated section from JSON (default: newest full run)",
    )
    parser.add_argument(
        "--size",
        action="append",
        default=[],
        metavar="KEY=N",
        help="override one size (rounds, speed, big, memory, crn, report, ledger_rows, screen_cells, screen_reps), "
        "e.g. --size big=200",
    )
    args = parser.parse_args()
    if args.readme:
        source = latest(args.results) if args.readme == "latest" else Path(args.readme)
        update_page(PAGE, source)
        print(f"{PAGE.relative_to(PAGE.parents[1])} benchmark section written from {source}")
        return
    sizes = (
        {"rounds": 2, "speed": 4, "big": 8, "memory": 100, "crn": 4, "report": 2, "ledger_rows": 50}
        | {"screen_cells": 2, "screen_reps": 1}
        if args.quick
        else {"rounds": 6, "speed": 200, "big": 1000, "memory": 10_000, "crn": 60, "report": 4, "ledger_rows": 1000}
        | {"screen_cells": 16, "screen_reps": 4}
    )
    for item in args.size:
        key, _, value = item.partition("=")
        if key not in sizes or not value.isdigit() or int(value) < 1:
            parser.error(f"--size {item}: expected KEY=N with KEY in {', '.join(sizes)} and N >= 1")
        sizes[key] = int(value)
    load_before = os.getloadavg()
    started = time.perf_counter()
    cfg = compose_study([])  # the CLI's default: scenario huaian_2023, policy plan
    figures = [help_startup(5)]
    figures += event_rate(cfg, sizes["rounds"])
    speed, big_run = throughput(cfg, sizes["speed"], sizes["big"], args.jobs)
    figures += speed
    figures.append(kpi_table_memory(cfg, big_run, sizes["memory"]))
    figures += crn_variance_reduction(compose_study, sizes["crn"], args.jobs)
    figures += screen_figures(sizes["screen_cells"], sizes["screen_reps"], args.jobs)
    figures += ledger_check(sizes["ledger_rows"], 3)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as work:
        figures += report_speed(Path(work), sizes["report"], full=not args.quick)
    report = table(figures)
    print(report)
    meta = {
        "when_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "sizes": sizes,
        "jobs": args.jobs,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "commit": _commit(),
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
