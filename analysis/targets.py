"""The 2023 plan's targets (the "4633" and the rest), one row per key.

Goals are the plan's (``shared/seed``; ``shared/domain.md``). Where a target is a count and
an amount (retrofits; the parks share by count and by investment) both are listed. Every
target is "at least": a replication attains it when its year-end value >= goal.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Target:
    """One plan target."""

    key: str
    label_zh: str
    label_en: str
    unit: str
    goal: float


TARGETS: tuple[Target, ...] = (
    Target("agreed_investment", "全年协议引资额", "Agreed investment signed", "亿元", 4000),
    Target("agreed_investment_industrial", "其中工业项目协议引资额", "of which industrial", "亿元", 3300),
    Target("signed_industrial_1e8", "新签约亿元以上工业项目", "New industrial signings >= 1亿", "个", 600),
    Target("signed_5e9", "50亿元以上产业项目", "New industry projects >= 50亿", "个", 30),
    Target("started_same_year", "当年签约项目开工", "Same-year signings started", "个", 300),
    Target("start_rate_same_year", "当年申报签约项目开工率", "Start rate of same-year signings", "%", 0.5),
    Target("signed_agri_1e7", "新招引1000万元以上农业项目", "New agriculture projects >= 1000万", "个", 160),
    Target(
        "signed_producer_services_1e8",
        "新招引亿元以上生产性服务业项目",
        "New producer-services projects >= 1亿",
        "个",
        100,
    ),
    Target("foreign_usd1e7", "新设总投资1000万美元以上外资项目", "New foreign projects >= USD 10m", "个", 120),
    Target("foreign_taiwan", "其中台资项目", "of which Taiwan-funded", "个", 66),
    Target("tech_talent", "新招引科技人才项目", "New technology-talent projects", "个", 400),
    Target("industrial_investment", "实际完成工业投资", "Industrial investment spent", "亿元", 1000),
    Target("started_industrial_1e8", "新开工亿元以上工业项目", "Industrial starts >= 1亿", "个", 400),
    Target("started_industrial_5e9", "其中50亿元以上", "of which >= 50亿", "个", 20),
    Target("completed_to_registered", "竣工项目转化为列统企业", "Completed projects registered (列统)", "户", 200),
    Target("started_agri_1e7", "农业新开工1000万元以上项目", "Agriculture starts >= 1000万", "个", 130),
    Target("started_agri_1e8", "其中亿元以上", "of which >= 1亿", "个", 57),
    Target("completed_agri_1e7", "农业新竣工1000万元以上项目", "Agriculture completions >= 1000万", "个", 100),
    Target("completed_agri_1e8", "其中亿元以上", "of which >= 1亿", "个", 37),
    Target("started_services_1e8", "新开工亿元以上服务业项目", "Services starts >= 1亿", "个", 60),
    Target("started_services_1e9", "其中10亿元以上", "of which >= 10亿", "个", 15),
    Target("completed_services_1e8", "新竣工亿元以上服务业项目", "Services completions >= 1亿", "个", 58),
    Target("completed_services_1e9", "其中10亿元以上", "of which >= 10亿", "个", 13),
    Target(
        "parks_share",
        "省级以上园区新招引亿元以上项目占比(个数)",
        "Share of new >= 1亿 projects in parks (count)",
        "%",
        0.8,
    ),
    Target(
        "parks_share_investment",
        "省级以上园区新招引亿元以上项目占比(投资额)",
        "Share of new >= 1亿 projects in parks (investment)",
        "%",
        0.8,
    ),
    Target("retrofit_projects", "智能化、数字化技改项目", "Smart/digital retrofit projects", "个", 500),
    Target("retrofit_investment", "智能化、数字化技改投资", "Smart/digital retrofit investment", "亿元", 200),
    Target("smart_benchmarks", "新增市级以上智能制造标杆企业", "New smart-manufacturing benchmarks", "家", 30),
)

TARGET_KEYS: tuple[str, ...] = tuple(t.key for t in TARGETS)


def targets_frame() -> pd.DataFrame:
    """The targets as a DataFrame (key, label_zh, label_en, unit, goal)."""
    return pd.DataFrame([vars(t) for t in TARGETS]).rename(columns={"key": "target"})
