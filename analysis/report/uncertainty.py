"""Report section "what the forecast depends on": the uncertainty budget (issue 11).

It replaces the hand-written list of assumptions that matter most when the run drew its
uncertain inputs (params.parquet).

For each job with uncertain inputs: the budget chart, a table per target (P(attain), luck's
share, the three inputs that matter most with intervals, the input worth measuring first)
and the top PRIM box of each at-risk target as a sentence. The budget and boxes are read from
``sensitivity.csv``, ``value_of_information.csv`` and ``boxes.csv`` when the analysis
commands wrote them, else computed here (and written, like those commands do).
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

import pandas as pd

from analysis.plots.style import records
from analysis.sensitivity import LUCK, UNCERTAINTY_CHARTS, ranking, too_few_draws

log = logging.getLogger(__name__)

TOP_INPUTS = 3
INTRO = (
    "区间同时包含两类不确定性：<b>运气</b>（到达顺序、工期、谁退出——即便参数全知也无法消除）与<b>未知参数</b>"
    "（年招引增速、指标总量等证据不足的假设——可以通过调查缩小）。"
    "下表给出各目标年末值波动中每类的占比（95% 自助法区间）。"
    " The intervals cover two kinds of uncertainty: <b>luck</b> (order of arrivals, durations, who walks away;"
    " it stays even if every input were known) and <b>ignorance</b> (inputs the evidence does not pin down, such as"
    " lead growth or the quotas; it shrinks when they are measured). The table gives each one's share of the"
    " spread of the year-end value (95% bootstrap interval)."
)


def _esc(text: object) -> str:
    return html.escape(str(text))


def ensure_budget(run: Path, *, png: bool = False) -> bool:
    """Compute sensitivity.csv, value_of_information.csv and boxes.csv of a run if missing.

    Their charts are SVG, and PNG too with ``png``.

    Returns False when the run has no uncertain inputs.
    """
    from analysis.report.budget import budget_run, goals, input_units, prior_labels

    params = run / "params.parquet"
    if not params.exists() or pd.read_parquet(params).empty:
        return False
    if not (run / "sensitivity.csv").exists() and budget_run(run, n_boot=100, png=png) is None:
        return False
    if not (run / "boxes.csv").exists():
        from analysis.report.discovery import discover_run

        discover_run(run, [], goals(run), prior_labels(run), units=input_units(run), png=png)
    return True


def budget_table(run: Path) -> pd.DataFrame:
    """One row per target with a budget: P(attain), luck, top inputs, input to measure first."""
    from analysis.report.budget import prior_labels, run_targets

    labels = prior_labels(run)
    sens = pd.read_csv(run / "sensitivity.csv", encoding="utf-8-sig")
    voi_path = run / "value_of_information.csv"
    voi = pd.read_csv(voi_path, encoding="utf-8-sig")
    if "driver" in voi:
        voi = voi[voi["driver"].astype(bool)]
    att = pd.read_csv(run / "attainment.csv", encoding="utf-8-sig").set_index("target")
    ranked = ranking(sens)
    rows = []
    for t in records(run_targets(run)):
        mine = ranked[ranked["target"] == t.target]
        if mine.empty:
            continue
        luck = mine[mine["parameter"] == LUCK]
        others = mine[mine["parameter"] != LUCK]
        inputs = others[others["driver"].astype(bool)].head(TOP_INPUTS)
        top = (
            "; ".join(
                f"{labels.get(r.parameter, (r.parameter,))[0]} {max(r.value, 0):.0%} [{r.ci_low:.0%}, {r.ci_high:.0%}]"
                for r in records(inputs)
            )
            or f"无高于偶然水平的参数 none above chance ({others['null_level'].max():.0%})"
        )
        first = voi[voi["target"] == t.target].head(1) if len(voi) else pd.DataFrame()
        measure = ""
        if len(first):
            f = first.iloc[0]
            measure = (
                f"{labels.get(f['parameter'], (f['parameter'],))[0]}: "
                f"{f['p_low_group']:.0%} → {f['p_high_group']:.0%} (±{f['shift_sd']:.0%})"
            )
        rows.append(
            {
                "目标 target": f"{t.label_zh} {t.label_en}",
                "P(attain)": f"{att.loc[t.target, 'p_attain']:.0%}",
                "运气 luck": f"{luck['value'].iloc[0]:.0%}" if len(luck) else "",
                "影响最大的参数 inputs that matter most": top,
                "最值得先测的参数 measure first (P in lowest → highest fifth)": measure,
            }
        )
    return pd.DataFrame(rows)


def box_sentences(run: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(zh, en) sentences from boxes.csv: the first box that passed per target, and the boxes that did not.

    A target whose top box did not pass, and one attained or missed in every replication, is in
    the second list ("not distinguishable from chance with N draws"; "missed in all N").
    """
    from analysis.report.discovery import always_sentence

    path = run / "boxes.csv"
    boxes = pd.read_csv(path, encoding="utf-8-sig") if path.exists() else pd.DataFrame()
    passed, chance = [], []
    if len(boxes):
        ok = boxes[boxes["passed"].astype(bool)].drop_duplicates("target")
        passed = list(zip(ok["sentence_zh"], ok["sentence_en"], strict=True))
        failed = boxes[~boxes["passed"].astype(bool) & ~boxes["target"].isin(ok["target"])]
        failed = failed.drop_duplicates(["target", "box"])
        chance = list(zip(failed["sentence_zh"], failed["sentence_en"], strict=True))
    att = pd.read_csv(run / "attainment.csv", encoding="utf-8-sig")
    n = int(pd.read_parquet(run / "kpis.parquet", columns=["replication"])["replication"].nunique())
    for r in records(att[att["p_attain"].isin([0.0, 1.0])]):
        chance.append(always_sentence(str(r.target), r.p_attain == 0.0, n, att))
    return passed, chance


def has_budget(cells: list[Path]) -> bool:
    """Whether any job has an uncertainty budget (a sensitivity.csv with rows): too few draws give none."""
    for run in cells:
        path = run / "sensitivity.csv"
        if path.exists() and len(pd.read_csv(path, encoding="utf-8-sig", usecols=[0])):
            return True
    return False


def uncertainty_section(cells: list[Path], *, png: bool = False) -> tuple[str, str] | None:
    """(heading, html) of the section, or None when no job drew uncertain inputs (``png``: charts also as PNG)."""
    from analysis.report.html import embed_svg

    blocks = []
    for run in cells:
        try:
            if not ensure_budget(run, png=png):
                continue
        except ValueError as err:  # e.g. too few draws to rank inputs
            log.warning("%s: no uncertainty budget: %s", run, err)
            continue
        parts = [f"<h3>{_esc(run.name)}</h3>", f"<p class='muted'>{INTRO}</p>"]
        few = too_few_draws(pd.read_parquet(run / "params.parquet"))
        if few:
            parts.append(f"<p class='warning'><b>{_esc(few)}</b></p>")
        chart = run / UNCERTAINTY_CHARTS / "sensitivity_value.svg"
        if chart.exists() and not few:
            parts.append(f"<figure>{embed_svg(chart)}</figure>")
        if not few:
            parts.append(budget_table(run).to_html(index=False, escape=True, border=0))
        passed, chance = box_sentences(run)
        parts.append("<h3>目标落空的情形 Where the targets are missed (PRIM, checked on held-out draws)</h3><ul>")
        parts += [f"<li>{_esc(zh)}<br><span class='muted'>{_esc(en)}</span></li>" for zh, en in passed]
        if not passed:
            parts.append("<li>没有经留出样本检验成立的情形 No region passed the hold-out check</li>")
        parts.append("</ul>")
        if chance:
            parts.append(
                "<p class='muted'>与偶然无法区分或无可发现 Not distinguishable from chance, or nothing to discover:"
                "</p><ul>"
            )
            parts += [f"<li class='muted'>{_esc(zh)}<br>{_esc(en)}</li>" for zh, en in chance]
            parts.append("</ul>")
        blocks.append("\n".join(parts))
    if not blocks:
        return None
    return ("预测取决于什么 What the forecast depends on (uncertainty budget)", "\n".join(blocks))
