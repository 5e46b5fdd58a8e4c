"""Every command of gongjian, one line each: what ``python -m sim --list`` prints.

Kept apart from :mod:`sim.__main__` so the list prints before Hydra or any model code is
imported; ``tests/test_cli.py`` runs each command's ``--help`` so the list cannot name a
command that does not exist.
"""

from __future__ import annotations

# (command, what it does in a planner's words: English / 中文)
COMMANDS: tuple[tuple[str, str], ...] = (
    ("python -m sim [overrides]", "forecast a scenario x policy: attainment of every target / 年度目标达成概率预测"),
    ("python -m sim -m policy=a,b,...", "sweep policies or what-ifs, one job each / 多方案扫描"),
    ("python -m analysis report DIR", "charts, report.html and report.xlsx of a run or sweep / 图表与报告"),
    ("python -m analysis compare DIR", "paired policy comparison of a sweep / 政策配对比较"),
    ("python -m analysis drift DIR", "probability drift across nowcast ledger dates / 概率漂移与预警"),
    ("python -m analysis sensitivity DIR", "uncertainty budget: luck and each uncertain input / 不确定性分解"),
    ("python -m analysis discover DIR", "scenario discovery: where a target is missed (PRIM, CART) / 情景发现"),
    ("python -m sim.ledger check FILE", "read an office's ledger and account for every row / 台账检查"),
    ("python -m sim.calibrate FILE", "fit the model's durations from a planner ledger / 台账校准"),
    ("python -m sim.validate --out DIR", "the model against the published record, 2019-2022 / 历史数据检验"),
    (
        "python -m sim.history_match --out DIR",
        "rule out inputs the record makes implausible / 历史拟合筛选参数",
    ),
    (
        "python -m sim.experiments.watch_calibration --out DIR",
        "are the watch list's probabilities honest? simulated cities / 重点项目开工概率校验",
    ),
    ("python -m sim.screen", "fractional-factorial screen of the levers / 政策筛选"),
    ("python -m sim.select", "cheapest lever package that reaches a goal (KN) / 最省组合选择"),
    ("python -m sim.tune", "continuous lever intensities (Optuna, optional) / 政策力度寻优"),
    ("python -m sim.what_it_takes", "screen, then select, with the guarantee / 达标所需"),
    ("python -m bench", "speed and scale benchmark / 性能基准"),
)


def listing() -> str:
    """The table ``python -m sim --list`` prints."""
    width = max(len(command) for command, _ in COMMANDS)
    lines = ["gongjian commands / 命令一览:"]
    lines += [f"  {command.ljust(width)}  {what}" for command, what in COMMANDS]
    return "\n".join(lines) + "\n"
