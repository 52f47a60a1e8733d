"""Design-space sweeps: the cartesian product of values over accelerator fields, for every model.

``sweep(models, base, {"array.rows": [8, 16], "dataflow": ["ws", "best"]})`` returns one row per
(model, configuration). A configuration is the base accelerator with one value per swept field
(dotted paths of :meth:`hwsim.hardware.load.Accelerator.field_paths`).

How it runs:

- every swept value is validated **once** (``base.with_overrides({path: value})``); the
  configurations themselves are never built as pydantic objects: :meth:`Grid.hardware` builds
  the ``(configs, 1)`` columns of :class:`hwsim.cost.arrays.HardwareArrays` straight from the per-axis
  value tables;
- layers with identical shapes are evaluated once (:class:`ModelArrays`; every layer on its own
  when a configuration has a global buffer, docs/MODEL.md §9) and
  :func:`hwsim.cost.evaluate.evaluate` runs over blocks of ``configs x unique layers`` small enough to
  stay in cache — no Python loop per configuration; a block holds configurations of one
  ``dataflow`` value, so a ``ws`` block maps its layers with ``ws`` only; blocks of configurations
  that differ only in their dataflow follow one another and share what they have in common
  (:func:`~hwsim.explore.sweep.chunks.sibling_blocks`), so a ``best`` block reuses the mappings
  of its ``ws``, ``os`` and ``is`` siblings instead of mapping every layer again;
- configurations are grouped into chunks (``chunk_size`` configurations of one model); each
  finished chunk is appended to the output at once, so an interrupted sweep loses at most the
  chunk in flight (the chunks in flight with ``workers``/``scheduler``: up to two per worker
  thread), and ``resume=True`` skips every (model, config_id) already in the output (an output
  holding rows of other models, another base accelerator or other values is refused);
- configurations are planned lazily, their ids computed block by block, and a sweep over more
  than :data:`MAX_SWEEP_ROWS` configurations x models is refused before anything is built;
- ``fastest=N`` returns each model's N fastest rows, ranked per chunk (:mod:`~.fastest`);
- chunks run in this process (default), in ``workers`` local processes, or on a Dask cluster
  (``scheduler``); results are written in chunk order, so the output is the same either way.

Output formats and the columns of a row: :mod:`hwsim.explore.sweep.output`.

``HWSIM_SWEEP_CHUNK_DELAY_S`` (tests) pauses the writer that many seconds after each chunk.

The code: :mod:`hwsim.explore.sweep.grid` (fields, ``--set`` parsing, :class:`Grid`, config ids),
:mod:`hwsim.explore.sweep.chunks` (:class:`ModelArrays`, chunk tasks, summary and per-layer rows),
:mod:`hwsim.explore.sweep.output` (CSV/Parquet sinks, :func:`read_sweep`, resume) and
:mod:`hwsim.explore.sweep.backends` (this process, local processes, Dask); this module runs them
(:func:`sweep`, :func:`run_chunk`) and re-exports their public names.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hwsim.hardware.load import Accelerator, load_accelerator
from hwsim.errors import ConfigError
from hwsim.graph.layer_graph import LayerGraph
from hwsim.cost.evaluate import evaluate
from hwsim.explore.sweep.backends import run_dask, run_processes, run_serial
from hwsim.explore.sweep.chunks import (
    LAYER_COLUMNS,
    LAYER_SOURCES,
    ChunkResult,
    ChunkTask,
    ModelArrays,
    sibling_blocks,
    layer_rows,
    summarise,
    summary_columns,
)
from hwsim.explore.sweep.fastest import Fastest
from hwsim.explore.sweep.progress import Progress
from hwsim.explore.sweep.rows import SweepRows, concat
from hwsim.explore.sweep.grid import MAX_SWEEP_ROWS, Axis, Grid, check_sweep_size, field_kind, parse_set, parse_sets, sweepable_paths
from hwsim.explore.sweep.resume import blocks, check_resumable, finished_ids, grid_order
from hwsim.output_lock import locked_outputs
from hwsim.explore.sweep.output import KEY, LAYER_DTYPES, open_sink, part_name, prepare_output, read_sweep, resumable_rows, summary_dtypes

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LAYER_COLUMNS",
    "MAX_SWEEP_ROWS",
    "Axis",
    "Grid",
    "ModelArrays",
    "check_sweep_size",
    "field_kind",
    "parse_set",
    "parse_sets",
    "read_sweep",
    "summary_columns",
    "sweep",
    "sweep_rows",
    "sweepable_paths",
]

#: Configurations x unique layers evaluated in one call of :func:`hwsim.cost.evaluate.evaluate` (cache-sized).
BLOCK_ELEMENTS = 16384
#: Default configurations per written chunk: large enough that writing a chunk (a frame, a Parquet
#: file, an fsync) costs little beside evaluating it, small enough to hold in memory (a few MB)
#: and to lose little to a kill (a fraction of a second of work).
DEFAULT_CHUNK_CONFIGS = 16384
#: With per-layer output, a chunk holds at most this many configurations x layers.
PER_LAYER_CHUNK_ELEMENTS = 1_000_000
DELAY_ENV = "HWSIM_SWEEP_CHUNK_DELAY_S"
#: Seconds to wait for a Dask scheduler to answer.
SCHEDULER_TIMEOUT_S = 20.0


# --------------------------------------------------------------------------------------------
# Evaluating one chunk


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Evaluate one chunk, vectorised over configurations x distinct layers in cache-sized blocks
    of one dataflow value each; blocks of configurations that differ only in their dataflow
    share their mappings (:func:`sibling_blocks`); rows come out in the chunk's order."""
    model, grid = task.model, task.grid
    block = max(1, BLOCK_ELEMENTS // len(model.unique))
    parts: list[dict[str, Any]] = []
    outs: list[dict[str, NDArray[Any]]] = []
    done: list[NDArray[np.int64]] = []  # positions in the chunk, in the order they were evaluated
    for siblings in sibling_blocks(grid, task.ordinals, block):
        shared: dict[str, Any] = {}  # what the siblings' evaluations have in common
        for at in siblings:
            hw = grid.hardware(task.ordinals[at])
            out = evaluate(model.unique, hw, shared)
            parts.append(summarise(model, hw, out, grid.has_global_buffer))
            if task.per_layer:
                outs.append({key: out[key] for key in LAYER_SOURCES})
            done.append(at)
    back = np.argsort(np.concatenate(done))  # evaluation order -> chunk order

    def joined(pieces: list[dict[str, NDArray[Any]]], key: str) -> NDArray[Any]:
        return np.concatenate([p[key] for p in pieces])[back]

    summary = {
        "model": np.full(len(task.ordinals), model.name, dtype=object),
        "config_id": task.config_ids,
        **grid.value_columns(task.ordinals),
        "accelerator": np.full(len(task.ordinals), grid.base.name, dtype=object),
        **{key: joined(parts, key) for key in parts[0]},
    }
    layers = layer_rows(model, task.config_ids, {key: joined(outs, key) for key in LAYER_SOURCES}) if task.per_layer else None
    return ChunkResult(summary=summary, layers=layers)


# --------------------------------------------------------------------------------------------
# The sweep


def _model_items(models: Any) -> list[Any]:
    items = [models] if isinstance(models, (str, LayerGraph, os.PathLike)) else list(models)
    if not items:
        raise ConfigError("sweep: expected at least one model")
    return items


def _load_models(items: Sequence[Any], input_size: tuple[int, int] | None, batch: int) -> list[LayerGraph]:
    graphs = []
    for item in items:
        if isinstance(item, LayerGraph):
            graphs.append(item)
        else:
            from hwsim.sources import load_graph

            graphs.append(load_graph(str(item), input_size=input_size, batch=batch))
    names = [g.name for g in graphs]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise ConfigError(f"sweep: model {dup!r} given twice")
    return graphs


def _load_base(base: Accelerator | str | os.PathLike[str]) -> Accelerator:
    """The base accelerator; a host-model file (``kind: host``) is refused with a clear message."""
    if isinstance(base, Accelerator):
        return base
    from hwsim.host.schema import is_host_model_file

    if is_host_model_file(base):
        raise ConfigError(f"{base}: is a host model (kind: host, from `hwsim calibrate`); a sweep needs an accelerator "
                          "(a shipped name, an accelerator YAML file or a SCALE-Sim .cfg)")  # fmt: skip
    return load_accelerator(base)


def _known_lengths(grid: Mapping[str, Any]) -> list[int]:
    """Value counts of the grid's fields that have a length (checked before anything is built)."""
    return [len(v) for v in grid.values() if hasattr(v, "__len__") and not isinstance(v, (str, bytes))]


def sweep(models: str | LayerGraph | Sequence[str | LayerGraph], base: Accelerator | str, grid: Mapping[str, Sequence[Any]],
          **options: Any) -> pd.DataFrame:
    """Sweep every model over the cartesian product ``grid`` of accelerator field values.

    Args:
        models: zoo names, graph files (anything :func:`hwsim.sources.load_graph` takes) or LayerGraphs.
        base: the accelerator (or its name/file) whose fields the grid overrides.
        grid: dotted field path -> values (``{"array.rows": [8, 16], "dataflow": ["ws", "best"]}``).
        options (keywords, as :func:`sweep_rows` takes them):
            output: ``.csv`` file or ``.parquet`` dataset directory written chunk by chunk (optional).
            per_layer: where to write one row per (model, configuration, layer) (needs ``output``).
            resume: keep what ``output`` already holds and compute only the missing rows; every
                row it holds must be one of this sweep's (model, configuration) pairs on ``base``.
            chunk_size: configurations per chunk (default :data:`DEFAULT_CHUNK_CONFIGS`, fewer with
                ``per_layer``).
            workers: local processes (1: run here).
            scheduler: a Dask scheduler address or ``dask.distributed.Client`` to run the chunks on.
            progress: show a progress bar on stderr.
            input_size, batch: for models loaded by name or file.
            fastest: return only each model's ``fastest`` rows of least ``latency_ms`` (ties: the
                earlier row; ``DataFrame.nsmallest`` with ``keep="first"`` picks the same), ranked
                while the sweep runs, so an output file is not read back (None: every row).

    Returns:
        One row per (model, configuration), models in the given order, configurations in grid
        order (last field fastest); columns ``model``, ``config_id``, the swept fields,
        :func:`summary_columns`. ``frame.attrs["kept"]``: rows kept from an earlier run
        (``resume``); ``frame.attrs["computed"]``: rows computed by this call;
        ``frame.attrs["rows"]``: rows of the whole sweep (more than the frame's with ``fastest``).

    Raises:
        ConfigError: bad grid or arguments, more than :data:`MAX_SWEEP_ROWS` rows, a host-model
            file as ``base``, or an output that cannot be resumed.
    """
    return sweep_rows(models, base, grid, **options).frame()


def sweep_rows(
    models: str | LayerGraph | Sequence[str | LayerGraph],
    base: Accelerator | str,
    grid: Mapping[str, Sequence[Any]],
    *,
    output: str | os.PathLike[str] | None = None,
    per_layer: str | os.PathLike[str] | None = None,
    resume: bool = False,
    chunk_size: int | None = None,
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
    input_size: tuple[int, int] | None = None,
    batch: int = 1,
    fastest: int | None = None,
) -> SweepRows:
    """:func:`sweep`, its rows as numpy columns (:class:`~hwsim.explore.sweep.rows.SweepRows`):
    a sweep that writes Parquet and ranks the fastest rows (``hwsim sweep``) never imports pandas.

    Arguments, checks and errors as :func:`sweep`.
    """
    if workers < 1:
        raise ConfigError(f"--workers {workers}: expected an integer >= 1")
    if chunk_size is not None and chunk_size < 1:
        raise ConfigError(f"--chunk-size {chunk_size}: expected an integer >= 1")
    if per_layer is not None and output is None:
        raise ConfigError("--per-layer needs an output file (-o) for the summary rows")
    if resume and output is None:
        raise ConfigError("--resume needs an output file (-o) to resume from")
    if fastest is not None and fastest < 1:
        raise ConfigError(f"--top {fastest}: expected an integer >= 1")
    items = _model_items(models)
    check_sweep_size(_known_lengths(grid), len(items))  # before any value or id is built
    accel = _load_base(base)
    the_grid = Grid.build(accel, grid)
    check_sweep_size(the_grid.shape, len(items))
    every_layer = the_grid.has_global_buffer  # identical layers at different places hold different tensors
    model_arrays = [ModelArrays.from_graph(g, every_layer) for g in _load_models(items, input_size, batch)]
    columns = [*KEY, *the_grid.paths, *summary_columns(the_grid.has_global_buffer)]
    with locked_outputs(output, per_layer):  # a second writer of either file fails here, in one line
        return _write(model_arrays, the_grid, columns, output, per_layer, resume, chunk_size, workers, scheduler, progress,
                      fastest)


def _write(
    model_arrays: list[ModelArrays],
    the_grid: Grid,
    columns: list[str],
    output: str | os.PathLike[str] | None,
    per_layer: str | os.PathLike[str] | None,
    resume: bool,
    chunk_size: int | None,
    workers: int,
    scheduler: Any,
    progress: bool,
    fastest: int | None = None,
) -> SweepRows:
    """The body of :func:`sweep` once its inputs are checked: resume or reset the outputs (held
    locked by the caller), run the chunks and write them, return the rows."""
    sink = open_sink(output, summary_dtypes(the_grid.paths)) if output is not None else None
    layer_sink = open_sink(per_layer, LAYER_DTYPES) if per_layer is not None else None
    done = None
    if sink is not None and resume and sink.exists():
        done = resumable_rows(sink, columns)
        if done is not None:
            check_resumable(done, model_arrays, the_grid, str(output))
    if sink is not None:
        prepare_output(sink, layer_sink, done)
    finished = {m.name: finished_ids(done, m.name) for m in model_arrays}
    kept = sum(len(ids) for ids in finished.values() if ids is not None)
    sizes = [_chunk_configs(m, chunk_size, per_layer is not None) for m in model_arrays]
    todo = [the_grid.size - len(finished[m.name] if finished[m.name] is not None else ()) for m in model_arrays]
    chunks = sum(-(-n // size) for n, size in zip(todo, sizes))

    tasks = _plan(model_arrays, the_grid, finished, sizes, per_layer is not None)
    if scheduler is not None:
        results = run_dask(tasks, scheduler, run_chunk, SCHEDULER_TIMEOUT_S)
    elif workers > 1 and chunks > 1:
        results = run_processes(tasks, workers, run_chunk)
    else:
        results = run_serial(tasks, run_chunk)

    delay = float(os.environ.get(DELAY_ENV, "0") or 0)
    bar = Progress(sum(todo), progress)
    parts: list[dict[str, Any]] = []  # without an output: every chunk's rows
    ranked = Fastest(fastest) if fastest is not None and not kept else None  # else ranked once read back
    try:
        for task, result in results:
            if ranked is not None:
                ranked.add(result.summary)
            if sink is None and ranked is None:
                parts.append(result.summary)
            elif sink is not None:
                part = part_name(task, str(result.summary["config_id"][0]))
                if layer_sink is not None and result.layers is not None:
                    layer_sink.write(result.layers, part)
                sink.write(result.summary, part)
            bar.advance(len(task.ordinals))
            if delay > 0:
                time.sleep(delay)
    finally:
        bar.close()
    counts = {"kept": kept, "computed": sum(todo), "total": kept + sum(todo)}
    dtypes = summary_dtypes(the_grid.paths)
    if ranked is not None:
        return SweepRows(tuple(columns), ranked.columns(columns), dtypes, **counts)
    if sink is None:
        data = concat(parts, columns) if parts else {c: np.array([], dtype=object) for c in columns}
        return SweepRows(tuple(columns), data, dtypes, **counts)
    frame = sink.read()
    if kept:  # rows of an earlier run come first in the file: put everything in grid order
        frame = frame.drop_duplicates(KEY, keep="last")
        order = grid_order(frame, model_arrays, the_grid)
        keep = order >= 0
        frame = frame[keep].iloc[np.argsort(order[keep], kind="stable")]
    frame = frame.reset_index(drop=True)[columns]
    if fastest is not None:
        ranked = Fastest(fastest)
        ranked.add(frame)
        frame = ranked.frame(columns, dtypes)
    return SweepRows(tuple(columns), frame, dtypes, **counts)


def _chunk_configs(model: ModelArrays, chunk_size: int | None, per_layer: bool) -> int:
    """Configurations per chunk of ``model``."""
    size = chunk_size or DEFAULT_CHUNK_CONFIGS
    if per_layer and chunk_size is None:
        size = max(1, min(size, PER_LAYER_CHUNK_ELEMENTS // len(model)))
    return size


def _plan(
    models: Sequence[ModelArrays], grid: Grid, finished: Mapping[str, pd.Index | None], sizes: Sequence[int], per_layer: bool
) -> Iterator[ChunkTask]:
    """Chunks of the configurations not yet done, model by model, in grid order.

    Lazy: config ids are computed block by block, so memory does not grow with the grid.
    """
    for index, (model, size) in enumerate(zip(models, sizes)):
        done = finished[model.name]
        held_ordinals: list[NDArray[np.int64]] = []  # configurations waiting for a full chunk
        held_ids: list[NDArray[np.object_]] = []
        held = 0
        for ordinals in blocks(grid.size):
            ids = grid.config_ids(ordinals)
            if done is not None:
                todo = done.get_indexer(ids) < 0
                ordinals, ids = ordinals[todo], ids[todo]
            held_ordinals.append(ordinals)
            held_ids.append(ids)
            held += len(ordinals)
            if held < size:
                continue
            all_ordinals, all_ids = np.concatenate(held_ordinals), np.concatenate(held_ids)
            cut = held - held % size
            for start in range(0, cut, size):
                yield ChunkTask(model, index, grid, all_ordinals[start : start + size], all_ids[start : start + size], per_layer)
            held_ordinals, held_ids, held = [all_ordinals[cut:]], [all_ids[cut:]], held - cut
        if held:
            yield ChunkTask(model, index, grid, np.concatenate(held_ordinals), np.concatenate(held_ids), per_layer)
