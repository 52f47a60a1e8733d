"""Reports of a simulation: per-layer frames, the terminal table, totals, CSV/JSON (:mod:`~hwsim.report.profile`)."""
