"""numpy columns -> pyarrow arrays from their buffers, so that writing Parquet never imports pandas.

``pyarrow.array(ndarray)`` asks pandas whether its argument is a pandas object and so imports
pandas (about 0.2 s, more than the rest of a 100,000-configuration sweep's start-up); an array
built with ``pyarrow.Array.from_buffers`` over the numpy data does not. Types: integers ->
int64, floats -> float64, booleans -> bool (bit-packed), object columns -> strings, or
(``nullable`` given) int64 / float64 with None as null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["arrow_array", "arrow_table"]


def _bits(mask: NDArray[np.bool_]) -> Any:
    import pyarrow as pa

    return pa.py_buffer(np.packbits(mask, bitorder="little"))


def _numbers(values: NDArray[Any], dtype: Any, arrow_type: Any, valid: NDArray[np.bool_] | None) -> Any:
    import pyarrow as pa

    data = np.ascontiguousarray(values, dtype=dtype)
    validity = None if valid is None or valid.all() else _bits(valid)
    return pa.Array.from_buffers(arrow_type, len(data), [validity, pa.py_buffer(data)])


def arrow_array(values: NDArray[Any], nullable: str | None = None) -> Any:
    """``values`` as a pyarrow array; ``nullable`` (``"int"`` or ``"float"``): an object column
    of numbers and None (unset optional fields)."""
    import pyarrow as pa

    values = np.asarray(values)
    if values.dtype == bool:
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, _bits(values)])
    if values.dtype.kind in "iu":
        return _numbers(values, np.int64, pa.int64(), None)
    if values.dtype.kind == "f":
        return _numbers(values, np.float64, pa.float64(), None)
    if nullable is not None:
        missing = np.fromiter((v is None or v != v for v in values.tolist()), dtype=bool, count=len(values))
        filled = np.where(missing, 0, values)
        dtype, arrow_type = (np.int64, pa.int64()) if nullable == "int" else (np.float64, pa.float64())
        return _numbers(filled, dtype, arrow_type, ~missing)
    return _strings(values)


def _strings(values: NDArray[np.object_]) -> Any:
    """An object column as UTF-8 strings (None: null): the bytes of every row one after another,
    and where each row starts."""
    import pyarrow as pa

    n = len(values)
    missing = np.equal(values, None)
    validity = _bits(~missing) if missing.any() else None
    offsets = np.zeros(n + 1, dtype=np.int64)
    if n and validity is None and isinstance(values[0], str) and bool((values == values[0]).all()):
        one = values[0].encode("utf-8")  # one value in every row (the model, the accelerator)
        offsets[1:] = np.arange(1, n + 1, dtype=np.int64) * len(one)
        return pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(one * n)])
    items = values.tolist()
    try:
        encoded = [v.encode("utf-8") for v in items]  # every row a str (all but unset optional text)
    except AttributeError:
        encoded = [b"" if v is None else str(v).encode("utf-8") for v in items]
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=n), out=offsets[1:])
    return pa.Array.from_buffers(pa.large_string(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def arrow_table(columns: Mapping[str, NDArray[Any]], nullable: Mapping[str, str]) -> Any:
    """A pyarrow Table of numpy ``columns`` in their order; ``nullable``: column -> ``"int"`` /
    ``"float"`` for the optional fields."""
    import pyarrow as pa

    names = list(columns)
    return pa.Table.from_arrays([arrow_array(columns[n], nullable.get(n)) for n in names], names=names)
