"""Network families the block-allocation search explores, one module each, behind one interface.

:mod:`~.base` (the :class:`~.base.Family` interface), :mod:`~.registry` (families by name),
:mod:`~.cache` (traced reference graphs on disk), :mod:`~.staged` (what the families built of
a first block and repeats per stage share) and one module per family: :mod:`~.squeezenext`,
:mod:`~.mobilenet_v1`, :mod:`~.mobilenet_v2`, :mod:`~.shufflenet_v1`, :mod:`~.shufflenet_v2`.
"""
