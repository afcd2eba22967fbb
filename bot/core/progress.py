"""A long command's progress drawn on a terminal: a bar on stderr, with rich.

`drawn(describe)` gives the `OnProgress` a service takes (bot/domain/progress.py): a bar
with done/total and time left when stderr is a terminal, the no-op `unseen` otherwise, so a
pipe or a log file gets only the command's summary line. `describe` words a tick
(blocks/terminal.py). rich comes with Typer and is already locked; it redraws at most ten
times a second from its own thread, so a tick per row costs little.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from bot.domain.progress import OnProgress, Stage, Tick, unseen


class _Bar:
    def __init__(self, bar: Progress, describe: Callable[[Tick], str]) -> None:
        self.bar = bar
        self.describe = describe
        self.tasks: dict[Stage, TaskID] = {}

    def __call__(self, tick: Tick) -> None:
        task = self.tasks.get(tick.stage)
        if task is None:
            task = self.tasks[tick.stage] = self.bar.add_task("", total=tick.total)
        self.bar.update(
            task, completed=tick.done, total=tick.total, description=self.describe(tick)
        )


@contextmanager
def drawn(describe: Callable[[Tick], str], out: TextIO | None = None) -> Iterator[OnProgress]:
    """An OnProgress drawing a bar on `out` (stderr) while the block runs, when it is a
    terminal; the bar is cleared at the end, leaving the summary alone on screen."""
    stream = out if out is not None else sys.stderr
    if not stream.isatty():
        yield unseen
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=True,
    )
    with bar:
        yield _Bar(bar, describe)
