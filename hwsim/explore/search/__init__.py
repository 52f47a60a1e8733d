"""Block-allocation search: the space (:mod:`~.space`), block templates (:mod:`~.templates`),
scoring (:mod:`~.scoring`), results and Pareto fronts (:mod:`~.results`), resumable CSV output
(:mod:`~.output`), reports (:mod:`~.report`) and the driver :func:`hwsim.explore.search.run.search`.
"""
