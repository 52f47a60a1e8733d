"""Block-allocation search: the families it can search (:mod:`~.families`: one module each behind
one interface and a registry), the space (:mod:`~.space`), scoring from unit templates
(:mod:`~.scoring`), results and Pareto fronts (:mod:`~.results`), resumable CSV output
(:mod:`~.output`), reports (:mod:`~.report`) and the driver :func:`hwsim.explore.search.run.search`.
"""
