"""SimPy extensions that know nothing of projects: the only files that touch SimPy internals.

- :mod:`sim.engine.resources` -- a priority container (quota pools, first fit or head of
  line) and a heap-ordered priority resource (approval offices) that can be re-ranked;
- :mod:`sim.engine.clock` -- callbacks at an absolute time without a process;
- :mod:`sim.engine.detached` -- a process whose first step runs at once.

They rely on SimPy 4.1 internals (``pyproject.toml`` pins ``simpy>=4.1,<4.2``;
``tests/test_engine_simpy.py`` names the version they were copied from).
"""
