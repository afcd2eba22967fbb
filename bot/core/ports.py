"""A port a command is about to listen on, checked before it starts any work.

`serve`, `worker`, `socket` (METRICS_PORT) and `emulator` call `ensure_free` first, so a
port already taken stops them with one line (exit 2), before the database is opened or
the scheduler runs: not a traceback after the scheduler has begun sending.
"""

from __future__ import annotations

import errno
import socket

from bot.domain.errors import ConfigError


class PortInUse(ConfigError):
    """Another process listens on the port: one line naming it and how to choose another."""


def ensure_free(port: int | None, *, given_by: str, host: str = "0.0.0.0") -> None:
    """Raise PortInUse when `port` on `host` cannot be listened on; None or 0 (the system
    picks a free one) pass. `given_by` names where the port came from: "PORT", "--port"."""
    if not port:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as the server will: a port left in TIME_WAIT by the last run is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {port} ({given_by}) is already in use: stop the process listening "
                    f"there (`ss -ltnp 'sport = :{port}'` names it) or choose another port "
                    f"with {given_by}"
                ) from None
            if exc.errno == errno.EACCES:
                raise PortInUse(
                    f"port {port} ({given_by}) needs root: choose one above 1023 with {given_by}"
                ) from None
            raise
