"""Design-space exploration on top of the cost model: sweeps (:mod:`~hwsim.explore.sweep`),
block-allocation searches (:mod:`~hwsim.explore.search`) and Pareto fronts (:mod:`~hwsim.explore.pareto`).
"""
