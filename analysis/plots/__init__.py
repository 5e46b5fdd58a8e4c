"""Charts a planner can put in a slide: bilingual labels, one house style (:mod:`analysis.plots.style`).

Each function takes tables and returns a matplotlib Axes or Figure; none reads or writes run
directories (that is :mod:`analysis.report`).
"""
