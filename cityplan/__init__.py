"""The city's plan as data: the vocabulary the model (``sim``) and the analyses share.

A plan (``conf/plan/<city>_<year>.yaml``) names targets, goals and how each is counted. This
package holds that vocabulary and nothing that simulates or draws:

- :mod:`cityplan.errors` -- ``ConfigError`` and the one-line message (field, value, allowed);
- :mod:`cityplan.schema` -- the plan schema (sectors, size tiers, milestones, target specs);
- :mod:`cityplan.targets` -- the plan's targets as a table, and whether a value attains a goal;
- :mod:`cityplan.counting` -- counting a target from a project ledger (the KPI window);
- :mod:`cityplan.units` -- counties, districts and parks (县区（园区）);
- :mod:`cityplan.calendar` -- model days and dates, Spring Festival and the campaign launch;
- :mod:`cityplan.files` -- reading a plan file without Hydra.

It imports neither ``sim`` nor ``analysis`` (``tests/test_import_direction.py``).
"""
