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
import json
import logging
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.bottlenecks import (
    CAUSE_LABELS,
    YearWindow,
    leaders_busy,
    queue_lengths,
    starts_at_stake,
    stuck_at_year_end,
    waits_by_month,
    walkaways,
)
from analysis.funnel import funnel, year_end_states
from analysis.plots_compare import check_comparison
from analysis.report_charts import (
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
from analysis.style import bilingual, risk_class

# libyaml's safe loader when PyYAML has it (the same documents, parsed in C: a job's config
# took ~0.25 s in pure Python); else PyYAML's own.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

log = logging.getLogger(__name__)

__all__ = ["FAN_TARGETS", "HEADLINE", "Chart", "make_charts", "write_report"]  # HEADLINE etc. live in report_charts
REPORT_FILES: tuple[str, ...] = ("report.xlsx", "report.html", "charts", "report_cells")
CELL_PAGES = "report_cells"  # a sweep's page per job, linked from report.html
REQUIRED: dict[str, tuple[str, ...]] = {
    "attainment.csv": ("scenario", "policy", "target", "goal", "p_attain", "p_attain_low", "p_attain_high"),
    "kpis.parquet": ("scenario", "policy", "replication", "target", "value"),
    "monthly.parquet": ("scenario", "policy", "replication", "target", "month", "value"),
}

# Assumptions that move the forecast most (README "Model assumptions"): config path, zh, en.
KEY_ASSUMPTIONS: tuple[tuple[str, str, str], ...] = (
    ("model.demand.lead_growth_per_year", "线索年增长率", "growth of leads per year"),
    ("model.land.quota_mu_per_year", "年度用地指标（亩）", "land quota per year (mu)"),
    ("model.energy.quota_tce_per_year", "年度能耗指标（吨标煤）", "energy quota per year (tce)"),
    ("model.prework.median_days", "签约后前期准备中位天数", "pre-work after signing, median days"),
    ("model.land.transfer_median_days", "土地出让中位天数", "land transfer, median days"),
    ("model.approvals.capacity_projects", "审批窗口同时办理项目数", "approval offices, projects at a time"),
    ("model.approvals.parallel_with_land", "拿地即开工（并联审批）", "permits prepared during land transfer"),
    ("model.walkaway.patience_scale_days", "投资方耐心（天，尺度）", "investor patience scale, days"),
    ("model.problems.probability", "项目遇到堵点的概率", "probability a project hits a problem"),
    ("run.replications", "模拟次数", "replications"),
    ("run.seed", "随机种子", "root seed"),
)


@dataclass
class RunTables:
    """Everything a report needs from one run or multirun directory (tables concatenated)."""

    root: Path
    cells: list[Path]
    attainment: pd.DataFrame
    kpis: pd.DataFrame
    monthly: pd.DataFrame
    ledgers: pd.DataFrame
    resources: pd.DataFrame
    window: YearWindow
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    comparison: pd.DataFrame | None = None
    actual: pd.DataFrame | None = None
    interval_notes: dict[tuple[str, str], str] = field(default_factory=dict)  # per job: what its intervals cover

    @property
    def cell_names(self) -> list[tuple[str, str]]:
        """(scenario, policy) of every job, in directory order."""
        return list(dict.fromkeys(zip(self.attainment["scenario"], self.attainment["policy"], strict=True)))


def _read_checked(path: Path) -> pd.DataFrame:
    """Read a table and check it has the columns the report needs."""
    frame = pd.read_csv(path, encoding="utf-8-sig") if path.suffix == ".csv" else pd.read_parquet(path)
    missing = [c for c in REQUIRED.get(path.name, ()) if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; expected a table written by `python -m sim`")
    return frame


def _read_optional(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def _job_order(path: Path) -> tuple[int, str]:
    """Hydra names multirun jobs ``<num>_<overrides>``: sort by the job number, then name."""
    num = path.name.split("_", 1)[0]
    return (int(num) if num.isdigit() else 1 << 30, path.name)


def find_cells(root: Path) -> list[Path]:
    """Run directories under ``root``: itself if it holds ``attainment.csv``, else its job dirs."""
    if not root.is_dir():
        raise ValueError(f"run directory {str(root)!r} does not exist or is not a directory")
    if (root / "attainment.csv").exists():
        return [root]
    cells = sorted((p.parent for p in root.glob("*/attainment.csv")), key=_job_order)
    if not cells:
        raise ValueError(
            f"no attainment.csv in {str(root)!r} or its subdirectories: pass a run or multirun directory "
            "written by `python -m sim`"
        )
    return cells


def load_run(root: Path) -> RunTables:
    """Read a run or multirun directory written by ``python -m sim``.

    Parameters
    ----------
    root
        A run directory (holds ``attainment.csv``) or a multirun directory (its job
        subdirectories hold them; ``comparison.csv`` may sit at the top).
    """
    root = Path(root)
    cells = find_cells(root)
    configs, meta = {}, {}
    for cell in cells:
        cfg_path = cell / ".hydra" / "config.yaml"
        text = cfg_path.read_text(encoding="utf-8") if cfg_path.exists() else "{}"
        configs[cell.name] = yaml.load(text, Loader=SAFE_LOADER)
        meta_path = cell / "meta.json"
        meta[cell.name] = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    run_cfg = next(iter(configs.values())).get("run", {})
    window = YearWindow(int(run_cfg.get("first_year", 2021)), int(run_cfg.get("target_year", 2023)))
    comparison = None
    if (root / "comparison.csv").exists():
        comparison = pd.read_csv(root / "comparison.csv", encoding="utf-8-sig")
        check_comparison(comparison)
    actual_path = next(
        (p for p in (root / "actual_monthly.parquet", cells[0] / "actual_monthly.parquet") if p.exists()), None
    )
    from analysis.report_uncertainty import interval_note

    attainment = [_read_checked(c / "attainment.csv") for c in cells]
    notes = {
        (str(att["scenario"].iloc[0]), str(att["policy"].iloc[0])): interval_note(_read_optional(c / "params.parquet"))
        for c, att in zip(cells, attainment, strict=True)
        if len(att)
    }
    return RunTables(
        root=root,
        cells=cells,
        attainment=pd.concat(attainment, ignore_index=True),
        kpis=pd.concat([_read_checked(c / "kpis.parquet") for c in cells], ignore_index=True),
        monthly=pd.concat([_read_checked(c / "monthly.parquet") for c in cells], ignore_index=True),
        ledgers=pd.concat([_read_optional(c / "ledgers.parquet") for c in cells], ignore_index=True),
        resources=pd.concat([_read_optional(c / "resources.parquet") for c in cells], ignore_index=True),
        window=window,
        configs=configs,
        meta=meta,
        comparison=comparison,
        actual=pd.read_parquet(actual_path) if actual_path else None,
        interval_notes=notes,
    )


def _cell(frame: pd.DataFrame, scenario: str, policy: str) -> pd.DataFrame:
    return frame[(frame["scenario"] == scenario) & (frame["policy"] == policy)]


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
        led, res = _cell(tables.ledgers, scenario, policy), _cell(tables.resources, scenario, policy)
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
) -> list[Chart]:
    """Draw every chart of the report into ``out_dir`` (PNG at 150 dpi and SVG).

    Sections: ``attainment`` (per job), ``fan`` (headline targets per job on slides; every
    target on one page for a single run, with the actual path when known), ``distribution``
    (headline targets, all jobs overlaid), ``comparison`` (when ``comparison.csv`` exists),
    ``bottlenecks`` and ``funnel`` (per job with ledgers). A sweep's jobs draw on ``workers``
    processes; a sweep leaves out each job's all-target fan page (the job's own directory is a
    run directory: report it alone for that page). ``meanwhile`` runs in this process while
    the workers draw (:func:`analysis.report_charts.draw_charts`); ``pool`` is a running
    :func:`~analysis.report_charts.chart_workers` (else one is started for ``workers``).
    """
    multi = len(tables.cell_names) > 1
    one_scenario = len({s for s, _p in tables.cell_names}) == 1
    tasks: list[Callable[[], list[Chart]]] = []
    for scenario, policy in tables.cell_names:
        ledgers = _cell(tables.ledgers, scenario, policy) if not tables.ledgers.empty else tables.ledgers
        job = CellInput(
            scenario=scenario,
            policy=policy,
            out_dir=out_dir,
            multi=multi,
            one_scenario=one_scenario,
            attainment=_cell(tables.attainment, scenario, policy),
            kpis=_cell(tables.kpis, scenario, policy),
            monthly=_cell(tables.monthly, scenario, policy),
            actual=tables.actual,
            bottlenecks={k: _cell(v, scenario, policy) for k, v in bottlenecks.items()},
            ledger_replications=int(ledgers["replication"].nunique()) if len(ledgers) else 0,
            every_target=not multi,
            interval_note=tables.interval_notes.get((scenario, policy), ""),
        )
        tasks.append(functools.partial(cell_charts, job))
    sweep = SweepInput(
        out_dir=out_dir,
        attainment=tables.attainment,
        kpis=tables.kpis,
        policies=list(dict.fromkeys(p for _s, p in tables.cell_names)),
        comparison=tables.comparison,
        interval_note=sweep_note(tables.interval_notes),
    )
    tasks.append(functools.partial(sweep_charts, sweep))
    if pool is not None:
        return draw_charts(tasks, pool, meanwhile)
    with chart_workers(min(workers, len(tasks)) - 1) as started:
        return draw_charts(tasks, started, meanwhile)


def _lookup(config: dict[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return "n/a"
        node = node[part]
    return node


def assumptions_table(tables: RunTables) -> pd.DataFrame:
    """The assumptions that matter most, one column of values per job."""
    table = pd.DataFrame([{"key": k, "label_zh": zh, "label_en": en} for k, zh, en in KEY_ASSUMPTIONS])
    for cell in tables.cells:
        meta = tables.meta.get(cell.name, {})
        name = f"{meta['scenario']} / {meta['policy']}" if {"scenario", "policy"} <= set(meta) else cell.name
        table[name] = [str(_lookup(tables.configs.get(cell.name, {}), k)) for k, _zh, _en in KEY_ASSUMPTIONS]
    return table


def config_sheet(tables: RunTables) -> pd.DataFrame:
    """Every config value and meta field of every job, flattened to dotted keys."""

    def flatten(node: Any, prefix: str) -> list[tuple[str, str]]:
        if isinstance(node, dict):
            return [kv for k, v in node.items() for kv in flatten(v, f"{prefix}.{k}" if prefix else str(k))]
        return [(prefix, json.dumps(node, ensure_ascii=False) if isinstance(node, list) else str(node))]

    rows = []
    for cell in tables.cells:
        pairs = flatten({"meta": tables.meta.get(cell.name, {})}, "") + flatten(tables.configs.get(cell.name, {}), "")
        rows += [{"run": cell.name, "key": k, "value": v} for k, v in pairs]
    return pd.DataFrame(rows, columns=["run", "key", "value"])


def workbook_sheets(
    tables: RunTables, bottlenecks: dict[str, pd.DataFrame], units: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Sheet name -> table for ``report.xlsx`` (comparison only when comparison.csv exists).

    ``units`` (:func:`analysis.unit_ranking.ranking_sheet`) is the sheet of counties and parks,
    present when the ledgers carry them.
    """
    from analysis.report_xlsx import monthly_wide

    att = tables.attainment.assign(risk=[risk_class(p) for p in tables.attainment["p_attain"]])
    sheets = {"attainment": att, "monthly": monthly_wide(tables.monthly, tables.attainment)}
    if tables.comparison is not None:
        sheets["comparison"] = tables.comparison
    lead = ["scenario", "policy"]
    for key in ("waits", "walkaways", "starts_at_stake", "stuck", "queues", "leaders", "funnel", "year_end_states"):
        if key in bottlenecks:
            frame = bottlenecks[key]
            sheets[key] = frame[lead + [c for c in frame.columns if c not in lead]]
    if units is not None:
        sheets["units"] = units
    sheets["config"] = config_sheet(tables)
    return sheets


def _atomic_write(path: Path, write: Any) -> None:
    """Write via a temporary file in the same directory, then rename (no half-written file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


CHART_SECTIONS: tuple[str, ...] = ("attainment", "fan", "distribution", "comparison", "bottlenecks", "funnel")


def _remove_old_charts(charts_dir: Path) -> None:
    """Delete the charts an earlier report wrote (our file names only), so none goes stale."""
    if not charts_dir.is_dir():
        return
    old = [
        p
        for p in charts_dir.iterdir()
        if p.is_file() and p.suffix in {".png", ".svg"} and p.stem.split("_", 1)[0] in CHART_SECTIONS
    ]
    for path in old:
        path.unlink()
    log.info("removed %d charts of the earlier report in %s", len(old), charts_dir)


def _remove_old_cell_pages(pages_dir: Path) -> None:
    """Delete the job pages an earlier sweep report wrote (``*.html`` in ``report_cells/``)."""
    if pages_dir.is_dir():
        for path in pages_dir.glob("*.html"):
            path.unlink()


def write_cell_pages(root: Path, tables: RunTables, charts: list[Chart], provenance: str) -> list[tuple[str, str, str]]:
    """Write one page per job of a sweep into ``report_cells/``; return (scenario, policy, href)."""
    from analysis.report_html import render_cell_page

    pages_dir = root / CELL_PAGES
    pages_dir.mkdir(exist_ok=True)
    links = []
    for scenario, policy in tables.cell_names:
        name = f"{slug(scenario, policy)}.html"
        page = render_cell_page(
            title=f"{scenario} / {policy}",
            att=_cell(tables.attainment, scenario, policy),
            charts=[c for c in charts if c.cell == (scenario, policy)],
            provenance=provenance,
        )
        _atomic_write(pages_dir / name, lambda p, page=page: p.write_text(page, encoding="utf-8"))
        links.append((scenario, policy, f"{CELL_PAGES}/{name}"))
    return links


def write_report(
    root: Path, *, force: bool = False, workers: int | None = None, emulator: Path | None = None
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

    Returns
    -------
    list of Path
        The files written.
    """
    root = Path(root)
    # one task per job and one for the charts across jobs; this process draws too
    processes = min(workers or available_cores(), len(find_cells(root)) + 1) - 1
    with chart_workers(processes) as pool:  # they start while this process reads the run
        return _write_report(root, force=force, pool=pool, emulator=emulator)


def _write_report(root: Path, *, force: bool, pool: ProcessPoolExecutor | None, emulator: Path | None) -> list[Path]:
    """:func:`write_report` with its chart workers started."""
    from analysis.report_html import cell_links, frame_table, headline_sentences, render_html
    from analysis.report_xlsx import write_xlsx
    from analysis.unit_ranking import ranking_sheet, report_ranking
    from analysis.whatif_panel import add_whatif_sheets, panel_section, whatif_emulator

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

    charts = make_charts(tables, root / "charts", bottlenecks, meanwhile=write_workbook, pool=pool)

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
    if "starts_at_stake" in bottlenecks:
        stake = bottlenecks["starts_at_stake"].assign(cause=lambda f: [" ".join(CAUSE_LABELS[c]) for c in f["cause"]])[
            ["scenario", "policy", "cause", "lost", "queueing", "at_stake"]
        ]
        extra.append(("瓶颈：可增加开工数上限 Starts at stake by resource (per replication)", frame_table(stake)))
    if tables.comparison is not None:
        from analysis.plots_compare import best_policy_per_target

        best = best_policy_per_target(tables.comparison).drop(columns=["target"])
        extra.append(
            (
                "各指标最有效政策 Best lever per target (largest gain in P(attain); targets no lever improves are"
                " left out; clear = 95% interval above 0)",
                frame_table(best, percent=[c for c in best.columns if c.startswith("p_")]),
            )
        )
    from analysis.report_uncertainty import uncertainty_section

    budget = uncertainty_section(tables.cells)  # replaces the hand-written assumptions list
    if budget is not None:
        extra.append(budget)
    metas = [tables.meta.get(c.name, {}) for c in tables.cells]
    provenance = (
        f"{root} · {len(tables.cells)} job(s) · root seed {metas[0].get('root_seed', 'n/a')} · "
        f"{metas[0].get('replications', 'n/a')} replications · gongjian {metas[0].get('package_version', 'n/a')}"
    )
    first_cfg = tables.cells[0] / ".hydra" / "config.yaml"
    multi = len(tables.cell_names) > 1
    links = write_cell_pages(root, tables, charts, provenance) if multi else []
    page = render_html(
        title=f"{tables.window.year}年重特大项目攻坚预测 Major-project campaign forecast {tables.window.year}",
        headline=[line for target in HEADLINE for line in headline_sentences(tables.attainment, [target])],
        att=tables.attainment,
        charts=[c for c in charts if c.cell is None] if multi else charts,
        extra_sections=extra,
        assumptions=assumptions_table(tables) if budget is None else pd.DataFrame(),
        config_text=first_cfg.read_text(encoding="utf-8") if first_cfg.exists() else "(no .hydra/config.yaml)",
        provenance=provenance,
        jobs_table=cell_links(tables.attainment, links, HEADLINE) if multi else "",
    )
    html_path = root / "report.html"
    _atomic_write(html_path, lambda p: p.write_text(page, encoding="utf-8"))
    pages = [root / href for _s, _p, href in links]
    written = [xlsx, html_path, *pages, *(p for c in charts for p in (c.png, c.svg))]
    log.info("report: %d charts, %s, %s", len(charts), xlsx, html_path)
    return written
