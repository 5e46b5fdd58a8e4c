"""Analysis of gongjian runs: KPIs, attainment, comparisons and charts.

Pure functions on DataFrames and arrays. This package never imports simpy.
"""
