"""The one-page HTML report, self-contained (charts embedded, so the file can be mailed).

Order: the headline answer first, then every target, the charts, the assumptions that matter
most and the config.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.plots.style import RISK_COLOURS, RISK_LABELS, format_value, records, risk_class

SECTIONS: dict[str, tuple[str, str]] = {
    "attainment": ("目标达标概率", "Attainment"),
    "fan": ("月度进度（扇形图）", "Monthly trajectories (fan charts)"),
    "distribution": ("年末值分布", "Distribution of the year-end value"),
    "comparison": ("政策比较", "Policy comparison"),
    "bottlenecks": ("瓶颈分析", "Bottlenecks"),
    "funnel": ("项目漏斗", "Pipeline funnel"),
}
CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
 margin:2em auto;max-width:1300px;color:#222;line-height:1.45}
h1{font-size:1.8em;margin-bottom:.2em} h2{border-bottom:2px solid #ccd;padding-bottom:.2em;margin-top:2em}
.headline{font-size:1.5em;background:#f4f7fb;border-left:6px solid #1565c0;padding:.6em 1em;margin:.4em 0}
.headline .en{font-size:.7em;color:#555;display:block}
table{border-collapse:collapse;font-size:.92em;width:100%} th,td{padding:.25em .5em;border-bottom:1px solid #e3e3e3}
th{background:#eef2f7;text-align:left;position:sticky;top:0} td.num{text-align:right;white-space:nowrap}
.chip{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.4em;vertical-align:middle}
figure{margin:1.2em 0} figure img{max-width:100%;border:1px solid #eee} figcaption{color:#555}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:.85em;max-height:40em}
.muted{color:#666;font-size:.9em}
"""


def _esc(text: object) -> str:
    return html.escape(str(text))


def headline_sentences(att: pd.DataFrame, targets: Sequence[str]) -> list[tuple[str, str]]:
    """(zh, en) sentences "Probability of reaching the 50% start rate: 63% (58–68%)" per job.

    Parameters
    ----------
    att
        Attainment table (one or several jobs: ``scenario``, ``policy`` columns).
    targets
        Target keys to state, in order.
    """
    out = []
    multi = att[["scenario", "policy"]].drop_duplicates().shape[0] > 1
    for r in records(att[att["target"].isin(targets)]):
        goal = format_value(float(r.goal), str(r.unit))
        unit = "" if r.unit == "%" else f" {r.unit}"
        tag = f"[{r.policy}] " if multi else ""
        interval = f"{r.p_attain:.0%}（{r.p_attain_low:.0%}–{r.p_attain_high:.0%}）"
        zh = f"{tag}{r.label_zh}达到{goal}{unit.strip()}的概率：{interval}"
        en_interval = f"{r.p_attain:.0%} ({r.p_attain_low:.0%}–{r.p_attain_high:.0%})"
        if r.unit == "%":  # a rate: "Probability of reaching the 50% start rate"
            name = "start rate" if r.target == "start_rate_same_year" else str(r.label_en).lower()
            en = f"{tag}Probability of reaching the {goal} {name}: {en_interval}"
        else:
            en = f"{tag}Probability that {str(r.label_en).lower()} reaches {goal}{unit}: {en_interval}"
        out.append((zh, en))
    return out


def _risk_cell(r: Any) -> str:
    """P(attain) with its interval and the risk chip, for one attainment row."""
    risk = risk_class(float(r.p_attain))
    words = _esc(" ".join(RISK_LABELS[risk]))
    chip = f'<span class="chip" style="background:{RISK_COLOURS[risk]}" title="{words}"></span>'
    return f'<td class="num">{chip}<b>{r.p_attain:.0%}</b> [{r.p_attain_low:.0%}–{r.p_attain_high:.0%}]</td>'


def _label_cell(r: Any) -> str:
    return f"<td>{_esc(r.label_zh)}<br><span class='muted'>{_esc(r.label_en)}</span></td>"


def _value(r: Any, column: str) -> str:
    return _esc(format_value(float(getattr(r, column)), str(r.unit)))


def targets_table(att: pd.DataFrame) -> str:
    """HTML table of every target with the risk class as a coloured chip.

    One job: goal, p10, p50, p90, P(attain) and the risk class in words. Several jobs (a
    multirun): one row per target and, for each job, its median and P(attain) side by side.
    """
    jobs = list(dict.fromkeys(zip(att["scenario"], att["policy"], strict=True)))
    if len(jobs) == 1:
        head = ["指标 target", "目标 goal", "p10", "中位数 p50", "p90", "达标概率 P(attain) [95%]", "风险 risk"]
        rows = []
        for r in records(att):
            unit = "" if r.unit == "%" else str(r.unit)
            risk = risk_class(float(r.p_attain))
            cells = [
                _label_cell(r),
                f'<td class="num">{_value(r, "goal")} {_esc(unit)}</td>',
                *(f'<td class="num">{_value(r, q)}</td>' for q in ("p10", "p50", "p90")),
                _risk_cell(r),
                f"<td>{_esc(' '.join(RISK_LABELS[risk]))}</td>",
            ]
            rows.append("<tr>" + "".join(cells) + "</tr>")
    else:
        one_scenario = len({s for s, _p in jobs}) == 1
        names = [p if one_scenario else f"{s} / {p}" for s, p in jobs]
        head = ["指标 target", "目标 goal"]
        for name in names:
            head += [f"{name}: 中位数 p50", f"{name}: 达标概率 P(attain)"]
        by_job = {job: att[(att["scenario"] == job[0]) & (att["policy"] == job[1])].set_index("target") for job in jobs}
        first = by_job[jobs[0]].reset_index()
        rows = []
        for r in records(first):
            unit = "" if r.unit == "%" else str(r.unit)
            cells = [_label_cell(r), f'<td class="num">{_value(r, "goal")} {_esc(unit)}</td>']
            for job in jobs:
                row = by_job[job].loc[[r.target]].reset_index()
                cell = next(records(row))
                cells += [f'<td class="num">{_value(cell, "p50")}</td>', _risk_cell(cell)]
            rows.append("<tr>" + "".join(cells) + "</tr>")
    header = "".join(f"<th>{_esc(h)}</th>" for h in head)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def frame_table(frame: pd.DataFrame, *, percent: Sequence[str] = (), digits: int = 1) -> str:
    """A small DataFrame as an HTML table (numbers right-aligned, shares as %)."""
    from analysis.report.xlsx import HEADERS

    def header(col: str) -> str:
        zh, en = HEADERS.get(col, ("", col))
        return f"{zh} {en}".strip()

    head = "".join(f"<th>{_esc(header(str(c)))}</th>" for c in frame.columns)
    body = []
    for row in records(frame):
        cells = []
        for col, v in zip(frame.columns, row, strict=True):
            if isinstance(v, float | np.floating):
                text = "–" if not np.isfinite(v) else (f"{v:.0%}" if col in percent else f"{v:,.{digits}f}")
                cells.append(f'<td class="num">{text}</td>')
            else:
                cells.append(f"<td>{_esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def embed_svg(path: Path) -> str:
    """``<img>`` with the SVG inlined as base64 (sharp at any zoom, text kept as text).

    A few tens of kB where the 150-dpi PNG is several hundred; an ``<img>``, not inline
    ``<svg>``, so the ids of several matplotlib SVGs never clash.
    """
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{_esc(path.stem)}">'


def chart_sections(charts: Sequence[Any]) -> list[str]:
    """HTML of ``charts`` grouped under the report's section headings, in section order."""
    parts = []
    for section, (zh, en) in SECTIONS.items():
        items = [c for c in charts if c.section == section]
        if not items:
            continue
        parts.append(f"<h2>{_esc(zh)} {_esc(en)}</h2>")
        parts += [
            f"<figure>{embed_svg(c.svg)}<figcaption>{_esc(c.caption)} "
            f"<span class='muted'>({', '.join(_esc(f.name) for f in c.files)})</span></figcaption></figure>"
            for c in items
        ]
    return parts


def cell_links(att: pd.DataFrame, links: Sequence[tuple[str, str, str]], headline: Sequence[str]) -> str:
    """Table of a sweep's jobs: a link to each job's page and its headline P(attain).

    ``links`` holds (scenario, policy, relative href) per job.
    """
    heads = att[att["target"].isin(headline)].drop_duplicates("target").set_index("target")
    order = [t for t in headline if t in heads.index]
    head = "".join(f"<th>{_esc(heads.loc[t, 'label_zh'])} {_esc(heads.loc[t, 'label_en'])}</th>" for t in order)
    rows = []
    for scenario, policy, href in links:
        job = att[(att["scenario"] == scenario) & (att["policy"] == policy)]
        p_attain = dict(zip(job["target"], job["p_attain"].astype(float), strict=True))
        values = "".join(f"<td class='num'>{p_attain[t]:.0%}</td>" if t in p_attain else "<td></td>" for t in order)
        rows.append(f"<tr><td><a href='{_esc(href)}'>{_esc(scenario)} / {_esc(policy)}</a></td>{values}</tr>")
    return (
        "<h2>各任务详情 Details per job</h2><p class='muted'>达标概率 P(attain); 点击查看各任务的图表。"
        " Follow a link for the job's charts (attainment, fan charts, bottlenecks, funnel).</p>"
        f"<table><thead><tr><th>任务 job</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def render_cell_page(*, title: str, att: pd.DataFrame, charts: Sequence[Any], provenance: str) -> str:
    """The page of one job of a sweep: its targets and its charts, with a link back to the index."""
    parts = [
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>",
        f"<p><a href='../report.html'>← 总览 Overview</a></p><h1>{_esc(title)}</h1>",
        f"<p class='muted'>{_esc(provenance)}</p><h2>全部目标 All targets</h2>",
        targets_table(att),
        *chart_sections(charts),
        "</body></html>",
    ]
    return "\n".join(parts)


def render_html(
    *,
    title: str,
    headline: list[tuple[str, str]],
    att: pd.DataFrame,
    charts: Sequence[Any],
    extra_sections: Sequence[tuple[str, str]],
    assumptions: pd.DataFrame,
    config_text: str,
    provenance: str,
    jobs_table: str = "",
) -> str:
    """The whole page as a string.

    Parameters
    ----------
    title
        Page title.
    headline
        (zh, en) sentences shown first.
    att
        Attainment table of every job.
    charts
        Objects with ``section``, ``caption``, ``png``, ``svg`` (see :class:`analysis.report.Chart`);
        the page embeds the SVG.
    extra_sections
        (heading, html) blocks placed after the charts (e.g. bottleneck tables).
    assumptions
        Table of the assumptions that matter most (key, zh, en, value per job); empty when the
        run drew its uncertain inputs (the uncertainty budget section replaces it).
    config_text
        The run's composed config (YAML) shown at the end.
    provenance
        One line naming the run directory, seed and replications.
    jobs_table
        A sweep's table of links to each job's page (:func:`cell_links`), placed before the charts.
    """
    parts = [
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1><p class='muted'>{_esc(provenance)}</p>",
    ]
    parts += [f"<div class='headline'>{_esc(zh)}<span class='en'>{_esc(en)}</span></div>" for zh, en in headline]
    parts.append("<h2>全部目标 All targets</h2>")
    parts.append(
        "<p class='muted'>达标概率 = 达到目标的模拟次数占比（Wilson 95%区间）。风险：≥90% 有望完成，50–90% 存在风险，"
        "&lt;50% 难以完成。 P(attain) = share of replications reaching the goal (Wilson 95% interval); "
        "risk: likely ≥ 90%, at risk 50–90%, unlikely &lt; 50%.</p>"
    )
    parts.append(targets_table(att))
    if jobs_table:
        parts.append(jobs_table)
    parts += chart_sections(charts)
    for heading, block in extra_sections:
        parts.append(f"<h2>{_esc(heading)}</h2>{block}")
    if len(assumptions):  # without uncertain inputs; else the uncertainty budget section says it
        parts.append("<h2>主要假设 Assumptions that matter most</h2>")
        parts.append(
            "<p class='muted'>这些参数对预测影响最大；出处见 sim/config/ 各字段注释。 The forecast is most sensitive "
            "to these; each default's source is on its line in sim/config/ (calibration.md, the plan, or "
            "assumption).</p>"
        )
        parts.append(frame_table(assumptions))
    parts.append(
        "<h2>运行配置 Configuration</h2><p class='muted'>"
        "第一个任务的完整配置；所有任务的配置见 report.xlsx 的 config 表。"
        " The full configuration of the first job; every job's is in report.xlsx, sheet config.</p>"
        f"<pre>{_esc(config_text)}</pre></body></html>"
    )
    return "\n".join(parts)
