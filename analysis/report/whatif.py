"""Try packages live: the what-if panel of ``report.html`` and the what-if sheets of ``report.xlsx``.

Both read ``emulator.json`` (written by ``python -m sim.screen``) and compute, for the levers a
planner ticks, exactly what :func:`analysis.effects.predict` computes: the value predicted by the
factorial model (mean over replications of each replication's fit, t interval) and P(attain)
from the logistic model (bootstrap percentile interval). They say whether the package was one of
the simulated design cells or a prediction of the two-lever model for a package not simulated.

- The HTML panel is offline: the data sits in the page as JSON and a few lines of script compute
  the prediction (no CDN, no server). Each output element carries the unrounded number in
  ``data-raw`` (the browser test reads it).
- The sheets use formulas only (SUMPRODUCT, AVERAGE, STDEV, PERCENTILE, EXP, MATCH), so they
  recompute in Excel or LibreOffice when a 0/1 in the ``on`` column changes.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from cityplan.targets import targets_frame

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # cells a planner edits
MAX_SHEET_NAME = 31  # Excel's limit


def load_emulator(path: Path) -> dict[str, Any]:
    """Read ``emulator.json``; ValueError if it lacks the fields the panel needs."""
    if not Path(path).is_file():
        raise ValueError(f"emulator {str(path)!r} does not exist; python -m sim.screen --out DIR writes it in DIR")
    emu = json.loads(Path(path).read_text(encoding="utf-8"))
    missing = [k for k in ("levers", "terms", "simulated", "targets", "t_quantile", "confidence") if k not in emu]
    if missing:
        raise ValueError(f"{path}: not an emulator written by python -m sim.screen (missing {missing})")
    return emu


def whatif_emulator(root: Path, given: Path | None) -> dict[str, Any] | None:
    """The emulator for a report: ``given``, else ``<root>/emulator.json`` if present, else None."""
    path = given or (root / "emulator.json")
    return load_emulator(path) if given or path.exists() else None


def _units() -> dict[str, str]:
    return dict(zip(targets_frame()["target"], targets_frame()["unit"], strict=True))


SCRIPT = r"""
(function(){
var E=JSON.parse(document.getElementById('wi-data').textContent);
var U=JSON.parse(document.getElementById('wi-units').textContent);
function row(x){var r=[1],i,j;for(i=0;i<x.length;i++)r.push(x[i]);
 for(i=0;i<x.length;i++)for(j=i+1;j<x.length;j++)r.push(x[i]*x[j]);return r;}
function dot(a,b){var s=0;for(var i=0;i<a.length;i++)s+=a[i]*b[i];return s;}
function sig(z){return 1/(1+Math.exp(-z));}
function pct(s,q){var h=(s.length-1)*q,lo=Math.floor(h),hi=Math.ceil(h);return s[lo]+(h-lo)*(s[hi]-s[lo]);}
function fmt(v,u){return u==='%'?(100*v).toFixed(1)+'%':v.toLocaleString('en',{maximumFractionDigits:1});}
function put(id,v,text){var e=document.getElementById(id);e.setAttribute('data-raw',String(v));e.textContent=text;}
function update(){
 var key=document.getElementById('wi-target').value,T=E.targets[key],u=U[key]||'';
 var bits=E.levers.map(function(l){return document.getElementById('wi-lever-'+l).checked?1:0;});
 var r=row(bits.map(function(b){return b?1:-1;}));
 var per=T.value_coef.map(function(c){return dot(c,r);}),n=per.length;
 var m=per.reduce(function(a,b){return a+b;},0)/n;
 var sd=Math.sqrt(per.reduce(function(a,b){return a+(b-m)*(b-m);},0)/(n-1)),h=E.t_quantile*sd/Math.sqrt(n);
 var p=sig(dot(T.attain_coef,r));
 var boot=T.attain_boot.map(function(c){return sig(dot(c,r));}).sort(function(a,b){return a-b;});
 var tail=(1-E.confidence)/2,lo=pct(boot,tail),hi=pct(boot,1-tail);
 var sim=E.simulated.some(function(s){return s.every(function(v,i){return v===bits[i];});});
 put('wi-value',m,fmt(m,u));put('wi-value-low',m-h,fmt(m-h,u));put('wi-value-high',m+h,fmt(m+h,u));
 put('wi-p',p,(100*p).toFixed(1)+'%');put('wi-p-low',lo,(100*lo).toFixed(1)+'%');put('wi-p-high',hi,(100*hi).toFixed(1)+'%');
 put('wi-goal',T.goal,(T.direction==='at_most'?'\u2264 ':'\u2265 ')+fmt(T.goal,u));
 var s=document.getElementById('wi-simulated');s.setAttribute('data-raw',sim?'1':'0');
 s.textContent=sim?'此组合已模拟（设计中的一格）。 This package was simulated (a cell of the design).'
  :'此组合未模拟：预测来自主效应与两两交互模型（假设三项及以上交互可忽略）。 Not simulated: predicted by the model of '
  +'main effects and two-lever interactions (assumes interactions of three or more levers are negligible).';
}
document.querySelectorAll('.wi-input').forEach(function(e){e.addEventListener('change',update);});
update();
})();
"""


def panel_html(emu: dict[str, Any]) -> str:
    """The panel: lever checkboxes, a target choice, the prediction, its data and script."""
    units = _units()
    boxes = "".join(
        f"<label style='display:inline-block;min-width:15em'><input type='checkbox' class='wi-input' "
        f"id='wi-lever-{html.escape(lv)}'> {html.escape(emu['labels'].get(lv, lv))} "
        f"<span class='muted'>{html.escape(lv)}</span></label>"
        for lv in emu["levers"]
    )
    options = "".join(
        f"<option value='{html.escape(k)}'>{html.escape(t['title'])}</option>" for k, t in emu["targets"].items()
    )
    meta = emu.get("meta", {})
    data = json.dumps(emu, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    unit_json = json.dumps({k: units.get(k, "") for k in emu["targets"]}, ensure_ascii=False)
    return (
        "<div id='whatif'><p class='muted'>勾选政策组合，查看析因模型的预测值和达标概率（95%区间）。模拟："
        f"{len(emu['simulated'])} 个组合 × {meta.get('replications', '?')} 次（共同随机数）。"
        f" Tick levers to see the factorial model's prediction and P(attain) with 95% intervals; "
        f"{len(emu['simulated'])} packages were simulated, {meta.get('replications', '?')} replications each "
        "(common random numbers).</p>"
        f"<p class='muted'>{html.escape(conditions(emu))}</p>"
        f"<p><select id='wi-target' class='wi-input'>{options}</select></p><p>{boxes}</p>"
        "<table style='width:auto'><tr><th>预测值 Predicted value</th><td class='num' id='wi-value'></td>"
        "<td class='num'>(<span id='wi-value-low'></span> – <span id='wi-value-high'></span>)</td>"
        "<td>目标 goal <span id='wi-goal'></span></td></tr>"
        "<tr><th>达标概率 P(attain)</th><td class='num' id='wi-p'></td>"
        "<td class='num'>(<span id='wi-p-low'></span> – <span id='wi-p-high'></span>)</td><td></td></tr></table>"
        "<p id='wi-simulated'></p>"
        f"<script type='application/json' id='wi-data'>{data}</script>"
        f"<script type='application/json' id='wi-units'>{unit_json}</script>"
        f"<script>{SCRIPT}</script></div>"
    )


def conditions(emu: dict[str, Any]) -> str:
    """The screen's conditions in words: predictions hold under them only (Chinese + English)."""
    meta = emu.get("meta", {})
    extra = " ".join(meta.get("common_overrides", meta.get("overrides", []))) or "-"
    return (
        f"模拟条件（预测仅在此条件下成立） Conditions of the screen (predictions hold under them only): "
        f"scenario {meta.get('scenario', '?')}, root seed {meta.get('root_seed', '?')}, "
        f"{meta.get('blocks', meta.get('replications', '?'))} independent draws, overrides: {extra}"
    )


def panel_section(emu: dict[str, Any]) -> tuple[str, str]:
    """(heading, html) for ``render_html``'s extra sections."""
    return ("政策组合模拟器 Try lever packages (what-if panel)", panel_html(emu))


def sheet_name(target: str) -> str:
    """``whatif_<target>`` cut to Excel's 31 characters."""
    return f"whatif_{target}"[:MAX_SHEET_NAME]


def _ref(col: int, row: int, absolute: bool = True) -> str:
    letter = get_column_letter(col)
    return f"${letter}${row}" if absolute else f"{letter}{row}"


def add_whatif_sheets(path: Path, emu: dict[str, Any]) -> list[str]:
    """Add one what-if sheet per emulator target to the workbook at ``path``; return their names.

    Layout: levers in rows 6.. (``on`` = 1/0 in column C, the input), the results in rows 2-3,
    the model row (1, x, pairs) and the coefficient rows below, each with its prediction in
    column A (per replication) or B (logistic, per bootstrap resample).
    """
    wb = load_workbook(path)
    names = []
    levers, terms = emu["levers"], emu["terms"]
    k, p = len(levers), len(terms) + 1
    for key, t in emu["targets"].items():
        ws = wb.create_sheet(sheet_name(key))
        names.append(ws.title)
        ws["A1"] = f"{t['title']} — 勾选政策 (C列填1/0) / switch levers on with 1 in column C"
        ws["A1"].font = Font(bold=True)
        ws["A4"] = conditions(emu)
        first_lever = 6
        ws.cell(row=5, column=1, value="lever 政策")
        ws.cell(row=5, column=2, value="名称 name")
        ws.cell(row=5, column=3, value="on 开启 (1/0)")
        ws.cell(row=5, column=4, value="x (-1/+1)")
        ws.cell(row=5, column=5, value="code weight")
        for i, lv in enumerate(levers):
            r = first_lever + i
            ws.cell(row=r, column=1, value=lv)
            ws.cell(row=r, column=2, value=emu["labels"].get(lv, lv))
            ws.cell(row=r, column=3, value=0).fill = INPUT_FILL
            ws.cell(row=r, column=4, value=f"=2*C{r}-1")
            ws.cell(row=r, column=5, value=2**i)
        last_lever = first_lever + k - 1
        # the model row: 1, x_i, x_i x_j in the order of emu["terms"]
        term_row = last_lever + 3
        ws.cell(row=term_row - 1, column=2, value="term")
        ws.cell(row=term_row, column=2, value="model row")
        xref = {lv: f"$D${first_lever + i}" for i, lv in enumerate(levers)}
        ws.cell(row=term_row - 1, column=3, value="intercept")
        ws.cell(row=term_row, column=3, value=1)
        for j, term in enumerate(terms, start=4):
            ws.cell(row=term_row - 1, column=j, value=term)
            ws.cell(row=term_row, column=j, value="=" + "*".join(xref[lv] for lv in term.split(":")))
        model = f"{_ref(3, term_row)}:{_ref(2 + p, term_row)}"
        rows: dict[str, tuple[int, int]] = {}
        r = term_row + 2
        for block, coefs, col in (
            ("value", t["value_coef"], 1),
            ("attain_boot", t["attain_boot"], 2),
            ("attain", [t["attain_coef"]], 2),
        ):
            ws.cell(row=r, column=3, value=f"coefficients: {block}").font = Font(bold=True)
            r += 1
            rows[block] = (r, r + len(coefs) - 1)
            for coef in coefs:
                for j, c in enumerate(coef, start=3):
                    ws.cell(row=r, column=j, value=c)
                span = f"{_ref(3, r, False)}:{_ref(2 + p, r, False)}"
                dot = f"SUMPRODUCT({model},{span})"
                ws.cell(row=r, column=col, value=f"={dot}" if block == "value" else f"=1/(1+EXP(-{dot}))")
                r += 1
        v0, v1 = rows["value"]
        b0, b1 = rows["attain_boot"]
        a0 = rows["attain"][0]
        tail = (1 - emu["confidence"]) / 2
        n_rep = v1 - v0 + 1
        simulated = r + 1
        ws.cell(row=simulated - 1, column=1, value="simulated package codes")
        for i, bits in enumerate(emu["simulated"]):
            ws.cell(row=simulated + i, column=1, value=sum(b * 2**j for j, b in enumerate(bits)))
        codes = f"$A${simulated}:$A${simulated + len(emu['simulated']) - 1}"
        header = [
            "predicted value 预测值",
            "low",
            "high",
            "P(attain) 达标概率",
            "P low",
            "P high",
            "goal 目标",
            "simulated? 是否已模拟",
        ]
        half = f"{emu['t_quantile']}*STDEV(A{v0}:A{v1})/SQRT({n_rep})"
        formulas = [
            f"=AVERAGE(A{v0}:A{v1})",
            f"=AVERAGE(A{v0}:A{v1})-{half}",
            f"=AVERAGE(A{v0}:A{v1})+{half}",
            f"=B{a0}",
            f"=PERCENTILE(B{b0}:B{b1},{tail})",
            f"=PERCENTILE(B{b0}:B{b1},{1 - tail})",
            t["goal"],
            f"=IF(ISNUMBER(MATCH(SUMPRODUCT(C{first_lever}:C{last_lever},E{first_lever}:E{last_lever}),{codes},0)),"
            '"simulated 已模拟","not simulated: two-lever model 未模拟，模型预测")',
        ]
        for j, (head, formula) in enumerate(zip(header, formulas, strict=True), start=1):
            ws.cell(row=2, column=j, value=head).font = Font(bold=True)
            ws.cell(row=3, column=j, value=formula)
        ws.column_dimensions["A"].width = 24
        ws.column_dimensions["B"].width = 22
    wb.save(path)
    return names


WHATIF_CELLS: dict[str, str] = {
    "value": "A3",
    "value_low": "B3",
    "value_high": "C3",
    "p_attain": "D3",
    "p_low": "E3",
    "p_high": "F3",
    "simulated": "H3",
}  # where each result sits on a what-if sheet (tests read them)
