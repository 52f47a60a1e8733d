"""The calibrated host latency model: its schema (:mod:`~.schema`), per-layer terms (:mod:`~.terms`),
fitting (:mod:`~.fit`) and prediction as a SimResult (:mod:`~.model`).
"""
