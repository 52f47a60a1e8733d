"""Model source: ``path/to/file.py:factory``, a PyTorch model built by a user's function and exported.

The factory is called with no arguments (:func:`hwsim.export.load_factory`) and the model is
traced at the given input size (required) and batch. Registering imports nothing; loading
imports torch.
"""

from __future__ import annotations

from pathlib import Path

from hwsim.errors import ConfigError
from hwsim.graph.layer_graph import LayerGraph
from hwsim.sources.arguments import check_input_size
from hwsim.sources.registry import InputSize, register

__all__ = ["load_torch_factory"]


def load_torch_factory(source: str, input_size: InputSize = None, batch: int = 1) -> LayerGraph:
    """Export the model ``source`` (``file.py:factory``) on an input of ``batch`` x ``input_size``.

    ``input_size`` is (height, width), with 3 input channels, or (channels, height, width). The
    graph is named after the factory (the file stem without one).
    """
    size = check_input_size(source, input_size, lengths=(2, 3))
    if size is None:
        raise ConfigError(f"{source}: a model factory needs an input size (height, width): expected --input-size HxW")
    from hwsim.export import export, load_factory

    model = load_factory(source)
    shape = (batch, *size) if len(size) == 3 else (batch, 3, *size)
    name = source.rpartition(":")[2] if ":" in source else Path(source).stem
    return export(model, shape, name=name)


register(".py", load_torch_factory, usage="file.py:factory")
