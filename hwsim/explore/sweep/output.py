"""Where a sweep's rows go: CSV appended chunk by chunk, or a Parquet dataset of one file per chunk.

The sinks (:class:`_CsvSink`, :class:`_ParquetSink`, opened by :func:`open_sink` from the file
name), the column dtypes used to read them back (:func:`summary_dtypes`, :data:`LAYER_DTYPES`),
:func:`read_sweep`, and the resume logic (:func:`resumable_rows`: check an earlier output and
return the rows it holds; :func:`prepare_output`: start afresh, or trim the per-layer output to
the summary rows kept). Unreadable files (binary, corrupt Parquet) are one-line ConfigErrors.

Output formats (by the file name): ``*.csv`` is appended to, header written once (a row cut by a
kill is dropped on resume); ``*.parquet`` (or an existing directory) is a dataset directory
with one ``part-*.parquet`` file per chunk, each written to a hidden temporary name and renamed
into place, so a kill never leaves a broken part.

Columns of a summary row (units in the names): ``model``, ``config_id`` (16 hex digits, a hash
of every functional field of the configuration, so the same accelerator always gets the same
id), one column per swept field named by its dotted path, then :func:`summary_columns` (which
has a ``layers_<dataflow>`` count per registered dataflow).
``--per-layer`` rows carry :data:`LAYER_COLUMNS`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hwsim.errors import ConfigError, HwsimError
from hwsim.cost.metrics import select
from hwsim.explore.sweep.chunks import LAYER_COLUMNS, LAYER_METRICS, ChunkTask
from hwsim.explore.sweep.grid import field_kind, sweepable_paths
from hwsim.explore.sweep.arrow_columns import arrow_table
from hwsim.explore.sweep.rows import NULLABLE, frame_of

if TYPE_CHECKING:
    import pandas as pd


KEY = ["model", "config_id"]


def _kind_of_output(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq") or path.is_dir():
        return "parquet"
    raise ConfigError(f"{path}: unsupported sweep output: expected a .csv file or a .parquet dataset directory")


def part_name(task: ChunkTask, first_id: str) -> str:
    """``part-<model index>-<first ordinal>-<first config id>.parquet``: sorts in sweep order, never collides."""
    return f"part-{task.model_index:04d}-{int(task.ordinals[0]):010d}-{first_id}.parquet"


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line (pyarrow's may span several), without pyarrow's
    repetition of the file name."""
    text = re.sub(r"^Could not open Parquet input source '[^']*': ", "", " ".join(str(exc).split()))
    return text or type(exc).__name__


def _unreadable(path: Path, exc: BaseException) -> ConfigError:
    if isinstance(exc, UnicodeDecodeError):
        return ConfigError(f"{path}: not a sweep output: not UTF-8 text (byte {exc.start})")
    if isinstance(exc, OSError):
        return ConfigError(f"{path}: cannot read: {exc.strerror or _one_line(exc)}")
    return ConfigError(f"{path}: not a readable sweep output: {_one_line(exc)}")


class _CsvSink:
    """A CSV file appended to chunk by chunk; the header is written once."""

    def __init__(self, path: Path, dtypes: Mapping[str, Any]) -> None:
        self.path = path
        self.dtypes = dict(dtypes)

    def reset(self) -> None:
        self._write_bytes(b"", "w")

    def exists(self) -> bool:
        return self.path.is_file() and self.path.stat().st_size > 0

    def repair(self) -> None:
        """Cut a row left half-written by a kill (everything after the last newline)."""
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end != len(data):
            with self.path.open("r+b") as f:
                f.truncate(end)

    def head(self, size: int) -> bytes:
        """The first ``size`` bytes of the file."""
        try:
            with self.path.open("rb") as f:
                return f.read(size)
        except OSError as exc:
            raise _unreadable(self.path, exc) from None

    def columns(self) -> list[str] | None:
        """The header's column names; None when the file has no complete first line."""
        try:
            with self.path.open(encoding="utf-8") as f:
                header = f.readline()
        except (OSError, ValueError) as exc:
            raise _unreadable(self.path, exc) from None
        return header.rstrip("\n").split(",") if header.endswith("\n") else None

    def read(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        import pandas as pd

        if not self.exists():
            return pd.DataFrame(columns=list(columns or KEY))
        dtypes = {k: v for k, v in self.dtypes.items() if columns is None or k in columns}
        try:
            return pd.read_csv(self.path, usecols=columns, dtype=dtypes, keep_default_na=False, na_values=[""])
        except (OSError, ValueError) as exc:  # ValueError: parser, dtype and UTF-8 errors
            raise _unreadable(self.path, exc) from None

    def write(self, columns: Mapping[str, Any], part: str) -> None:
        """Append rows (numpy columns, in order) to the file; the header first into an empty file."""
        header = not self.exists()
        frame = frame_of(columns, list(columns), self.dtypes)
        self._write_bytes(frame.to_csv(index=False, header=header).encode("utf-8"), "a")

    def keep_only(self, keys: pd.DataFrame) -> None:
        """Drop rows whose (model, config_id) is not in ``keys`` (rewrites the file atomically)."""
        if not self.exists():
            return
        frame = self.read()
        kept = frame.merge(keys, on=KEY, how="inner")
        if len(kept) != len(frame):
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            tmp.write_bytes(frame.iloc[:0].to_csv(index=False).encode() + kept.to_csv(index=False, header=False).encode())
            os.replace(tmp, self.path)

    def _write_bytes(self, data: bytes, mode: str) -> None:
        try:
            with self.path.open(mode + "b") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise HwsimError(f"cannot write {self.path}: {exc.strerror or exc}") from None


def _read_part(part: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One Parquet part; a corrupt or foreign file is a one-line ConfigError naming it."""
    import pandas as pd
    import pyarrow as pa

    try:
        return pd.read_parquet(part, columns=None if columns is None else list(columns))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ConfigError(f"{part}: not a readable Parquet file: {_one_line(exc)}") from None


#: File a sweep writes into each Parquet dataset folder it creates: only such folders are emptied
#: by a fresh run (a hidden name, which Parquet readers skip).
MARKER = ".hwsim-sweep"
MARKER_TEXT = "a Parquet dataset written by `hwsim sweep`; a fresh sweep to this folder replaces its part-*.parquet files\n"


class _ParquetSink:
    """A directory of ``part-*.parquet`` files, one per chunk, each renamed into place when complete."""

    def __init__(self, path: Path, dtypes: Mapping[str, Any] | None = None) -> None:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ConfigError(f"{path}: Parquet output needs pyarrow (pip install 'hwsim[sweep]'), or use a .csv output") from None
        self.path = path
        self.dtypes = dict(dtypes or {})

    def parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet")) if self.path.is_dir() else []

    def reset(self) -> None:
        """Start the dataset afresh: create the folder (with its :data:`MARKER`), or empty the
        parts of a folder a sweep created. A file, or a folder that holds anything and has no
        marker, was not made by a sweep: it is refused untouched, never emptied."""
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"{self.path}: is a file, not a Parquet dataset folder of `hwsim sweep`; expected a new "
                              "name (or remove it)")
        marker = self.path / MARKER
        if self.path.is_dir() and not marker.is_file() and any(self.path.iterdir()):
            raise ConfigError(f"{self.path}: is a folder that `hwsim sweep` did not create (no {MARKER} in it) and it "
                              "is not empty; expected a new or empty folder (nothing in it was changed)")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            marker.write_text(MARKER_TEXT)
            for old in [*self.parts(), *self.path.glob(".part-*.tmp")]:
                old.unlink()
        except OSError as exc:
            raise HwsimError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def exists(self) -> bool:
        return bool(self.parts())

    def repair(self) -> None:
        for tmp in self.path.glob(".part-*.tmp"):
            tmp.unlink()

    def columns(self) -> list[str] | None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.exists():
            return None
        first = self.parts()[0]
        try:
            return list(pq.read_schema(first).names)
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise ConfigError(f"{first}: not a readable Parquet file: {_one_line(exc)}") from None

    def read(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The rows of every part (the ``columns`` given, else all); a column whose dtype is
        ``Int64`` / ``Float64`` gets that nullable dtype back (pyarrow reads a nullable integer
        column as floats)."""
        import pandas as pd

        parts = self.parts()
        if not parts:
            return pd.DataFrame(columns=list(columns or KEY))
        frame = pd.concat([_read_part(p, columns) for p in parts], ignore_index=True)
        for name, kind in self.dtypes.items():
            if kind in NULLABLE and name in frame.columns and frame[name].dtype != kind:
                frame[name] = frame[name].astype(kind)
        return frame

    def write(self, columns: Mapping[str, Any], part: str) -> None:
        """Write rows (numpy columns, in order) as the part ``part``: a hidden file renamed into place."""
        import pyarrow.parquet as pq

        tmp = self.path / f".{part}.tmp"
        try:
            nullable = {n: "int" if k == "Int64" else "float" for n, k in self.dtypes.items() if k in NULLABLE}
            pq.write_table(arrow_table(columns, nullable), tmp)
            with tmp.open("rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, self.path / part)
        except OSError as exc:
            raise HwsimError(f"cannot write {self.path / part}: {exc.strerror or exc}") from None

    def drop_parts_except(self, names: set[str]) -> None:
        for p in self.parts():
            if p.name not in names:
                p.unlink()


def open_sink(path: str | os.PathLike[str], dtypes: Mapping[str, Any]) -> _CsvSink | _ParquetSink:
    """The sink of ``path`` (by its name); ``dtypes``: column dtypes to read it back with."""
    p = Path(path)
    if _kind_of_output(p) == "csv":
        if p.is_dir():
            raise ConfigError(f"{p}: is a directory: expected a .csv file name")
        return _CsvSink(p, dtypes)
    return _ParquetSink(p, dtypes)


def summary_dtypes(paths: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"model": str, "config_id": str, "accelerator": str, "bound": str, "bottleneck_layer": str}
    for path in paths:
        out[path] = {"int": np.int64, "float": np.float64, "bool": bool, "str": str,
                     "optional_int": "Int64", "optional_float": "Float64"}[field_kind(path)]  # fmt: skip
    return out


#: Column dtypes of a per-layer output (:data:`~hwsim.explore.sweep.chunks.LAYER_COLUMNS`), its metrics' from the schema.
LAYER_DTYPES: dict[str, Any] = {
    "model": str,
    "config_id": str,
    "layer_index": np.int64,
    **{m.name: str if m.dtype == "str" else m.numpy_dtype for m in select(LAYER_METRICS)},
}


def read_sweep(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a sweep's output (a ``.csv`` file or a Parquet dataset directory) back into a DataFrame.

    A missing, empty, header-only, binary or corrupt output is a one-line ConfigError naming it.
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: no such sweep output")
    sink = open_sink(p, {})
    if isinstance(sink, _ParquetSink) and p.is_file():  # a single Parquet file (not a dataset directory)
        frame = _read_part(p)
        if frame.empty:
            raise ConfigError(f"{p}: holds no rows: expected the output of `hwsim sweep`")
        return frame
    cols = sink.columns() or []
    paths = [c for c in cols if c in sweepable_paths()]
    sink = open_sink(p, {**summary_dtypes(paths), **{k: v for k, v in LAYER_DTYPES.items() if k in cols}})
    if not sink.exists():
        raise ConfigError(f"{p}: holds no rows: expected the output of `hwsim sweep`")
    frame = sink.read()
    if frame.empty:
        raise ConfigError(f"{p}: holds no rows (only a header): expected the output of `hwsim sweep`")
    return frame


# --------------------------------------------------------------------------------------------
# Resume: start afresh, or keep what a cut sweep wrote

#: Columns read back from an output to resume it.
DONE_COLUMNS = [*KEY, "accelerator", "macs"]
_AFRESH = "drop --resume or use another -o"


def resumable_rows(sink: Any, columns: Sequence[str]) -> pd.DataFrame | None:
    """The :data:`DONE_COLUMNS` of the rows an earlier run left in ``sink`` (which exists).

    The header is checked before anything is changed, so an output of another kind is refused
    untouched; then a row cut by a kill is dropped. None: the output holds only a header cut by
    a kill, so the sweep starts afresh.
    """
    try:
        found = sink.columns()
    except ConfigError as exc:
        raise ConfigError(f"--resume: {str(exc).rstrip('.')}; {_AFRESH}") from None
    if found is None:  # a CSV without a complete first line
        expected = (",".join(columns) + "\n").encode()
        if expected.startswith(sink.head(len(expected) + 1)):
            return None
        raise ConfigError(f"--resume: {sink.path} is not a sweep output (its first line is not a sweep header); {_AFRESH}")
    if list(found) != list(columns):
        if not set(KEY) <= set(found):
            raise ConfigError(f"--resume: {sink.path} is not a sweep output (no model and config_id columns); {_AFRESH}")
        differ = [c for c in found if c not in columns] + [c for c in columns if c not in found]
        shown = ", ".join(differ[:6]) + (f" and {len(differ) - 6} more" if len(differ) > 6 else "")
        raise ConfigError(
            f"--resume: {sink.path} was written by a different sweep (columns differ: {shown or 'order'}); "
            f"use the same --set fields, or {_AFRESH}"
        )
    sink.repair()
    try:
        return sink.read(columns=DONE_COLUMNS)
    except ConfigError as exc:
        raise ConfigError(f"--resume: {str(exc).rstrip('.')}; {_AFRESH}") from None


def prepare_output(sink: Any, layer_sink: Any, done: pd.DataFrame | None) -> None:
    """Start the outputs afresh (``done`` None), or trim the per-layer output to the summary rows ``done``."""
    if done is None:
        sink.reset()
        if layer_sink is not None:
            layer_sink.reset()
        return
    if layer_sink is None:
        return
    keys = done[KEY].drop_duplicates()
    if not layer_sink.exists() and len(keys):
        raise ConfigError(f"--resume: {layer_sink.path} is missing but {sink.path} has rows; resume without --per-layer or start afresh")
    found = layer_sink.columns() if layer_sink.exists() else None
    if found is not None and list(found) != list(LAYER_COLUMNS):
        raise ConfigError(f"--resume: {layer_sink.path} is not a per-layer sweep output (its columns differ); {_AFRESH}")
    if isinstance(layer_sink, _CsvSink):
        if layer_sink.exists():
            layer_sink.repair()
            layer_sink.keep_only(keys)
        else:
            layer_sink.reset()
    else:
        if layer_sink.path.is_dir():
            layer_sink.repair()
        else:
            layer_sink.reset()
        if isinstance(sink, _ParquetSink):
            layer_sink.drop_parts_except({p.name for p in sink.parts()})
        else:
            _drop_layer_parts_not_done(layer_sink, keys)


def _drop_layer_parts_not_done(layer_sink: _ParquetSink, done: pd.DataFrame) -> None:
    keys = set(zip(done["model"], done["config_id"]))
    for part in layer_sink.parts():
        frame = _read_part(part, KEY)
        if not all(k in keys for k in zip(frame["model"], frame["config_id"])):
            part.unlink()
