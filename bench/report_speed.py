"""Time the planner's report of a 3-job and a 14-job sweep (issue 13's report goals).

Each sweep is made once with few replications (``python -m sim -m ...``: the figures are
about drawing, not statistics), then ``python -m analysis report`` runs in a fresh
interpreter, as a planner would run it. CPU seconds count the report process and its
worker processes (all reaped children), so a loaded machine shows up as CPU/wall.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.measures import Figure

ROOT = Path(__file__).resolve().parents[1]
# The 3-job sweep: baseline, one lever, all levers; the 14-job sweep: every policy file.
SMALL_SWEEP: tuple[str, ...] = ("status_quo", "ready_to_build", "plan")
REPORT_GOALS_S: dict[int, float] = {3: 10.0, 14: 30.0}  # issue 13
HTML_GOAL_MB = 3.0  # issue 13: report.html small enough to e-mail


def all_policies() -> tuple[str, ...]:
    """Every policy file: the status quo, the twelve levers and the plan (14)."""
    names = sorted(p.stem for p in (ROOT / "conf" / "policy").glob("*.yaml"))
    return ("status_quo", *[n for n in names if n not in ("status_quo", "plan")], "plan")


def make_sweep(out: Path, policies: tuple[str, ...], replications: int) -> Path:
    """Run a policy sweep into ``out`` (a multirun directory) and its paired comparison."""
    if out.exists():
        shutil.rmtree(out)
    cmd = [
        sys.executable,
        "-m",
        "sim",
        "-m",
        f"policy={','.join(policies)}",
        f"run.replications={replications}",
        "run.keep_ledgers=1",
        "run.progress=false",
        f"hydra.sweep.dir={out}",
    ]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    compare = [sys.executable, "-m", "analysis", "compare", str(out), "--baseline", "status_quo"]
    subprocess.run(compare, cwd=ROOT, check=True, capture_output=True)
    return out


def time_report(sweep: Path, code_root: Path = ROOT) -> dict[str, float]:
    """Wall and CPU seconds of ``python -m analysis report --force`` on ``sweep``, and page sizes.

    ``code_root`` is the working directory the report runs from (``-m`` imports from it),
    so an older checkout of the code can be timed on the same sweep.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "analysis", "report", str(sweep), "--force"]
    subprocess.run(cmd, cwd=code_root, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    pages = [sweep / "report.html", *(sweep / "report_cells").glob("*.html")]
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "cpu_cores_obtained": cpu / wall,
        "html_mb": (sweep / "report.html").stat().st_size / 2**20,
        "all_pages_mb": sum(p.stat().st_size for p in pages if p.exists()) / 2**20,
        "charts": len(list((sweep / "charts").glob("*.svg"))),
    }


def report_speed(work: Path, replications: int, *, full: bool = True) -> list[Figure]:
    """Report time of a 3-job sweep (and, with ``full``, a 14-job sweep), and the page size."""
    figures = []
    sweeps = {3: SMALL_SWEEP, 14: all_policies()} if full else {3: SMALL_SWEEP}
    for jobs, policies in sweeps.items():
        sweep = make_sweep(work / f"sweep{jobs}", policies, replications)
        got = time_report(sweep)
        detail = {k: round(v, 2) for k, v in got.items()} | {"replications": replications, "load": os.getloadavg()}
        figures.append(
            Figure(
                f"report of a {jobs}-job sweep (wall)",
                got["wall_s"],
                "s",
                goal=REPORT_GOALS_S[jobs],
                at_least=False,
                detail=detail,
            )
        )
        figures.append(Figure(f"report of a {jobs}-job sweep (CPU, report and workers)", got["cpu_s"], "s"))
        if jobs == min(sweeps):
            figures.append(
                Figure(f"report.html of a {jobs}-job sweep", got["html_mb"], "MB", goal=HTML_GOAL_MB, at_least=False)
            )
    return figures
