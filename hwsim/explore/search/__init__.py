"""Block-allocation search, alone or jointly with the accelerator: the families it can search
(:mod:`~.families`: one module each behind one interface and a registry), the space
(:mod:`~.space`), the accelerator configurations and template units evaluated on them
(:mod:`~.configurations`), scoring from unit templates (:mod:`~.scoring`), results and Pareto
fronts (:mod:`~.results`), where the published networks rank (:mod:`~.published`), measured
accuracies (:mod:`~.accuracy`), resumable CSV output (:mod:`~.output`), reports (:mod:`~.report`)
and the driver :func:`hwsim.explore.search.run.search`.
"""
