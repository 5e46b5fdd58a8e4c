"""Report section "the model against the published record" (issue 22), when the run has one.

``python -m sim.validate --out RUN/validation`` (or ``--out RUN``) writes ``validation.csv``
and ``validation.png``/``.svg``; the report of RUN then shows the chart, the coverage of fit
and held-out observations and the table, read from those files (nothing is rerun).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

PLACES: tuple[str, ...] = ("validation", ".")  # RUN/validation/, then RUN itself


def find_validation(root: Path) -> Path | None:
    """The directory under ``root`` holding ``validation.csv``, or None."""
    for place in PLACES:
        here = (root / place).resolve()
        if (here / "validation.csv").exists():
            return here
    return None


def validation_section(root: Path) -> tuple[str, str] | None:
    """(heading, html) of the validation section, or None when the run has no validation."""
    from analysis.report.html import embed_svg, frame_table

    where = find_validation(root)
    if where is None:
        return None
    table = pd.read_csv(where / "validation.csv", encoding="utf-8-sig")
    meta_path = where / "validation.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    parts = []
    for name, zh, en in (("fit", "拟合", "fit"), ("held_out", "留出", "held out")):
        part = table[table["held_out"] == (name == "held_out")]
        parts.append(f"{zh} {en}: {int(part['inside'].sum())}/{len(part)}")
    intro = (
        "模型对2019—2022年公开数据的90%预测区间是否覆盖公开值。 Whether the model's 90% predictive interval over "
        f"its warm-up years covers each published figure: {'; '.join(parts)} inside"
        f" ({meta.get('replications', '?')} replications, {html.escape(str(meta.get('policy', '')))},"
        f" commit {html.escape(str(meta.get('commit', '?')))}, {html.escape(str(meta.get('date', '')))})."
    )
    chart = embed_svg(where / "validation.svg") if (where / "validation.svg").exists() else ""
    shown = table[["observation", "label_en", "theme", "observed", "p05", "p50", "p95", "inside", "held_out", "unit"]]
    block = f"<p class='muted'>{intro}</p>{chart}{frame_table(shown, digits=3)}"
    return "与历史数据对照 The model against the published record", block
