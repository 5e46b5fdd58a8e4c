"""The report's charts, drawn one job at a time so that a sweep's jobs can draw in parallel.

:func:`cell_charts` draws what one job (scenario x policy) needs and :func:`sweep_charts` the
charts that compare jobs; both take plain picklable inputs (:class:`CellInput`,
:class:`SweepInput`) and return :class:`Chart` records, so :func:`draw_charts` can run them in
worker processes (matplotlib is not thread-safe). Every chart is written as an SVG (the HTML
embeds it: text stays text, a few tens of kB a chart; PowerPoint, Keynote, LibreOffice and WPS
take SVG on slides) and, on request (``png``), as a 150-dpi PNG.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

# The targets a leader asks about first (issue 5: start rate, agreed investment, industrial
# investment spent), then the other campaign headline counts for fan charts and comparisons.
HEADLINE: tuple[str, ...] = ("start_rate_same_year", "agreed_investment", "industrial_investment")
FAN_TARGETS: tuple[str, ...] = (*HEADLINE, "started_same_year")  # slide-sized fans; every target is on the grid
# Sections of the page that details one job, and those that compare the jobs of a sweep.
CELL_SECTIONS: tuple[str, ...] = ("attainment", "fan", "bottlenecks", "funnel")
SWEEP_SECTIONS: tuple[str, ...] = ("distribution", "comparison")


@dataclass(frozen=True)
class Chart:
    """One chart written to disk: section, bilingual caption, PNG (when drawn) and SVG paths, and its job.

    ``cell`` is the (scenario, policy) the chart details, or None for a chart of the whole run
    or sweep (distributions, comparisons).
    """

    section: str
    caption: str
    png: Path | None
    svg: Path
    cell: tuple[str, str] | None = None

    @property
    def files(self) -> list[Path]:
        """The files of this chart (the SVG, then the PNG when drawn)."""
        return [self.svg, *([self.png] if self.png is not None else [])]


def slug(*parts: str) -> str:
    """A file-name-safe join of ``parts``."""
    text = "_".join(parts)
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text)


@dataclass(frozen=True)
class CellInput:
    """Everything the charts of one job need (tables of that job only)."""

    scenario: str
    policy: str
    out_dir: Path
    multi: bool  # one job of a sweep (file names and titles carry the job)
    one_scenario: bool  # the sweep varies only the policy (titles name the policy alone)
    attainment: pd.DataFrame
    kpis: pd.DataFrame
    monthly: pd.DataFrame
    actual: pd.DataFrame | None = None
    bottlenecks: dict[str, pd.DataFrame] = field(default_factory=dict)
    ledger_replications: int = 0
    every_target: bool = True  # the all-target fan page (a single run; a sweep links each job's report)
    interval_note: str = ""  # what the intervals and bands cover (report_uncertainty.interval_note)
    png: bool = False  # also a PNG of every chart (python -m analysis report --png)


@dataclass(frozen=True)
class SweepInput:
    """What the charts across jobs need: every job's KPIs, and the comparison when present."""

    out_dir: Path
    attainment: pd.DataFrame
    kpis: pd.DataFrame
    policies: list[str]
    comparison: pd.DataFrame | None = None
    interval_note: str = ""  # what the intervals cover, when every job agrees
    png: bool = False  # also a PNG of every chart


def _save(
    charts: list[Chart],
    out_dir: Path,
    section: str,
    caption: str,
    fig: Any,
    name: Sequence[str],
    *,
    cell: tuple[str, str] | None = None,
    dpi: int | None = None,
    png: bool = False,
) -> None:
    """Write ``fig`` (SVG, and PNG with ``png``) and record it in ``charts``."""
    from analysis.plots.style import DPI, save_figure

    svg, *pngs = save_figure(fig, out_dir / slug(section, *name), dpi=dpi or DPI, png=png)
    charts.append(Chart(section, caption, pngs[0] if pngs else None, svg, cell))


def cell_charts(job: CellInput) -> list[Chart]:
    """Draw one job's charts: attainment overview, fan charts, bottlenecks and funnel.

    Fan charts: the headline targets on slides and, with ``job.every_target``, every target
    on one page (with the actual path when known).
    """
    from analysis.plots.attainment import attainment_overview, expected_shortfall, slide_chunks
    from analysis.plots.bottlenecks import bottleneck_overview
    from analysis.plots.fan import as_of_month, fan_grid, plot_fan
    from analysis.plots.funnel import plot_funnel
    from analysis.plots.style import PAGE_DPI, add_note, target_titles

    charts: list[Chart] = []
    cell = (job.scenario, job.policy)
    name = cell if job.multi else ()
    tag = f" — {job.scenario} / {job.policy}" if job.multi else ""
    on_chart = "" if not job.multi else (f"— {job.policy}" if job.one_scenario else f"— {job.scenario} / {job.policy}")
    att = job.attainment.reset_index(drop=True)
    short = expected_shortfall(job.kpis, att)
    pieces = slide_chunks(att)
    for k, piece in enumerate(pieces, start=1):
        part = f"({k}/{len(pieces)})" if len(pieces) > 1 else ""
        fig = attainment_overview(piece, short, subtitle=f"{part} {on_chart}".strip(), note=job.interval_note)
        number = (str(k),) if len(pieces) > 1 else ()
        caption = f"目标达标概率 Attainment overview {part}{tag}"
        _save(charts, job.out_dir, "attainment", caption, fig, (*name, *number), cell=cell, png=job.png)
    titles = target_titles(att)
    as_of = as_of_month(job.monthly)
    for target in FAN_TARGETS:
        row = att[att["target"] == target]
        if row.empty:
            continue
        ax = plot_fan(
            job.monthly,
            target,
            goal=float(row["goal"].iloc[0]),
            unit=str(row["unit"].iloc[0]),
            title=f"{titles[target]}  {on_chart}".rstrip(),
            actual=job.actual,
            as_of=as_of,
        )
        add_note(ax.figure, job.interval_note)
        _save(charts, job.out_dir, "fan", f"{titles[target]}{tag}", ax.figure, (target, *name), cell=cell, png=job.png)
    if job.every_target:
        grid = fan_grid(job.monthly, att, actual=job.actual, as_of=as_of, subtitle=on_chart)
        add_note(grid, job.interval_note)
        caption = f"各指标月度进度 Every target, month by month{tag}"
        _save(charts, job.out_dir, "fan", caption, grid, ("all", *name), dpi=PAGE_DPI, cell=cell, png=job.png)
    pick = job.bottlenecks
    if "waits" in pick and not pick["waits"].empty:
        fig = bottleneck_overview(
            pick["waits"],
            pick["leaders"],
            pick["walkaways"],
            pick["starts_at_stake"],
            n_replications=job.ledger_replications,
            subtitle=on_chart,
        )
        _save(charts, job.out_dir, "bottlenecks", "瓶颈 Bottlenecks" + tag, fig, name, cell=cell, png=job.png)
        funnel = plot_funnel(pick["funnel"], subtitle=on_chart).figure
        _save(charts, job.out_dir, "funnel", "项目漏斗 Pipeline funnel" + tag, funnel, name, cell=cell, png=job.png)
    return charts


def sweep_charts(sweep: SweepInput) -> list[Chart]:
    """Charts across jobs: year-end distributions of the headline targets, all jobs overlaid.

    With a comparison table, also the forest plot and the change in P(attain).
    """
    from analysis.plots.compare import plot_forest, plot_p_attain_change
    from analysis.plots.fan import plot_distribution
    from analysis.plots.style import add_note, policy_colours, target_titles

    charts: list[Chart] = []
    colours = policy_colours(sweep.policies)  # same colour on every slide
    att0 = sweep.attainment.drop_duplicates("target")
    titles = target_titles(att0)
    for target in HEADLINE:
        row = att0[att0["target"] == target]
        if row.empty:
            continue
        ax = plot_distribution(
            sweep.kpis,
            target,
            goal=float(row["goal"].iloc[0]),
            unit=str(row["unit"].iloc[0]),
            direction=str(row["direction"].iloc[0]) if "direction" in row else "at_least",
            title=titles[target],
            colours=colours,
        )
        add_note(ax.figure, sweep.interval_note)
        _save(charts, sweep.out_dir, "distribution", titles[target], ax.figure, (target,), png=sweep.png)
    comparison = sweep.comparison
    if comparison is not None and len(comparison):
        keys = [t for t in FAN_TARGETS if t in set(comparison["target"])] or None
        fig = plot_forest(comparison, targets=keys, colours=colours).figure
        add_note(fig, sweep.interval_note)
        _save(
            charts,
            sweep.out_dir,
            "comparison",
            "政策配对差值 Paired policy differences",
            fig,
            ("forest",),
            png=sweep.png,
        )
        fig = plot_p_attain_change(comparison, targets=keys, colours=colours).figure
        add_note(fig, sweep.interval_note)
        _save(
            charts, sweep.out_dir, "comparison", "达标概率变化 Change in P(attain)", fig, ("p_attain",), png=sweep.png
        )
    return charts


def available_cores() -> int:
    """CPU cores this process may use (its affinity mask where the OS has one)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


def _warm_up() -> None:
    """A spawned worker's start: import the plotting modules of a job's charts, look up the fonts.

    Not the comparison charts' (they import scipy, ~2 s): the sweep's charts are the last task,
    which this process usually draws.
    """
    from analysis.plots.style import apply_style

    apply_style()


@contextlib.contextmanager
def chart_workers(processes: int) -> Iterator[ProcessPoolExecutor | None]:
    """``processes`` spawned chart workers, started now (None for none), closed on exit.

    Started before the run's tables are read, the workers import matplotlib and pandas and
    look up the fonts (~1.5-3 CPU seconds each) while this process reads. Workers are spawned,
    never forked from this process: the parent holds pandas/pyarrow thread pools that a
    forked child would inherit in an unknown state. They are this process's children, so
    their CPU time shows in ``resource.getrusage(RUSAGE_CHILDREN)`` once the pool is closed
    (the bench uses it).
    """
    if processes < 1:
        yield None
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=ctx, initializer=_warm_up) as pool:
        pool.submit(int)  # a spawning pool starts its processes on the first task
        yield pool


def draw_charts(
    tasks: Sequence[Callable[[], list[Chart]]],
    pool: ProcessPoolExecutor | None,
    meanwhile: Callable[[], object] | None = None,
) -> list[Chart]:
    """Run chart ``tasks`` (picklable callables) on ``pool`` and here; charts in task order.

    The pool's workers draw tasks from the front of the list while this process runs
    ``meanwhile`` (e.g. writing the workbook) and then draws tasks from the back until it
    meets one a worker has taken (this process has matplotlib imported and the fonts looked
    up already). Without a pool (or with one task) everything is drawn here.
    """
    if pool is None or len(tasks) <= 1:
        if meanwhile is not None:
            meanwhile()
        return [chart for task in tasks for chart in task()]
    futures = [pool.submit(task) for task in tasks]
    if meanwhile is not None:
        meanwhile()
    done: dict[int, list[Chart]] = {}
    for k in reversed(range(len(tasks))):
        if not futures[k].cancel():  # a worker has it (workers take tasks in order)
            break
        done[k] = tasks[k]()
    return [chart for k, future in enumerate(futures) for chart in (done[k] if k in done else future.result())]
