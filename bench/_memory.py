"""A process's memory as the kernel counts it, read from /proc (Linux).

`VmHWM` is the peak resident set of the process's own address space, so it starts again
at `exec`; `ru_maxrss` (from `wait4` or `getrusage`) survives `exec`, so a child forked from
a bench process that had just built or seeded a database reported the bench's peak, not
its own.
"""

from __future__ import annotations

import resource
from pathlib import Path


def _status_mb(pid: int | str, field: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_mb(pid: int | str = "self") -> float:
    """The process's peak RSS so far in MB (`VmHWM`); read it before the process exits.

    For this process, `ru_maxrss` where /proc cannot say; 0.0 for another that has gone.
    """
    peak = _status_mb(pid, "VmHWM")
    if peak is None and pid == "self":
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak or 0.0


def rss_mb(pid: int) -> float:
    """The process's resident set size now, in MB (`VmRSS`)."""
    return _status_mb(pid, "VmRSS") or 0.0
