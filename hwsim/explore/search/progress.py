"""A one-line text progress bar for the block-allocation search (:class:`ProgressBar`)."""

from __future__ import annotations

import math
import time
from typing import TextIO

__all__ = ["ProgressBar"]


# --------------------------------------------------------------------------- progress
class ProgressBar:
    """A one-line progress bar on ``stream`` (nothing when ``stream`` is None)."""

    def __init__(self, total: int, stream: TextIO | None, label: str = "search", min_interval_s: float = 0.1) -> None:
        self.total, self.stream, self.label, self.min_interval_s = total, stream, label, min_interval_s
        self.done = 0
        self.started = time.perf_counter()
        self.shown = -math.inf
        self.drawn = -1  # ``done`` when last drawn

    def update(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if self.stream is not None and self.done and (now - self.shown >= self.min_interval_s or self.done >= self.total):
            self.shown = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        assert self.stream is not None
        fraction = self.done / self.total if self.total else 1.0
        filled = int(30 * fraction)
        rate = self.done / max(now - self.started, 1e-9)
        self.drawn = self.done
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done:,}/{self.total:,} "
                          f"({100 * fraction:.0f}%) {rate:,.0f}/s")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            if self.drawn != self.done:
                self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
