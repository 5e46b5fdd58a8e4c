"""Counties, districts and parks (县区（园区）): the units a city splits its targets into.

One table, shared by the model (which unit a lead belongs to), the ledger reader (the
县区（园区）column of an office's ledger), the plan (a unit's share of the targets) and the
analysis (the unit ranking's names). It lives in ``analysis`` because ``analysis`` never
imports the model (``sim``), while ``sim`` may import ``analysis``; :mod:`cityplan.units` re-exports
it. A unit is named everywhere by its ``key``; the Chinese names, full or short, are
accepted on input.

calibration.md §6: Huai'an splits its targets over its districts, counties and parks — "4
districts, 3 counties, the national development zone, the industrial park and the
eco-tourism zone — 9 units in the city's drills". The list below names all ten places that
sentence enumerates (4 + 3 + 3); whether the drills merge two of them is not published, so
the table keeps them apart and a plan file may give a unit a zero share.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """One county, district or park."""

    key: str
    name_zh: str
    name_en: str
    short_zh: str


HUAIAN_UNITS: tuple[Unit, ...] = (
    Unit("qingjiangpu", "清江浦区", "Qingjiangpu District", "清江浦"),
    Unit("huaian_district", "淮安区", "Huai'an District", "淮安区"),
    Unit("huaiyin", "淮阴区", "Huaiyin District", "淮阴"),
    Unit("hongze", "洪泽区", "Hongze District", "洪泽"),
    Unit("lianshui", "涟水县", "Lianshui County", "涟水"),
    Unit("xuyi", "盱眙县", "Xuyi County", "盱眙"),
    Unit("jinhu", "金湖县", "Jinhu County", "金湖"),
    Unit("development_zone", "淮安经济技术开发区", "Huai'an Economic and Technological Development Zone", "经开区"),
    Unit("industrial_park", "淮安工业园区", "Huai'an Industrial Park", "工业园区"),
    Unit("eco_tourism_zone", "淮安生态文旅区", "Huai'an Eco-Tourism Zone", "生态文旅区"),
)
UNIT_KEYS: tuple[str, ...] = tuple(u.key for u in HUAIAN_UNITS)


def unit_key(name: str, units: tuple[Unit, ...] = HUAIAN_UNITS) -> str | None:
    """The key of the unit that ``name`` names, or None.

    Parameters
    ----------
    name
        A key (``"xuyi"``), a full Chinese name (``"盱眙县"``), a short one (``"盱眙"``) or an
        English name; surrounding spaces are ignored.
    units
        The table to look in (default: Huai'an's).
    """
    text = name.strip()
    for u in units:
        if text in (u.key, u.name_zh, u.short_zh) or text.lower() == u.name_en.lower():
            return u.key
    return None
