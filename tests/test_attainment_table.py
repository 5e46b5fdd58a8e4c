"""The terminal attainment table: columns line up in terminal cells for every target of the plan."""

from __future__ import annotations

import pandas as pd

from analysis.attainment import LABEL_COLUMNS, display_width, format_attainment
from tests.helpers import HUAIAN_2023


def plan_table() -> pd.DataFrame:
    """The 2023 plan's targets with numbers at their goals (formatting only)."""
    rows = [
        {
            "target": key,
            "label_zh": t.label_zh,
            "label_en": t.label_en,
            "unit": t.unit,
            "goal": t.goal,
            "p10": 0.9 * t.goal,
            "p50": t.goal,
            "p90": 1.1 * t.goal,
            "p_attain": 0.5,
            "p_attain_low": 0.4,
            "p_attain_high": 0.6,
            "n_replications": 20,
        }
        for key, t in HUAIAN_2023.targets.items()
    ]
    return pd.DataFrame(rows)


def test_display_width_counts_chinese_as_two_cells() -> None:
    assert display_width("占比(个数) ab") == 2 * 4 + len("() ab")
    assert display_width("（）") == 4  # full-width brackets


def test_every_row_ends_where_the_header_ends() -> None:
    table = plan_table()
    lines = format_attainment(table).splitlines()
    header, rows = lines[0], [line for line in lines[2:-1] if line.rstrip().endswith("]")]
    assert len(rows) == len(table)  # one row of numbers per target
    assert {display_width(line) for line in rows} == {display_width(header)}
    # each number column starts in the same cell as in the header ("goal" right-aligned)
    goal_end = display_width(header[: header.index("goal") + len("goal")])
    assert goal_end == LABEL_COLUMNS + 1 + 8


def test_a_label_too_wide_for_its_column_takes_two_lines() -> None:
    table = plan_table()
    text = format_attainment(table)
    wide = table[table["target"] == "parks_share"].iloc[0]
    assert display_width(f"{wide['label_zh']} {wide['label_en']}") > LABEL_COLUMNS  # the case exists in the plan
    assert f"\n{wide['label_zh']}\n  {wide['label_en']} " in text
