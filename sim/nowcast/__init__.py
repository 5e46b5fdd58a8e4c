"""Nowcast: restart the simulated city from a planner's ledger on its ``as_of`` date.

Every ledger project resumes in its stage with the time it has already spent there. A
duration that is one lognormal in the model (prework, land transfer, energy assessment, the
applicant's file, construction, registration and output delays) is drawn from its residual
distribution given the time elapsed: ``u ~ U(F(elapsed), 1)``, ``d = F^-1(u)``, remaining
``d - elapsed``; construction also weighs the chance of a stall, registration and output the
chance they never happen (cure model). A file under review on ``as_of`` (审批受理日期) keeps an
approval office for the service left, conditioned by rejection on fresh draws. The
investor's patience (Weibull) is drawn the same way given the days already waited in the
current queue. A project still in pre-work has its quality (which sets the pre-work median)
drawn from its posterior given the pre-work has lasted so far. A project known to be in a
problem (堵点) on ``as_of`` (procedures begun, no quota, and the land in stock would have served
its request) has its ordinary and leader's routes drawn given they outlasted the elapsed time.
Approximations: a project that may be waiting for land instead keeps a problem drawn afresh,
``max(draw - elapsed, 0)`` (the exact posterior if a project past its problem would still be
waiting); no problem outlasts the first problem-resolution meeting (问题会办) after it began plus
the follow-up, and a leader free on ``as_of`` takes an ongoing problem (the leaders' attention
before ``as_of`` is not in a ledger); a project waiting for land or energy quota on ``as_of``
rejoins that queue (by signing date, or by size under the "size" rule); a file with energy
approved but no review date is taken to be still in preparation. Residuals come from the
``nowcast`` stream, never from the streams that made a simulated ledger, so the nowcast cannot
know a project's future draws.

Quotas in stock on ``as_of`` are replayed from the model's release rule (initial stock,
monthly tranches, partial carry-over at 1 January) less every grant in the ledger (quota
used by projects not in the ledger is not deducted); the idle land (闲置土地) of an investor
who left before ``as_of`` comes back on its recovery day after it. Leads are drawn over the full
horizon as in a normal run (common random numbers); those arriving after ``as_of`` and
those still in appraisal on ``as_of`` enter the run, the rest are history the ledger holds.

Retrofits are not in a project ledger: their targets are forecast by the model for the whole
year in every replication (nothing counted as achieved). Industrial investment spent before
``as_of`` by projects still building follows the S-curve of their redrawn duration, so its
achieved part is a model estimate (exact for projects completed by ``as_of``).

Rooms: :mod:`sim.nowcast.read` (the ledger file, its leads and milestones),
:mod:`sim.nowcast.residuals` (residual distributions given the time elapsed),
:mod:`sim.nowcast.remaining` (what is left of each project's plan),
:mod:`sim.nowcast.start` (who is where and what is in stock on ``as_of``: the starting state),
:mod:`sim.nowcast.actual` (what the ledger counts as achieved).
"""
