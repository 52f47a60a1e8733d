"""The dataflows, one module each, behind one registry (:mod:`hwsim.cost.dataflows.registry`).

Built in, in tie-break order: :mod:`~.weight_stationary` (``ws``), :mod:`~.output_stationary`
(``os``), :mod:`~.input_stationary` (``is``). Adding a dataflow: a module declaring its
:class:`~hwsim.cost.dataflows.registry.Dataflow` and one :func:`register` line below.
"""

from hwsim.cost.dataflows import input_stationary, output_stationary, weight_stationary
from hwsim.cost.dataflows.registry import Dataflow, SramReads, dataflow_names, get_dataflow, register, unregister

__all__ = ["Dataflow", "SramReads", "dataflow_names", "get_dataflow", "register", "unregister"]

register(weight_stationary.DATAFLOW)
register(output_stationary.DATAFLOW)
register(input_stationary.DATAFLOW)
