"""Model source: an ONNX file ``.onnx`` (read by :mod:`hwsim.export.onnx_front`, no runtime needed).

The file fixes its own shapes; free (symbolic) input dims are filled from ``--batch`` and
``--input-size`` (H, W). Registering imports nothing; loading imports the ``onnx`` package
(the ``onnx`` extra: ``pip install 'hwsim[onnx]'``).
"""

from __future__ import annotations

from pathlib import Path

from hwsim.errors import ConfigError, GraphFileError
from hwsim.graph.layer_graph import LayerGraph
from hwsim.sources.arguments import check_input_size
from hwsim.sources.registry import InputSize, register

__all__ = ["load_onnx"]


def load_onnx(source: str, input_size: InputSize = None, batch: int = 1) -> LayerGraph:
    """The graph of the ONNX model in the file ``source``, named after the file stem."""
    size = check_input_size(source, input_size)
    if not Path(source).is_file():
        raise GraphFileError(f"{source}: model file not found")
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise ConfigError(f"{source}: reading ONNX files needs the onnx package (pip install 'hwsim[onnx]')") from None
    from hwsim.export.onnx_front import export_onnx

    return export_onnx(source, size, batch)


register(".onnx", load_onnx)
