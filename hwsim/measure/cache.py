"""Measurement cache files: one :class:`~hwsim.measure.results.ModelMeasurement` per JSON line.

:func:`read_measurements` (a torn last line is skipped), :func:`append_measurement` (cuts a torn
last line first, then appends flushed and fsynced, so an interruption loses nothing),
:func:`cut_torn_tail` and :func:`same_conditions` (whether a cached entry
matches the settings and host asked for). Never imports torch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from hwsim.errors import GraphFileError, HwsimError
from hwsim.measure.results import ModelMeasurement

if TYPE_CHECKING:
    from hwsim.measure.host_info import HostInfo
    from hwsim.measure.results import MeasureSettings

__all__ = ["append_measurement", "cut_torn_tail", "read_measurements", "same_conditions"]


def read_measurements(path: str | Path) -> list[ModelMeasurement]:
    """Measurements stored one JSON object per line (a cache file); a torn last line (no newline
    at its end: the writer was interrupted) is skipped, as :func:`append_measurement` cuts it.

    A missing file gives ``[]``; an unreadable, binary or malformed one raises a one-line
    :class:`~hwsim.errors.GraphFileError` naming the file (and the line).
    """
    import json

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        lines = text[: text.rfind("\n") + 1].splitlines()  # whole lines only
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot read measurement cache ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise GraphFileError(
            f"{path}: not a measurement cache (not UTF-8 text; expected one JSON object per line)"
        ) from None
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            found.append(ModelMeasurement.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError, HwsimError) as exc:
            # a whole line (the torn tail is cut above): kept, it would sit before the next append
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise GraphFileError(f"{path}: line {number}: not a measurement ({reason}); expected one JSON object per "
                                 "line as `hwsim calibrate` writes them") from None
    return found


#: Bytes read at a time when looking back for the last newline.
_TAIL_BLOCK_BYTES = 1 << 16


def cut_torn_tail(handle: BinaryIO) -> int:
    """Truncate the file open in ``handle`` (binary, readable, writable) after its last newline,
    dropping a last line an interrupted writer left without one; returns the bytes cut."""
    size = handle.seek(0, os.SEEK_END)
    end = size
    while end > 0:
        start = max(0, end - _TAIL_BLOCK_BYTES)
        handle.seek(start)
        newline = handle.read(end - start).rfind(b"\n")
        if newline >= 0:
            end = start + newline + 1
            break
        end = start
    if end != size:
        handle.truncate(end)
    handle.seek(end)
    return size - end


def append_measurement(path: str | Path, measurement: ModelMeasurement) -> None:
    """Append one measurement as a JSON line and flush it to disk (so an interruption loses
    nothing); a torn last line left by an interrupted writer is cut first, never glued to it."""
    import json

    path = Path(path)
    try:
        with path.open("a+b") as handle:
            cut_torn_tail(handle)
            handle.write((json.dumps(measurement.to_dict()) + "\n").encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise HwsimError(f"cannot write measurement cache {path}: {exc.strerror or exc}") from None


def same_conditions(a: ModelMeasurement, settings: MeasureSettings, info: HostInfo) -> bool:
    """True when a cached measurement was taken as ``settings`` ask on the host ``info`` describes."""
    return (
        a.batch == settings.batch
        and a.warmup == settings.warmup
        and a.repeats == settings.repeats
        and a.info.device == info.device
        and a.info.device_model == info.device_model
        and a.info.torch_version == info.torch_version
        and a.info.threads == info.threads
    )

