"""Log lines that show the key facts passed as `extra=` (invitation id, Slack error …)."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def one_line(value: object) -> str:
    """The value as text with CR and LF escaped, so no value can start a forged log line."""
    return str(value).replace("\r", "\\r").replace("\n", "\\n")


class FieldsFormatter(logging.Formatter):
    """`… WARNING bot.services.delivery: survey failed invitation_id=7 slack_error=…`.

    The message and every field are kept on one line; only a traceback spans lines.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = one_line(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if not fields:
            return line
        shown = " ".join(f"{key}={one_line(value)}" for key, value in fields.items())
        first, newline, rest = line.partition("\n")
        return f"{first} {shown}{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line (`LOG_FORMAT=json`): time, level, logger, message, the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class Throttled:
    """A WARNING said at most once per `every` seconds, with how many times it happened since."""

    def __init__(
        self,
        logger: logging.Logger,
        message: str,
        *,
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.message = message
        self.every = every
        self._clock = clock
        self._last = -float("inf")
        self._since = 0

    def happened(self, **fields: object) -> None:
        self._since += 1
        now = self._clock()
        if now - self._last < self.every:
            return
        self.logger.warning(self.message, extra={**fields, "times": self._since})
        self._last = now
        self._since = 0


def configure(level: str, fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(FieldsFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    quiet = max(logging.WARNING, logging.getLogger().level)
    logging.getLogger("alembic").setLevel(quiet)
    # slack-sdk says each retry at INFO; what failed in the end is logged by the app.
    logging.getLogger("slack_sdk").setLevel(quiet)
    # "skipped: maximum number of running instances" just means a long pass is still going.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


_LINK_TOKEN = re.compile(r"^/s/(?!(?:page|brand)\.css$)[^/]+")


def logged_path(path: str) -> str:
    """A request path fit for the access log: a survey link's token is a credential, so
    `/s/<token>/…` is written `/s/…/…`; the query string is never passed in."""
    return _LINK_TOKEN.sub("/s/…", path)


class AccessLogger(AbstractAccessLogger):
    """aiohttp's access log without what a line must not carry: headers (User-Agent,
    Referer…), query strings and survey link tokens. One line a request."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %s %.6fs',
            request.remote,
            request.method,
            one_line(logged_path(request.path)),
            response.status,
            response.body_length,
            time,
        )
