"""The progress bar of a sweep (``hwsim sweep --progress``): rich, on stderr, imported only when shown."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["Progress"]


class Progress:
    """A rich progress bar on stderr: configurations done, configurations per second, time left.

    Only the bar shrinks on a narrow terminal (80 columns and up): the counts and times are
    never cut.
    """

    def __init__(self, total: int, enabled: bool, console: Any = None) -> None:
        self.bar = None
        if not enabled or total == 0:
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.table import Column

        def whole(min_width: int = 0) -> Column:
            return Column(no_wrap=True, min_width=min_width)

        counts = 2 * len(f"{total:,}") + 1
        self.start = time.perf_counter()
        self.bar = Progress(
            TextColumn("sweep", table_column=whole()),
            BarColumn(bar_width=None, table_column=Column(ratio=1, min_width=5)),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f}", justify="right", table_column=whole(counts)),
            TextColumn("{task.fields[rate]:>9} configs/s", table_column=whole()),
            TimeElapsedColumn(table_column=whole()),
            TextColumn("elapsed,", table_column=whole()),
            TimeRemainingColumn(table_column=whole()),
            TextColumn("left", table_column=whole()),
            console=console or Console(stderr=True),
            transient=False,
            expand=True,
        )
        self.task = self.bar.add_task("sweep", total=total, rate="-")
        self.done = 0
        self.bar.start()

    def advance(self, count: int) -> None:
        if self.bar is None:
            return
        self.done += count
        rate = self.done / max(time.perf_counter() - self.start, 1e-9)
        self.bar.update(self.task, advance=count, rate=f"{rate:,.0f}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
