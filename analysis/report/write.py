"""The planner's report of a run or multirun: charts, ``report.xlsx`` and ``report.html``.

:func:`load_run` reads the tables ``python -m sim`` wrote (one run directory, or every job
directory of a multirun, plus ``comparison.csv`` and ``actual_monthly.parquet`` when present);
:func:`make_charts` draws the slide charts (PNG and SVG) into ``charts/``;
:func:`write_xlsx` and :func:`render_html` write the bilingual workbook and the one-page,
self-contained HTML report. :func:`write_report` does all of it and never replaces existing
report files unless asked to.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from analysis.bottlenecks import (
    CAUSE_LABELS,
    leaders_busy,
    queue_lengths,
    starts_at_stake,
    stuck_at_year_end,
    waits_by_month,
    walkaways,
)
from analysis.funnel import funnel, year_end_states
from analysis.plots.style import bilingual
from analysis.report.charts import (
    FAN_TARGETS,
    HEADLINE,
    CellInput,
    Chart,
    SweepInput,
    available_cores,
    cell_charts,
    chart_workers,
    draw_charts,
    slug,
    sweep_charts,
)
from analysis.report.files import _atomic_write, _remove_old_cell_pages, _remove_old_charts
from analysis.report.run_dir import RunTables, cell_rows, find_cells, load_run
from analysis.report.xlsx import assumptions_table, workbook_sheets

log = logging.getLogger(__name__)

__all__ = ["FAN_TARGETS", "HEADLINE", "Chart", "make_charts", "write_report"]  # HEADLINE etc. live in report_charts
REPORT_FILES: tuple[str, ...] = ("report.xlsx", "report.html", "charts", "report_cells")
CELL_PAGES = "report_cells"  # a sweep's page per job, linked from report.html


def bottleneck_tables(tables: RunTables) -> dict[str, pd.DataFrame]:
    """Bottleneck and funnel tables for every (scenario, policy) with ledgers, long with both keys."""
    out: dict[str, list[pd.DataFrame]] = {
        k: []
        for k in ("waits", "walkaways", "starts_at_stake", "stuck", "queues", "leaders", "funnel", "year_end_states")
    }
    if tables.ledgers.empty:
        return {}
    w = tables.window
    for scenario, policy in tables.cell_names:
        led, res = cell_rows(tables.ledgers, scenario, policy), cell_rows(tables.resources, scenario, policy)
        if led.empty:
            continue
        parts = {
            "waits": waits_by_month(led, w),
            "walkaways": walkaways(led, w),
            "starts_at_stake": starts_at_stake(led, res, w),
            "stuck": stuck_at_year_end(led, w),
            "queues": queue_lengths(res, w),
            "leaders": leaders_busy(res, w),
            "funnel": funnel(led, w),
            "year_end_states": year_end_states(led, w),
        }
        for key, frame in parts.items():
            out[key].append(frame.assign(scenario=scenario, policy=policy))
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items() if v}


def watch_section(watch: pd.DataFrame) -> tuple[str, str]:
    """The report's watch list: per county or park, the projects least likely to start this year."""
    from analysis.report.html import frame_table
    from analysis.watchlist import WATCH_HEADERS, at_risk_by_unit

    parts = []
    for (scenario, policy), rows in watch.groupby(["scenario", "policy"], sort=False, observed=True):
        top = at_risk_by_unit(rows)
        top.columns = pd.Index([" ".join(WATCH_HEADERS.get(str(c), (str(c), ""))).strip() for c in top.columns])
        title = f"<p>{scenario} / {policy}</p>" if watch[["scenario", "policy"]].drop_duplicates().shape[0] > 1 else ""
        parts.append(title + frame_table(top, percent=[" ".join(WATCH_HEADERS["p_started"])]))
    n_rep = int(watch["replications"].max())
    refused = int((watch["status"] == "not_forecast").sum())
    heading = (
        f"重点关注项目 Watch list: the projects least likely to start by 31 December, per county or park"
        f" (lowest P(started) first, {n_rep} replications; every project and its blockers in watchlist.csv"
        f" and the sheet 'watchlist'"
        + (f"; {refused} ledger row(s) refused by the reader are listed there as not forecast" if refused else "")
        + ")"
    )
    return heading, "".join(parts)


def help_section(help_table: pd.DataFrame, *, top: int = 10) -> tuple[str, str]:
    """The report's help section: the estimated candidates, best first, and the proposed allocation."""
    from analysis.help import HELP_HEADERS, ROW_ALLOCATION, help_shown
    from analysis.report.html import frame_table

    parts = []
    several = help_table[["scenario", "policy"]].drop_duplicates().shape[0] > 1
    for (scenario, policy), rows in help_table.groupby(["scenario", "policy"], sort=False, observed=True):
        shown = help_shown(rows, top=top)
        percent = [" ".join(HELP_HEADERS[c]) for c in ("p_started", "p_started_helped", "start_gain")]
        shown.columns = pd.Index([" ".join(HELP_HEADERS.get(str(c), (str(c), ""))).strip() for c in shown.columns])
        title = f"<p>{scenario} / {policy}</p>" if several else ""
        total = rows[rows["row"] == ROW_ALLOCATION]
        note = f"<p>{total['note'].iloc[0]}</p>" if len(total) and isinstance(total["note"].iloc[0], str) else ""
        parts.append(title + frame_table(shown, percent=percent) + note)
    n_rep = int(help_table["replications"].max())
    heading = (
        "领导帮办 Where leaders' help pays most: gain if a leader takes the project up now, by paired runs"
        f" ({n_rep} replications each, 95% intervals; points of goal summed over the plan's targets). In the model"
        " help settles a project's problem (堵点) by its leader even when the leaders' attention is taken; it cannot"
        " give land or energy quota, speed the approval queue or pre-work, or see a project's politics or an"
        " investor's finances. Every screened project in help.csv and the sheet 'help'"
    )
    return heading, "".join(parts)


def sweep_note(notes: dict[tuple[str, str], str]) -> str:
    """The jobs' common interval note, or a pointer to each job's when they differ."""
    distinct = set(notes.values())
    if len(distinct) <= 1:
        return next(iter(distinct), "")
    return bilingual(
        "各作业区间口径不同，见各作业图注", "Jobs differ in what their intervals cover: see each job's charts"
    )


def make_charts(
    tables: RunTables,
    out_dir: Path,
    bottlenecks: dict[str, pd.DataFrame],
    *,
    workers: int = 1,
    meanwhile: Callable[[], object] | None = None,
    pool: ProcessPoolExecutor | None = None,
    png: bool = False,
) -> list[Chart]:
    """Draw every chart of the report into ``out_dir`` (SVG; with ``png`` also PNG at 150 dpi).

    Sections: ``attainment`` (per job), ``fan`` (headline targets per job on slides; every
    target on one page for a single run, with the actual path when known), ``distribution``
    (headline targets, all jobs overlaid), ``comparison`` (when ``comparison.csv`` exists),
    ``bottlenecks`` and ``funnel`` (per job with ledgers). A sweep's jobs draw on ``workers``
    processes; a sweep leaves out each job's all-target fan page (the job's own directory is a
    run directory: report it alone for that page). ``meanwhile`` runs in this process while
    the workers draw (:func:`analysis.report.charts.draw_charts`); ``pool`` is a running
    :func:`~analysis.report.charts.chart_workers` (else one is started for ``workers``).
    """
    multi = len(tables.cell_names) > 1
    one_scenario = len({s for s, _p in tables.cell_names}) == 1
    tasks: list[Callable[[], list[Chart]]] = []
    for scenario, policy in tables.cell_names:
        ledgers = cell_rows(tables.ledgers, scenario, policy) if not tables.ledgers.empty else tables.ledgers
        job = CellInput(
            scenario=scenario,
            policy=policy,
            out_dir=out_dir,
            multi=multi,
            one_scenario=one_scenario,
            attainment=cell_rows(tables.attainment, scenario, policy),
            kpis=cell_rows(tables.kpis, scenario, policy),
            monthly=cell_rows(tables.monthly, scenario, policy),
            actual=tables.actual,
            bottlenecks={k: cell_rows(v, scenario, policy) for k, v in bottlenecks.items()},
            ledger_replications=int(ledgers["replication"].nunique()) if len(ledgers) else 0,
            every_target=not multi,
            interval_note=tables.interval_notes.get((scenario, policy), ""),
            png=png,
        )
        tasks.append(functools.partial(cell_charts, job))
    sweep = SweepInput(
        out_dir=out_dir,
        attainment=tables.attainment,
        kpis=tables.kpis,
        policies=list(dict.fromkeys(p for _s, p in tables.cell_names)),
        comparison=tables.comparison,
        interval_note=sweep_note(tables.interval_notes),
        png=png,
    )
    tasks.append(functools.partial(sweep_charts, sweep))
    if pool is not None:
        return draw_charts(tasks, pool, meanwhile)
    with chart_workers(min(workers, len(tasks)) - 1) as started:
        return draw_charts(tasks, started, meanwhile)


def write_cell_pages(root: Path, tables: RunTables, charts: list[Chart], provenance: str) -> list[tuple[str, str, str]]:
    """Write one page per job of a sweep into ``report_cells/``; return (scenario, policy, href)."""
    from analysis.report.html import render_cell_page

    pages_dir = root / CELL_PAGES
    pages_dir.mkdir(exist_ok=True)
    links = []
    for scenario, policy in tables.cell_names:
        name = f"{slug(scenario, policy)}.html"
        page = render_cell_page(
            title=f"{scenario} / {policy}",
            att=cell_rows(tables.attainment, scenario, policy),
            charts=[c for c in charts if c.cell == (scenario, policy)],
            provenance=provenance,
        )
        _atomic_write(pages_dir / name, lambda p, page=page: p.write_text(page, encoding="utf-8"))
        links.append((scenario, policy, f"{CELL_PAGES}/{name}"))
    return links


def write_report(
    root: Path,
    *,
    force: bool = False,
    workers: int | None = None,
    emulator: Path | None = None,
    png: bool = False,
) -> list[Path]:
    """Write ``charts/``, ``report.xlsx`` and ``report.html`` into a run or multirun directory.

    A single run gets one page. A sweep gets an index (``report.html``: every target of every
    job, the charts comparing jobs, a link per job) and one page per job in ``report_cells/``.

    Parameters
    ----------
    root
        Run or multirun directory written by ``python -m sim``.
    force
        Replace report files that already exist (and delete the earlier report's charts, by
        their file names; other files in ``charts/`` stay); without it an existing
        ``report.xlsx``, ``report.html`` or ``charts/`` is an error (nothing is overwritten).
    workers
        Processes drawing a sweep's charts (default: the cores available to this process).
    emulator
        ``emulator.json`` of a screen (``python -m sim.screen``) for the what-if panel and
        sheets (issue 14); ``<root>/emulator.json`` is used when present and none is given.
    png
        Also write every chart as a 150-dpi PNG (the page embeds the SVGs; slides take SVG too).

    Returns
    -------
    list of Path
        The files written.
    """
    root = Path(root)
    # one task per job and one for the charts across jobs; this process draws too
    processes = min(workers or available_cores(), len(find_cells(root)) + 1) - 1
    with chart_workers(processes) as pool:  # they start while this process reads the run
        return _write_report(root, force=force, pool=pool, emulator=emulator, png=png)


def _write_report(
    root: Path, *, force: bool, pool: ProcessPoolExecutor | None, emulator: Path | None, png: bool
) -> list[Path]:
    """:func:`write_report` with its chart workers started."""
    from analysis.report.html import cell_links, frame_table, headline_sentences, render_html
    from analysis.report.whatif import add_whatif_sheets, panel_section, whatif_emulator
    from analysis.report.xlsx import write_xlsx
    from analysis.unit_ranking import ranking_sheet, report_ranking

    tables = load_run(root)  # validates before anything is drawn or written
    emu = whatif_emulator(root, emulator)
    existing = [name for name in REPORT_FILES if (root / name).exists()]
    if existing and not force:
        raise FileExistsError(f"{root} already has {existing}; pass --force to replace them")
    if force:
        _remove_old_charts(root / "charts")
        _remove_old_cell_pages(root / CELL_PAGES)
    bottlenecks = bottleneck_tables(tables)
    xlsx = root / "report.xlsx"
    first = tables.cells[0].name
    ranking = report_ranking(tables.ledgers, tables.configs[first], tables.meta.get(first, {}))
    units = None if ranking is None else ranking_sheet(ranking, tables.attainment)

    def write_workbook() -> None:  # while the chart workers draw
        sheets = workbook_sheets(tables, bottlenecks, units)
        _atomic_write(xlsx, lambda p: (write_xlsx(p, sheets), emu and add_whatif_sheets(p, emu)))

    charts = make_charts(tables, root / "charts", bottlenecks, meanwhile=write_workbook, pool=pool, png=png)

    extra: list[tuple[str, str]] = [panel_section(emu)] if emu else []
    if units is not None:
        n_rep = int(units["n_replications"].max())
        extra.append(
            (
                f"县区（园区）排名 Counties and parks ranked (一月一通报; year-end forecast from {n_rep} kept"
                " replication(s): raise run.keep_ledgers for steadier numbers)",
                frame_table(units, percent=["progress", "p_attain", "p_attain_low", "p_attain_high"]),
            )
        )
    if tables.watch is not None and len(tables.watch):
        extra.append(watch_section(tables.watch))
    if tables.help is not None and len(tables.help):
        extra.append(help_section(tables.help))
    if "starts_at_stake" in bottlenecks:
        stake = bottlenecks["starts_at_stake"].assign(cause=lambda f: [" ".join(CAUSE_LABELS[c]) for c in f["cause"]])[
            ["scenario", "policy", "cause", "lost", "queueing", "at_stake"]
        ]
        extra.append(("瓶颈：可增加开工数上限 Starts at stake by resource (per replication)", frame_table(stake)))
    if tables.comparison is not None:
        from analysis.plots.compare import best_policy_per_target

        best = best_policy_per_target(tables.comparison).drop(columns=["target"])
        extra.append(
            (
                "各指标最有效政策 Best lever per target (largest gain in P(attain); targets no lever improves are"
                " left out; clear = 95% interval above 0)",
                frame_table(best, percent=[c for c in best.columns if c.startswith("p_")]),
            )
        )
    from analysis.report.uncertainty import has_budget, uncertainty_section

    budget = uncertainty_section(tables.cells, png=png)  # a budget replaces the hand-written assumptions list
    if budget is not None:
        extra.append(budget)
    from analysis.report.validation import validation_section

    if (validation := validation_section(root)) is not None:  # python -m sim.validate wrote one
        extra.append(validation)
    metas = [tables.meta.get(c.name, {}) for c in tables.cells]
    provenance = (
        f"{root} · {len(tables.cells)} job(s) · root seed {metas[0].get('root_seed', 'n/a')} · "
        f"{metas[0].get('replications', 'n/a')} replications · gongjian {metas[0].get('package_version', 'n/a')}"
    )
    if note := sweep_note(tables.interval_notes):
        provenance += f" · {note}"
    first_cfg = tables.cells[0] / ".hydra" / "config.yaml"
    multi = len(tables.cell_names) > 1
    links = write_cell_pages(root, tables, charts, provenance) if multi else []
    page = render_html(
        title=f"{tables.window.year}年重特大项目攻坚预测 Major-project campaign forecast {tables.window.year}",
        headline=[line for target in HEADLINE for line in headline_sentences(tables.attainment, [target])],
        att=tables.attainment,
        charts=[c for c in charts if c.cell is None] if multi else charts,
        extra_sections=extra,
        assumptions=pd.DataFrame() if has_budget(tables.cells) else assumptions_table(tables),
        config_text=first_cfg.read_text(encoding="utf-8") if first_cfg.exists() else "(no .hydra/config.yaml)",
        provenance=provenance,
        jobs_table=cell_links(tables.attainment, links, HEADLINE) if multi else "",
    )
    html_path = root / "report.html"
    _atomic_write(html_path, lambda p: p.write_text(page, encoding="utf-8"))
    pages = [root / href for _s, _p, href in links]
    written = [xlsx, html_path, *pages, *(p for c in charts for p in c.files)]
    log.info("report: %d charts, %s, %s", len(charts), xlsx, html_path)
    return written
