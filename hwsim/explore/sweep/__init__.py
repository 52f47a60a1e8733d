"""Design-space sweeps: the grid of configurations (:mod:`~.grid`), chunked vectorised evaluation
(:mod:`~.chunks`), resumable output (:mod:`~.output`), local/Dask backends (:mod:`~.backends`) and
the driver :func:`hwsim.explore.sweep.run.sweep`.
"""
