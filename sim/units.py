"""Counties, districts and parks (县区（园区）): the units a city splits its targets into.

The table and its look-up live in :mod:`analysis.units` (the analysis reads unit names and
never imports the model); this module keeps the model's name for them.
"""

from analysis.units import HUAIAN_UNITS, UNIT_KEYS, Unit, unit_key

__all__ = ["HUAIAN_UNITS", "UNIT_KEYS", "Unit", "unit_key"]
