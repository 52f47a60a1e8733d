"""Real latency on this host (CPU, CUDA): timing (:mod:`~.timing`, :mod:`~.cuda`), attribution of fx
nodes to graph layers (:mod:`~.attribution`), host facts (:mod:`~.host_info`), records
(:mod:`~.results`), the resumable cache (:mod:`~.cache`) and the driver (:mod:`~.profiler`).
"""
