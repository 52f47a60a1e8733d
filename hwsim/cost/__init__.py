"""The numpy cost core: arrays of GEMM dimensions and hardware fields in, ``(configs, layers)`` metrics out.

:mod:`~hwsim.cost.arrays` (the inputs), :mod:`~hwsim.cost.dataflows` (the dataflows, one module
each, behind a registry), :mod:`~hwsim.cost.mapping` (mapping a GEMM onto the array),
:mod:`~hwsim.cost.memory` (traffic and stalls), :mod:`~hwsim.cost.residency` (what the global
buffer holds, per configuration), :mod:`~hwsim.cost.global_buffer` (its defaults and its share of
each layer's traffic), :mod:`~hwsim.cost.energy` (pricing),
:mod:`~hwsim.cost.metrics` (the per-layer metric schema), :mod:`~hwsim.cost.evaluate` (all
metrics, vectorised), :mod:`~hwsim.cost.totals` (sums over layers) and
:mod:`~hwsim.cost.result` (one network's :class:`~hwsim.cost.result.SimResult`). Knows neither
graphs nor YAML; never imports torch.
"""
