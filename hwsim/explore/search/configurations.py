"""The accelerator configurations a search runs on: the base accelerator with every combination
of ``--set`` values (the sweep's grid, :class:`hwsim.explore.sweep.grid.Grid`).

:class:`Configurations` numbers them 0..size-1 (the last field fastest; a search without
``--set`` has one: the base), gives each one's swept values, area (docs/MODEL.md §10), clock
and PEs, and evaluates the template units of a family on all of them with the vectorised cost
core (:func:`unit_totals`: one ``(configs, layers)`` evaluation per block of configurations, run
here, in local processes or on a Dask cluster through the sweep's backends). Never imports torch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hwsim.cost.arrays import HardwareArrays, LayerArrays
from hwsim.cost.evaluate import evaluate
from hwsim.cost.totals import Totals
from hwsim.errors import ConfigError
from hwsim.explore.sweep.backends import run_dask, run_processes, run_serial
from hwsim.explore.sweep.grid import Grid, field_kind
from hwsim.hardware.spec import Accelerator

__all__ = ["BLOCK_ELEMENTS", "TOTAL_FIELDS", "Configurations", "UnitTask", "run_unit_task", "span_totals", "unit_totals",
           "value_text"]

#: Configurations x layers evaluated in one call of the cost core (cache-sized, as the sweep's).
BLOCK_ELEMENTS = 16384
#: Configurations per task sent to local processes or a Dask cluster.
TASK_CONFIGS = 2048
#: Seconds to wait for a Dask scheduler to answer.
SCHEDULER_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Configurations:
    """The base accelerator and the swept values of every configuration (``grid``), with each
    configuration's ``area_mm2`` (mm²), ``clock_mhz`` (MHz) and ``pes`` (rows x cols)."""

    grid: Grid
    area_mm2: NDArray[np.float64] = field(repr=False)
    clock_mhz: NDArray[np.float64] = field(repr=False)
    pes: NDArray[np.int64] = field(repr=False)
    has_global_buffer: bool = False  #: some configuration has a global buffer (docs/MODEL.md §9)

    @classmethod
    def build(cls, base: Accelerator, sets: Mapping[str, Sequence[Any]] | None = None) -> Configurations:
        """Every combination of the ``sets`` values (field path -> values, as ``--set`` gives
        them) over ``base``; each value is validated once (the sweep's :meth:`Grid.build`)."""
        grid = Grid.build(base, dict(sets or {}))
        areas, clocks, pes, held = [], [], [], False
        for ordinals in _blocks(grid.size, 65536):
            hw = grid.hardware(ordinals)
            areas.append(hw.area().total_mm2)
            clocks.append(hw.clock_mhz[:, 0])
            pes.append(hw.pes[:, 0])
            held = held or hw.has_global_buffer
        return cls(grid, np.concatenate(areas), np.concatenate(clocks), np.concatenate(pes), held)

    # ------------------------------------------------------------------ reading
    @property
    def base(self) -> Accelerator:
        return self.grid.base

    @property
    def size(self) -> int:
        """Number of configurations (1 without ``--set``: the base)."""
        return self.grid.size

    @property
    def paths(self) -> tuple[str, ...]:
        """The swept fields (dotted paths), in the order they were given."""
        return self.grid.paths

    def values(self, config: int) -> tuple[Any, ...]:
        """The swept values of configuration ``config``, one per path."""
        index = self.grid.axis_indices(np.array([config], dtype=np.int64))
        return tuple(axis.values[int(i[0])] for axis, i in zip(self.grid.axes, index))

    def ordinal(self, values: Sequence[Any]) -> int | None:
        """The configuration with these swept values (one per path), None when there is none."""
        index = []
        for axis, value in zip(self.grid.axes, values):
            matches = [i for i, v in enumerate(axis.values) if v == value and type(v) is type(value)]
            if not matches:
                return None
            index.append(matches[0])
        return int(np.ravel_multi_index(index, self.grid.shape)) if index else 0

    def parse(self, cells: Sequence[str]) -> int | None:
        """The configuration written as CSV ``cells`` (one per path), None when it is not one of
        these (ValueError: a cell that is not a value of its field's type)."""
        return self.ordinal([_typed(field_kind(p), c) for p, c in zip(self.paths, cells)])

    def labels(self) -> tuple[str, ...]:
        """Short column names of the paths: the last part (``array.rows`` -> ``rows``) unless two
        paths share it."""
        last = [p.rsplit(".", 1)[-1] for p in self.paths]
        return tuple(short if last.count(short) == 1 else path for short, path in zip(last, self.paths))

    def describe(self, config: int) -> str:
        """``rows 16, cols 32, ifmap_kib 64`` ("" without swept fields)."""
        return ", ".join(f"{label} {value_text(v)}" for label, v in zip(self.labels(), self.values(config)))

    def describe_space(self) -> str:
        """``array.rows 8/16/32, array.cols 8/16/32`` ("" without swept fields)."""
        return ", ".join(f"{a.path} {'/'.join(value_text(v) for v in a.values)}" for a in self.grid.axes)

    def accelerator(self, config: int) -> Accelerator:
        """Configuration ``config`` as a validated accelerator (for checks; the search never needs one)."""
        return self.grid.accelerator(config)

    def hardware(self, ordinals: NDArray[np.int64]) -> HardwareArrays:
        return self.grid.hardware(ordinals)


def _blocks(size: int, block: int) -> Iterator[NDArray[np.int64]]:
    for start in range(0, size, block):
        yield np.arange(start, min(start + block, size), dtype=np.int64)


def value_text(value: Any) -> str:
    """A swept value as written in tables and the CSV (``None`` -> ``null``, 64.0 -> 64)."""
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def _typed(kind: str, text: str) -> Any:
    """A CSV cell as a value of a field of ``kind`` (ValueError when it is not one)."""
    if kind.startswith("optional_") and text == "null":
        return None
    if kind in ("int", "optional_int"):
        return int(text)
    if kind in ("float", "optional_float"):
        return float(text)
    if kind == "bool":
        return {"true": True, "false": False}[text]
    return text


# --------------------------------------------------------------------------- template units on every configuration
#: The per-layer metrics a network's totals sum (the fields of :class:`~hwsim.cost.totals.Totals`).
TOTAL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Totals))


def span_totals(layers: LayerArrays, spans: Sequence[tuple[int, int]], hw: HardwareArrays) -> Totals:
    """The totals of each span ``(start, stop)`` of ``layers`` on each configuration of ``hw``:
    fields ``(configs, spans)``, MACs and parameters ``(spans,)`` (they do not depend on the hardware)."""
    metrics = {**evaluate(layers, hw), "macs": layers.macs, "params": layers.params}
    return Totals.stack([Totals.from_layers({name: np.asarray(metrics[name])[..., a:b] for name in TOTAL_FIELDS})
                         for a, b in spans])


@dataclass(frozen=True)
class UnitTask:
    """Evaluate the units of one reference graph (its ``layers``, ``spans`` of each unit) on the
    configurations ``ordinals`` of ``grid``; picklable (local processes, Dask)."""

    layers: LayerArrays
    spans: tuple[tuple[int, int], ...]
    grid: Grid
    ordinals: NDArray[np.int64]


def run_unit_task(task: UnitTask) -> Totals:
    """The units' totals on the task's configurations: fields ``(configs, units)`` (MACs and
    parameters ``(units,)``), the cost core run on blocks of about :data:`BLOCK_ELEMENTS`."""
    block = max(1, BLOCK_ELEMENTS // max(len(task.layers), 1))
    parts = [span_totals(task.layers, task.spans, task.grid.hardware(ordinals))
             for ordinals in np.array_split(task.ordinals, max(1, -(-len(task.ordinals) // block)))]
    return _concatenate(parts)


def _concatenate(parts: Sequence[Totals]) -> Totals:
    """Totals of consecutive blocks of configurations as one (config-independent fields kept once)."""
    def joined(name: str) -> Any:
        value = getattr(parts[0], name)
        return value if np.ndim(value) < 2 else np.concatenate([getattr(p, name) for p in parts])

    return Totals(**{name: joined(name) for name in TOTAL_FIELDS})


def unit_totals(layers: LayerArrays, spans: tuple[tuple[int, int], ...], configurations: Configurations,
                workers: int = 1, scheduler: Any = None) -> Totals:
    """The totals of every unit (``spans`` of ``layers``) on every configuration: fields
    ``(configs, units)`` (MACs and parameters ``(units,)``). ``workers`` local processes or a Dask
    ``scheduler`` (address or Client) take blocks of :data:`TASK_CONFIGS` configurations."""
    if workers < 1:
        raise ConfigError(f"--workers {workers}: expected an integer >= 1")
    grid = configurations.grid
    tasks = [UnitTask(layers, spans, grid, ordinals) for ordinals in _blocks(grid.size, TASK_CONFIGS)]
    if scheduler is not None:
        done = run_dask(tasks, scheduler, run_unit_task, SCHEDULER_TIMEOUT_S)
    elif workers > 1 and len(tasks) > 1:
        done = run_processes(tasks, workers, run_unit_task)
    else:
        done = run_serial(tasks, run_unit_task)
    return _concatenate([totals for _, totals in done])
