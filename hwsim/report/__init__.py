"""Reports of a simulation: per-layer frames, the terminal table, totals, CSV/JSON
(:mod:`~hwsim.report.profile`), the table and totals of a host-model prediction
(:mod:`~hwsim.report.host_profile`), and how every table writes its numbers
(:mod:`~hwsim.report.formatting`)."""
