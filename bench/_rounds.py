"""What every timing bench prints with its figures: the machine's load, and medians of rounds.

A figure taken while other work shares the cores is slower than the code; the load average
printed next to it says how much the machine was shared (`load()` before and after the
rounds), and the median of several rounds keeps one unlucky round from being the figure.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Iterable


def load() -> str:
    """The 1, 5 and 15 minute load averages and the core count, e.g. `0.52 0.40 0.31 (2 cores)`."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def print_load(when: str) -> None:
    print(f"load average {when}: {load()}", flush=True)


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def rounds_text(values: Iterable[float], shown: Callable[[float], str] = "{:.2f}".format) -> str:
    """`median 0.93 (rounds: 0.91, 0.93, 0.95)`."""
    values = list(values)
    each = ", ".join(shown(v) for v in values)
    return f"median {shown(statistics.median(values))} (rounds: {each})"
