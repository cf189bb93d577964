"""The org simulator: scenarios run through org.engine on a virtual clock (`org sim`).

load(ref, sets, seed)      a scenario by shipped name or path, with --set overrides
simulate(ref, ...)         one run -> metrics (plain JSON-able dict)
sweep(ref, path, values)   one run per value of a setting
compare(a, b)              two runs' metrics side by side with deltas
"""

from org.sim.run import compare, load, simulate, sweep

__all__ = ["load", "simulate", "sweep", "compare"]
