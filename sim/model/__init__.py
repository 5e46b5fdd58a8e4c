"""One replication of the simulated city, from leads to output.

Structure apart from behaviour: :mod:`sim.model.build` creates the resources and plans and
starts the processes; :mod:`sim.model.processes` is a project's life step by step,
:mod:`sim.model.city` the city's own processes (lead source, bulletins, campaign launch,
quota releases), :mod:`sim.model.resume` a nowcast's projects resuming mid-life.
:mod:`sim.model.system` is the state they share; :mod:`sim.model.project_plan` each project's
precomputed days and decisions; :mod:`sim.model.leads`, :mod:`sim.model.attraction` and
:mod:`sim.model.retrofits` the demand; :mod:`sim.model.recorder` the ledger of milestones.
"""
