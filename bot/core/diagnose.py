"""Start-up failures an operator can fix, as one line that names the place and the fix.

A bad `DATABASE_URL` (a missing folder, a read-only file, an unreachable host, a wrong
password) or an unreachable Slack would otherwise end in a long traceback; `bot/cli.py`
prints the line from `startup_failure` instead and exits 2.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import aiohttp
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from bot.domain.errors import ConfigError


def startup_failure(exc: BaseException, *, database_url: str, slack_url: str) -> ConfigError | None:
    """The one-line explanation of `exc`, or None when it is not a set-up problem."""
    for cause in _chain(exc):
        if isinstance(cause, aiohttp.ClientConnectionError) and _is_slack(exc):
            return ConfigError(
                f"cannot reach Slack at {slack_url} ({_reason(cause)}): check the network "
                "or SLACK_API_URL, then start again"
            )
    if not any(isinstance(cause, DBAPIError | OSError) for cause in _chain(exc)):
        return None
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    if url.get_backend_name() == "sqlite":
        return _sqlite_failure(exc, url.database or "")
    return _server_failure(exc, url.host or "localhost", url.port, url.username or "")


def _sqlite_failure(exc: BaseException, database: str) -> ConfigError | None:
    text = " ".join(str(cause) for cause in _chain(exc)).lower()
    path = Path(database.removeprefix("file:")).expanduser().resolve()
    if "readonly" in text or "read-only" in text:
        return ConfigError(
            f"DATABASE_URL: the SQLite file {path} is read-only: give this user write access "
            "to the file and its folder, or point DATABASE_URL at a writable place"
        )
    if "unable to open" in text:
        if not path.parent.is_dir():
            return ConfigError(
                f"DATABASE_URL: the folder {path.parent} does not exist: create it "
                f"(mkdir -p {path.parent}) or point DATABASE_URL elsewhere"
            )
        return ConfigError(
            f"DATABASE_URL: cannot open the SQLite file {path}: check that this user may "
            "create and write files in its folder"
        )
    return None


def _server_failure(
    exc: BaseException, host: str, port: int | None, user: str
) -> ConfigError | None:
    where = f"{host}:{port}" if port else host
    for cause in _chain(exc):
        name = type(cause).__name__
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return ConfigError(
                f"DATABASE_URL: the database at {where} refused user {user!r}: check the user "
                "name and password"
            )
        if name == "InvalidCatalogNameError":
            return ConfigError(
                f"DATABASE_URL: the database at {where} has no database by that name: create "
                "it (createdb) or fix the name at the end of DATABASE_URL"
            )
        if isinstance(cause, socket.gaierror):
            return ConfigError(
                f"DATABASE_URL: the host {host!r} is unknown: check the host name in DATABASE_URL"
            )
    if not any(isinstance(cause, OSError) for cause in _chain(exc)):
        return None  # the database answered: not a connection problem
    return ConfigError(
        f"DATABASE_URL: cannot reach the database at {where} ({_reason(exc)}): check the host "
        "and port, and that the server is running and accepts connections"
    )


def _is_slack(exc: BaseException) -> bool:
    return not any(isinstance(cause, DBAPIError) for cause in _chain(exc))


def _reason(exc: BaseException) -> str:
    last = list(_chain(exc))[-1]
    text = str(last).splitlines()[0] if str(last) else ""
    return f"{type(last).__name__}: {text}"[:120] if text else type(last).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException):
            current = orig
        else:
            current = current.__cause__ or current.__context__
