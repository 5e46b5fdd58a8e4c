"""The words offices use in their ledgers: one synonym table for headers, stages and sectors.

Every header or value is compared after :func:`normalise` (NFKC: full-width brackets,
letters and digits become half-width; no spaces; lower case). A header may carry its unit in
brackets, ``协议总投资（亿元）`` or ``总投资(万元)``: amounts in 万元 are converted to 亿元.
To support a new spelling, add it here and nowhere else.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from sim.ledger.io import COLUMNS, SECTOR_ZH, STAGES

_DATE_SUFFIXES: tuple[str, ...] = ("日期", "时间", "日", "date", "")

# English key -> the headers offices write (besides the template's own Chinese and English).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("项目名称", "项目", "名称", "project", "projectname", "name"),
    "sector": ("行业", "行业类别", "所属行业", "产业类别", "行业分类", "产业", "industry", "sector"),
    "investment_yi": (
        "协议投资额",
        "协议总投资",
        "协议投资",
        "计划总投资",
        "总投资",
        "项目总投资",
        "投资额",
        "investment",
        "totalinvestment",
    ),
    "spent_to_date_yi": (
        "已完成投资",
        "累计完成投资",
        "累计完成",
        "完成投资",
        "开工以来累计完成投资",
        "spent",
        "spenttodate",
    ),
    "stage": ("当前节点", "项目进度", "当前进度", "项目状态", "进展阶段", "所处阶段", "状态", "stage"),
    "unit": ("县区(园区)", "县区", "县(区)", "县区园区", "所属县区", "县区(园区)名称", "地区", "unit", "county"),
    "foreign": ("是否外资", "是否外资项目", "外资", "外资项目", "foreign"),
    "taiwan": ("是否台资", "是否台资项目", "台资", "台资项目", "taiwan"),
    "tech_talent": ("是否科技人才", "是否科技人才项目", "科技人才项目", "科技人才", "techtalent"),
    "in_park": ("是否省级以上园区", "省级以上园区", "是否在省级以上园区", "inpark"),
    "land_mu": ("用地", "用地面积", "用地规模", "占地面积", "land", "landmu"),
    "energy_tce": ("能耗", "综合能耗", "年综合能耗", "energy", "energytce"),
}
# Date columns: the template's name without 日期, written with 日期, 时间, 日 or nothing.
_DATE_STEMS: dict[str, tuple[str, ...]] = {
    "signed_date": ("签约",),
    "procedures_date": ("手续启动", "手续办理"),
    "land_granted_date": ("用地指标下达",),
    "land_date": ("供地",),
    "energy_granted_date": ("能耗指标下达",),
    "energy_date": ("能评批复",),
    "review_date": ("审批受理",),
    "permits_date": ("施工许可",),
    "started_date": ("开工", "实际开工"),
    "completed_date": ("竣工", "实际竣工"),
    "registered_date": ("列统", "入统"),
    "output_date": ("达效", "达产"),
    "dropped_date": ("终止", "退出"),
}
# Columns an office ledger has that the model does not use (recognised, not warned about).
IGNORED_HEADERS: tuple[str, ...] = (
    "序号",
    "编号",
    "no",
    "no.",
    "备注",
    "说明",
    "建设内容",
    "主要建设内容",
    "项目主体",
    "投资主体",
    "责任单位",
    "责任人",
    "联系人",
    "联系方式",
    "存在问题",
    "问题",
    "推进措施",
    "下步计划",
    "进展情况",
)
# Amount columns in 亿元 and the factor from the unit a header names.
AMOUNT_UNITS: dict[str, float] = {"亿元": 1.0, "万元": 1e-4}
YI_COLUMNS: tuple[str, ...] = ("investment_yi", "spent_to_date_yi")

STAGE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "signed": ("已签约", "签约", "新签约", "签约未开工", "signed"),
    "procedures": (
        "手续办理",
        "手续办理中",
        "正在办理手续",
        "办理手续中",
        "前期手续办理",
        "前期手续办理中",
        "前期",
        "procedures",
    ),
    "land": ("已供地", "供地", "已拿地", "land"),
    "building": ("在建", "已开工", "开工", "新开工", "建设中", "正在建设", "续建", "开工在建", "building"),
    "completed": ("已竣工", "竣工", "已投产", "投产", "建成投产", "已建成", "竣工投产", "completed"),
    "registered": ("已列统", "列统", "已入统", "入统", "registered"),
    "dropped": ("已终止", "终止", "已退出", "退出", "取消", "已取消", "dropped"),
}
SECTOR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "industrial": ("工业", "工业项目", "制造业", "先进制造业", "industrial", "industry"),
    "producer_services": ("生产性服务业", "生产性服务业项目", "producerservices", "producer_services"),
    "other_services": (
        "其他服务业",
        "服务业",
        "服务业项目",
        "生活性服务业",
        "现代服务业",
        "otherservices",
        "services",
    ),
    "agriculture": ("农业", "农业项目", "现代农业", "agriculture"),
}
# A row whose first cells say one of these is a total or a subtotal, not a project.
TOTAL_WORDS: tuple[str, ...] = ("合计", "总计", "共计", "全市合计", "总合计")
SUBTOTAL_WORDS: tuple[str, ...] = ("小计",)
TRUE_WORDS: tuple[str, ...] = ("是", "√", "✓", "yes", "y", "true", "1", "1.0", "t")
FALSE_WORDS: tuple[str, ...] = ("否", "×", "no", "n", "false", "0", "0.0", "f", "", "-", "/")


@functools.lru_cache(maxsize=16384)  # headers and values repeat down a ledger
def normalise(text: object) -> str:
    """A header or value as a comparison key: NFKC (half-width), no spaces, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


_UNIT_IN_BRACKETS = re.compile(r"\((亿元|万元|亩|吨标煤|吨标准煤|万吨标煤|个|年|月|日)\)")


def _header_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for key, zh in COLUMNS:
        table[normalise(key)] = key
        table[normalise(zh)] = key
        table[normalise(_UNIT_IN_BRACKETS.sub("", normalise(zh)))] = key
    for key, words in HEADER_SYNONYMS.items():
        table |= {normalise(w): key for w in words}
    for key, stems in _DATE_STEMS.items():
        table |= {normalise(stem + suffix): key for stem in stems for suffix in _DATE_SUFFIXES if suffix}
    table |= {normalise(w): "" for w in IGNORED_HEADERS}
    return table


HEADER_TABLE: dict[str, str] = _header_table()


def header_key(text: object) -> str | None:
    """The column key a header names: "" = known but not used (序号, 备注), None = unknown.

    Units in brackets are ignored here (:func:`amount_factor` reads them):
    ``协议总投资（万元）`` and ``签约时间`` are ``investment_yi`` and ``signed_date``.
    """
    key = normalise(text).lstrip("*")
    return HEADER_TABLE.get(key, HEADER_TABLE.get(_UNIT_IN_BRACKETS.sub("", key)))


def amount_factor(text: object) -> float | None:
    """The factor to 亿元 of the money unit a header or a unit row names (万元 -> 1e-4), or None.

    A unit row (``单位：万元、亩``) names one money unit; a header names it in brackets.
    """
    key = normalise(text)
    named = [unit for unit in AMOUNT_UNITS if unit in key]
    return AMOUNT_UNITS[named[0]] if len(named) == 1 else None


def _value_table(synonyms: dict[str, tuple[str, ...]], extra: dict[str, str]) -> dict[str, str]:
    table = {normalise(w): key for key, words in synonyms.items() for w in words}
    return table | {normalise(v): k for k, v in extra.items()} | {normalise(k): k for k in synonyms}


STAGE_TABLE: dict[str, str] = _value_table(STAGE_SYNONYMS, STAGES)
SECTOR_TABLE: dict[str, str] = _value_table(SECTOR_SYNONYMS, SECTOR_ZH)


def stage_key(text: object) -> str | None:
    """The stage a cell names (``在建`` -> ``building``), or None."""
    return STAGE_TABLE.get(normalise(text))


def sector_key(text: object) -> str | None:
    """The sector a cell names (``工业项目`` -> ``industrial``), or None."""
    return SECTOR_TABLE.get(normalise(text))


_TRUE = frozenset(normalise(w) for w in TRUE_WORDS)
_FALSE = frozenset(normalise(w) for w in FALSE_WORDS)


def flag_value(text: object) -> bool | None:
    """A yes/no cell (是/否, √, yes/no, 1/0, blank = no), or None."""
    key = normalise(text)
    if key in _TRUE:
        return True
    return False if key in _FALSE else None


def total_kind(cells: list[str]) -> str:
    """``"total"`` or ``"subtotal"`` when one of the cells says so (合计, 总计, 小计 ...), else ""."""
    if not any("计" in cell for cell in cells):  # every word below ends in 计
        return ""
    for cell in cells:
        key = normalise(cell)
        if not key:
            continue
        if any(key.endswith(w) or key.startswith(w) for w in SUBTOTAL_WORDS):
            return "subtotal"
        if any(key.endswith(w) or key.startswith(w) for w in TOTAL_WORDS):
            return "total"
    return ""
