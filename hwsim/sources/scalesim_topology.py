"""SCALE-Sim topology CSVs in and out of hwsim: the model source ``.csv`` and ``hwsim export`` (no SCALE-Sim needed).

Topologies are read the way SCALE-Sim 3.0.0 reads them (``topology_utils.py``):

- The first line is a header and is skipped; blank lines are skipped.
- Every row is split on commas and **the last field is dropped** (``row.split(',')[:-1]``), so rows
  must end with a comma. A row without the trailing comma loses its last value.
- Conv format: ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
  Num Filter, Strides,`` and an optional sparsity ratio ``N:M`` (hwsim models layers dense: a ratio
  N < M is listed in the graph's metadata and the CLI warns in one line, :func:`sparsity_warning`). The
  one stride applies to both axes. IFMAP Height/Width already include padding, so layers get
  ``pad = 0`` and ``h``/``w`` as given; the output size is SCALE-Sim's ``ceil((H - F + s) / s)``
  (one more than PyTorch's ``floor((H - F) / s) + 1`` when ``s`` does not divide ``H - F``; the
  extra windows read past the edge), stored in ``p`` and ``q``.
- A layer whose name contains ``DP`` is depthwise: SCALE-Sim splits it into ``Channels`` layers of
  one channel and ``Num Filter`` filters each. hwsim reads it as one grouped conv with
  ``groups = c = Channels`` and ``k = Channels * Num Filter``: per group ``gemm_k = F_h*F_w`` and
  ``gemm_n = Num Filter``, and the groups run one after another, so its compute cycles equal the
  sum of SCALE-Sim's per-channel layers.
- GEMM format (SCALE-Sim's ``-i gemm``): ``Layer name, M, N, K,`` (optional sparsity). SCALE-Sim
  turns a row into an ``M x K`` ifmap with a ``1 x K`` filter of one channel and ``N`` filters; hwsim
  reads it as a ``linear`` layer with ``n = M`` rows, ``c = K`` in features, ``k = N`` out features
  (``gemm_m, gemm_k, gemm_n = M, K, N``).

Layers are chained (each layer's input is the previous layer). Names must be unique in a
:class:`~hwsim.graph.layer_graph.LayerGraph`; a repeated SCALE-Sim name gets a ``#2``, ``#3`` ... suffix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hwsim.errors import GraphFileError, read_text
from hwsim.graph.layer_graph import Layer, LayerGraph
from hwsim.graph.limits import MAX_SIZE
from hwsim.sources.arguments import check_input_size, fixed_shape
from hwsim.sources.registry import InputSize, register

__all__ = [
    "CONV_COLUMNS",
    "GEMM_COLUMNS",
    "TOPOLOGY_FORMATS",
    "load_topology",
    "load_topology_source",
    "load_topology_text",
    "save_topology",
    "scalesim_output_size",
    "sparsity_warning",
    "SPARSITY_KEY",
    "topology_text",
]

#: Columns of SCALE-Sim's conv topology format (before the optional sparsity ratio).
CONV_COLUMNS: tuple[str, ...] = (
    "Layer name",
    "IFMAP Height",
    "IFMAP Width",
    "Filter Height",
    "Filter Width",
    "Channels",
    "Num Filter",
    "Strides",
)
#: Columns of SCALE-Sim's GEMM topology format (before the optional sparsity ratio).
GEMM_COLUMNS: tuple[str, ...] = ("Layer name", "M", "N", "K")
#: ``fmt`` values of :func:`load_topology` / :func:`save_topology`.
TOPOLOGY_FORMATS: tuple[str, ...] = ("auto", "conv", "gemm")


def scalesim_output_size(ifmap: int, filt: int, stride: int) -> int:
    """SCALE-Sim's output size along one axis: ``ceil((ifmap - filt + stride) / stride)``.

    ``ifmap`` already includes padding. Equals PyTorch's ``floor((ifmap - filt) / stride) + 1``
    when ``stride`` divides ``ifmap - filt``, else is one larger.
    """
    return -(-(ifmap - filt + stride) // stride)


# --------------------------------------------------------------------------------------------
# Topology reading


@dataclass(frozen=True)
class _Row:
    line: int  #: 1-based line number in the file
    fields: tuple[str, ...]  #: fields left after SCALE-Sim drops the last one, stripped


def _rows(text: str) -> tuple[str, list[_Row]]:
    """(header line, data rows) as SCALE-Sim iterates them: first line skipped, blank lines skipped."""
    lines = text.split("\n")
    rows = []
    for number, raw in enumerate(lines[1:], start=2):
        row = raw.strip()
        if row:
            rows.append(_Row(number, tuple(f.strip() for f in row.split(",")[:-1])))
    return (lines[0] if lines else ""), rows


def _detect_format(header: str) -> str:
    """``gemm`` when the header's second column is ``M`` (``Layer, M, N, K,``), else ``conv``."""
    columns = [c.strip().lower() for c in header.lstrip("\ufeff").split(",")]
    return "gemm" if len(columns) > 1 and columns[1] == "m" else "conv"


#: Largest topology file read, bytes (a few hundred layers take a few KiB).
MAX_TOPOLOGY_BYTES = 16 * 1024 * 1024


def _int_field(source: str, row: _Row, index: int, columns: Sequence[str], minimum: int = 1) -> int:
    """An integer column from ``minimum`` to 2^31 - 1; the digits are counted before converting."""
    name = columns[index]
    text = row.fields[index]
    where = f"{source}: line {row.line}, column {index + 1} ({name})"
    digits = text.lstrip("+-").replace("_", "")
    if len(digits) > 40:
        raise GraphFileError(f"{where} = {text[:20]!r}...: expected an integer from {minimum} to {MAX_SIZE:,}")
    try:
        value = int(text)
    except ValueError:
        raise GraphFileError(f"{where} = {text!r}: expected an integer") from None
    if value < minimum:
        raise GraphFileError(f"{where} = {value}: expected an integer >= {minimum}")
    if value > MAX_SIZE:
        raise GraphFileError(f"{where} = {value}: expected an integer from {minimum} to 2^31 - 1 = {MAX_SIZE:,}")
    return value


def _check_field_count(source: str, row: _Row, columns: Sequence[str]) -> None:
    count = len(row.fields)
    if count < len(columns):
        raise GraphFileError(
            f"{source}: line {row.line}: {count} field(s) before the last comma, expected {len(columns)} "
            f"({', '.join(columns)}) and an optional sparsity ratio N:M; rows must end with a comma "
            "(SCALE-Sim drops the field after the last comma)"
        )
    if count > len(columns) + 1:
        raise GraphFileError(
            f"{source}: line {row.line}, column {len(columns) + 2}: {count} fields before the last comma, "
            f"expected at most {len(columns) + 1} ({', '.join(columns)}, sparsity N:M)"
        )


def _sparsity(source: str, row: _Row, columns: Sequence[str]) -> tuple[int, int]:
    """The optional sparsity ratio ``N:M`` after the layer columns ((1, 1) when absent)."""
    if len(row.fields) == len(columns):
        return 1, 1
    index = len(columns)
    text = row.fields[index]
    parts = text.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        n, m = int(parts[0]), int(parts[1])
        if not 0 < n <= m:
            raise ValueError
    except ValueError:
        raise GraphFileError(
            f"{source}: line {row.line}, column {index + 1} (sparsity) = {text!r}: "
            "expected a ratio N:M of integers with 0 < N <= M"
        ) from None
    return n, m


def _conv_layer(source: str, row: _Row, name: str, previous: str) -> Layer:
    h, w, fh, fw, channels, filters, stride = (_int_field(source, row, i, CONV_COLUMNS) for i in range(1, 8))
    for size, filt, axis, index in ((h, fh, "Height", 3), (w, fw, "Width", 4)):
        if filt > size:
            raise GraphFileError(
                f"{source}: line {row.line}, column {index + 1} (Filter {axis}) = {filt}: "
                f"expected at most the IFMAP {axis} {size}"
            )
    depthwise = "DP" in name
    groups = channels if depthwise else 1
    k = channels * filters if depthwise else filters
    return Layer(
        name=name,
        op="conv",
        inputs=(previous,),
        c=channels,
        h=h,
        w=w,
        k=k,
        p=scalesim_output_size(h, fh, stride),
        q=scalesim_output_size(w, fw, stride),
        r=fh,
        s=fw,
        stride_h=stride,
        stride_w=stride,
        groups=groups,
        params=k * (channels // groups) * fh * fw,
    )


def _gemm_layer(source: str, row: _Row, name: str, previous: str) -> Layer:
    m, n, k = (_int_field(source, row, i, GEMM_COLUMNS) for i in range(1, 4))
    return Layer(name=name, op="linear", inputs=(previous,), n=m, c=k, k=n, params=n * k)


def _unique(name: str, seen: set[str]) -> str:
    candidate, index = name, 1
    while candidate in seen:
        index += 1
        candidate = f"{name}#{index}"
    seen.add(candidate)
    return candidate


def load_topology_text(text: str, source: str = "<topology>", fmt: str = "auto", name: str | None = None) -> LayerGraph:
    """Parse SCALE-Sim topology CSV text (see the module docstring); ``source`` names it in errors.

    ``fmt``: ``conv``, ``gemm`` or ``auto`` (``gemm`` when the header's second column is ``M``).
    Raises :class:`GraphFileError` naming ``source``, the line and the column of the problem.
    """
    if fmt not in TOPOLOGY_FORMATS:
        raise GraphFileError(f"{source}: unknown topology format {fmt!r}; expected one of {', '.join(TOPOLOGY_FORMATS)}")
    text = text.lstrip("\ufeff")
    header, rows = _rows(text)
    kind = _detect_format(header) if fmt == "auto" else fmt
    columns = GEMM_COLUMNS if kind == "gemm" else CONV_COLUMNS
    build = _gemm_layer if kind == "gemm" else _conv_layer
    layers: list[Layer] = []
    seen: set[str] = set()
    sparse: list[str] = []
    for row in rows:
        _check_field_count(source, row, columns)
        if not row.fields[0]:
            raise GraphFileError(f"{source}: line {row.line}, column 1 (Layer name): empty: expected a layer name")
        ratio_n, ratio_m = _sparsity(source, row, columns)
        layer_name = _unique(row.fields[0], seen)
        previous = layers[-1].name if layers else "input"
        try:
            layers.append(build(source, row, layer_name, previous))
        except ValueError as exc:  # sizes over the limits of hwsim.graph.limits
            raise GraphFileError(f"{source}: line {row.line}: {exc}") from None
        if ratio_n != ratio_m:
            sparse.append(f"{layer_name}={ratio_n}:{ratio_m}")
    if not layers:
        raise GraphFileError(f"{source}: no layers: expected a header line and at least one row ending with a comma")
    first = layers[0]
    metadata = [("source", f"SCALE-Sim {kind} topology {source}")]
    if sparse:
        metadata.append((SPARSITY_KEY, ", ".join(sparse)))
    input_shape = (first.n, first.c) if kind == "gemm" else (1, first.c, first.h, first.w)
    graph_name = name if name is not None else (Path(source).stem or "scalesim")
    try:
        return LayerGraph(name=graph_name, input_shape=input_shape, layers=tuple(layers), metadata=tuple(metadata))
    except ValueError as exc:  # the graph's size limits (names are made unique above)
        raise GraphFileError(f"{source}: {exc}") from None


#: Graph metadata key listing the layers whose sparsity ratio N:M (N < M) hwsim ignores ("name=N:M, ...").
SPARSITY_KEY = "scalesim_sparsity_ignored"


def sparsity_warning(graph: LayerGraph) -> str | None:
    """One line saying which layers carry a sparsity ratio that hwsim simulates dense (None when none do:
    no column, or 1:1). The CLI prints it on stderr; the numbers are those of the dense layers."""
    listed = dict(graph.metadata).get(SPARSITY_KEY)
    if not listed:
        return None
    items = listed.split(", ")
    shown = ", ".join(items[:3]) + (f" and {len(items) - 3} more" if len(items) > 3 else "")
    return (f"{graph.name}: sparsity ratios are not modelled, every layer is simulated dense "
            f"({len(items)} sparse layer{'s' if len(items) > 1 else ''}: {shown})")


def load_topology(path: str | Path, fmt: str = "auto") -> LayerGraph:
    """Read a SCALE-Sim topology CSV (conv or GEMM format) into a chained :class:`LayerGraph`.

    The graph is named after the file stem, as SCALE-Sim names its runs. See the module docstring
    for the column conventions. Errors raise :class:`GraphFileError` naming file, line and column.
    """
    path = Path(path)
    text = read_text(path, GraphFileError, "topology", max_bytes=MAX_TOPOLOGY_BYTES)
    return load_topology_text(text, source=str(path), fmt=fmt, name=path.stem)


def load_topology_source(source: str, input_size: InputSize = None, batch: int = 1) -> LayerGraph:
    """The model source ``.csv``: :func:`load_topology`, refusing an input size or batch the
    topology was not written for (its shapes are fixed)."""
    return fixed_shape(load_topology(source), source, check_input_size(source, input_size), batch)


register(".csv", load_topology_source)


# --------------------------------------------------------------------------------------------
# Topology writing


def _csv_name(name: str) -> str:
    """A layer name safe in SCALE-Sim's CSV (no commas, no line breaks, no surrounding spaces)."""
    return " ".join(name.replace(",", "_").split()) or "layer"


def _plain_name(name: str) -> str:
    """A name SCALE-Sim will not take for depthwise (it splits any name containing ``DP``)."""
    return _csv_name(name).replace("DP", "Dp")


def _conv_extent(size: int, pad: int, kernel: int, stride: int, out: int) -> int:
    """IFMAP size to write so SCALE-Sim's ceil rule gives ``out`` outputs.

    The padded size when that already gives ``out`` (stride divides, or the layer came from a
    SCALE-Sim file); otherwise the extent the windows cover, ``(out - 1) * stride + kernel``
    (the rows PyTorch's floor rule never reads are left out).
    """
    padded = size + 2 * pad
    if scalesim_output_size(padded, kernel, stride) == out:
        return padded
    return (out - 1) * stride + kernel


def _conv_rows(layer: Layer) -> list[str] | None:
    """Conv-format rows of one GEMM layer, or None if the format cannot express it (a matmul
    between activations or a transposed conv: the GEMM format writes them)."""
    if layer.op not in ("conv", "linear"):
        return None
    if layer.op == "linear":
        if layer.groups != 1:
            return None
        # A linear layer is a 1x1 conv on an n x 1 map: M = n rows, K = c, N = k.
        return [f"{_plain_name(layer.name)}, {layer.n}, 1, 1, 1, {layer.c}, {layer.k}, 1,"]
    if layer.n != 1 or layer.stride_h != layer.stride_w or layer.dilation_h != 1 or layer.dilation_w != 1:
        return None
    stride = layer.stride_h
    h = _conv_extent(layer.h, layer.pad_h, layer.r, stride, layer.p)
    w = _conv_extent(layer.w, layer.pad_w, layer.s, stride, layer.q)
    if h < layer.r or w < layer.s:
        return None
    per_group_c, per_group_k = layer.c // layer.groups, layer.k // layer.groups
    shape = f"{h}, {w}, {layer.r}, {layer.s}"
    if layer.groups == 1:
        return [f"{_plain_name(layer.name)}, {shape}, {layer.c}, {layer.k}, {stride},"]
    if per_group_c == 1:
        # Depthwise: SCALE-Sim's own convention, one row whose name contains DP.
        name = _csv_name(layer.name)
        name = name if "DP" in name else f"{name}_DP"
        return [f"{name}, {shape}, {layer.c}, {per_group_k}, {stride},"]
    base = _plain_name(layer.name)
    return [f"{base}_g{g}, {shape}, {per_group_c}, {per_group_k}, {stride}," for g in range(layer.groups)]


def _gemm_rows(layer: Layer) -> list[str]:
    base = _plain_name(layer.name)
    m, n, k = layer.gemm_m, layer.gemm_n, layer.gemm_k
    if layer.groups == 1:
        return [f"{base}, {m}, {n}, {k},"]
    return [f"{base}_g{g}, {m}, {n}, {k}," for g in range(layer.groups)]


def topology_text(graph: LayerGraph, fmt: str = "conv") -> tuple[str, tuple[str, ...]]:
    """(SCALE-Sim topology CSV text, names of the layers left out) for ``graph``; see :func:`save_topology`."""
    if fmt not in ("conv", "gemm"):
        raise GraphFileError(f"{graph.name}: unknown topology format {fmt!r}; expected conv or gemm")
    columns = CONV_COLUMNS if fmt == "conv" else GEMM_COLUMNS
    lines = [", ".join(columns) + ","]
    skipped: list[str] = []
    for layer in graph.layers:
        rows = None if not layer.is_gemm else (_conv_rows(layer) if fmt == "conv" else _gemm_rows(layer))
        if rows is None:
            skipped.append(layer.name)
        else:
            lines.extend(rows)
    return "\n".join(lines) + "\n", tuple(skipped)


def save_topology(graph: LayerGraph, path: str | Path, fmt: str = "conv") -> tuple[str, ...]:
    """Write the conv and linear layers of ``graph`` as a SCALE-Sim topology CSV; return the names left out.

    Every row, header included, ends with a comma (SCALE-Sim drops the last field).

    ``fmt="conv"``:

    - conv: IFMAP Height/Width include the padding. When the stride does not divide
      ``H + 2*pad - R``, the rows PyTorch's floor rule never reads are left out
      (``(P - 1) * stride + R``), so SCALE-Sim's ceil rule gives the same P x Q as hwsim.
    - grouped conv: a depthwise conv (one input channel per group) is one row whose name contains
      ``DP`` (SCALE-Sim's convention; ``_DP`` is appended when needed), with Channels = C and
      Num Filter = K/groups; other grouped convs are one row per group (``name_g0``, ``name_g1``, ...).
      SCALE-Sim treats any name containing ``DP`` as depthwise, so in other rows ``DP`` is
      written ``Dp``.
    - linear: a 1x1 conv on an ``N x 1`` map (N = batch rows), so M = N, K = in, N = out features.
    - left out (returned): non-GEMM layers, matmuls and transposed convs, and convs the format
      cannot express (batch > 1, different strides per axis, dilation > 1). ``fmt="gemm"``
      writes every GEMM layer.

    ``fmt="gemm"``: one ``name, M, N, K,`` row per GEMM layer (per group for grouped convs).

    Raises :class:`GraphFileError` if the file cannot be written.
    """
    text, skipped = topology_text(graph, fmt)
    path = Path(path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot write topology ({exc.strerror or exc})") from None
    return skipped
