"""Network families the block-allocation search explores, one module each, behind one interface.

:mod:`~.base` (the :class:`~.base.Family` interface), :mod:`~.registry` (families by name),
:mod:`~.cache` (traced reference graphs on disk) and one module per family:
:mod:`~.squeezenext`.
"""
