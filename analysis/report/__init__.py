"""The planner's report of a run or sweep: charts, ``report.html`` and ``report.xlsx``.

- :mod:`analysis.report.run_dir` reads and checks a run directory;
- :mod:`analysis.report.charts` draws on worker processes;
- :mod:`analysis.report.html`, :mod:`analysis.report.xlsx` and :mod:`analysis.report.whatif`
  write the pages, the workbook and the what-if panel;
- :mod:`analysis.report.uncertainty` the uncertainty section, from the budget
  (:mod:`analysis.report.budget`) and scenario discovery (:mod:`analysis.report.discovery`);
- :mod:`analysis.report.files` writes atomically and removes only what an earlier report wrote;
- :mod:`analysis.report.write` puts them together (``python -m analysis report``).
"""
