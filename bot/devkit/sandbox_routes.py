"""The sandbox page's routes on the emulator: the static client and its small JSON API.

`GET /` the page (bot/devkit/sandbox/), `GET /sandbox/state?as=U…` what that person sees,
`POST /sandbox/<verb>` what they do (act, submit, close, command, home, digest, clock), and
`GET /files/<id>` the bytes of an uploaded file (the digest's chart).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.devkit.sandbox_emulator import SandboxError

STATIC = Path(__file__).parent / "sandbox"
_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript"}
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: https:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
}


def register(app: web.Application, sandbox: Any) -> None:
    """Add the page's routes; `sandbox` is the running `bot.devkit.sandbox.Sandbox`."""

    async def page(request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name") or "index.html"
        path = STATIC / name
        if path.parent != STATIC or path.suffix not in _TYPES or not path.is_file():
            raise web.HTTPNotFound()
        return web.Response(
            body=path.read_bytes(), content_type=_TYPES[path.suffix], headers=_HEADERS
        )

    async def state(request: web.Request) -> web.StreamResponse:
        user = request.query.get("as", "")
        if request.query.get("since") == sandbox.version():
            return web.json_response({"unchanged": True}, headers=_HEADERS)
        return _answer(lambda: sandbox.state(user))

    async def file(request: web.Request) -> web.StreamResponse:
        data = sandbox.emulator.uploaded_files().get(request.match_info["file_id"])
        if data is None:
            raise web.HTTPNotFound()
        kind = "image/png" if data.startswith(b"\x89PNG") else "application/octet-stream"
        return web.Response(body=data, content_type=kind, headers=_HEADERS)

    def verb(work: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            if request.content_type != "application/json":  # no plain form from another site
                return web.json_response({"error": "send JSON"}, status=415)
            try:
                body = json.loads(await request.text() or "{}")
            except ValueError:
                return web.json_response({"error": "the request was not JSON"}, status=400)
            if not isinstance(body, dict):
                return web.json_response({"error": "the request was not an object"}, status=400)
            user = str(body.get("as") or "")
            try:
                result = await work(user, body)
            except _errors() as exc:
                return web.json_response({"error": str(exc)}, status=400, headers=_HEADERS)
            return web.json_response(result, headers=_HEADERS)

        return handle

    async def act(user: str, body: dict[str, Any]) -> dict[str, Any]:
        return await sandbox.act(user, body)

    async def submit(user: str, body: dict[str, Any]) -> dict[str, Any]:
        values = body.get("values")
        return await sandbox.submit(user, str(body.get("view_id")), values or {})

    async def suggest(user: str, body: dict[str, Any]) -> dict[str, Any]:
        return await sandbox.suggest(user, body)

    async def close(user: str, _body: dict[str, Any]) -> dict[str, Any]:
        return sandbox.close(user)

    async def command(user: str, body: dict[str, Any]) -> dict[str, Any]:
        return await sandbox.command(user, str(body.get("channel")), str(body.get("text")))

    async def home(user: str, _body: dict[str, Any]) -> dict[str, Any]:
        return await sandbox.open_home(user)

    async def digest(user: str, _body: dict[str, Any]) -> dict[str, Any]:
        return await sandbox.post_digest(user)

    async def clock(_user: str, body: dict[str, Any]) -> dict[str, Any]:
        return await sandbox.move_clock(str(body.get("step")))

    app.router.add_get("/", page)
    app.router.add_get("/static/{name}", page)
    app.router.add_get("/sandbox/state", state)
    app.router.add_get("/files/{file_id}", file)
    for name, work in (
        ("act", act),
        ("submit", submit),
        ("suggest", suggest),
        ("close", close),
        ("command", command),
        ("home", home),
        ("digest", digest),
        ("clock", clock),
    ):
        app.router.add_post(f"/sandbox/{name}", verb(work))


def _answer(build: Callable[[], dict[str, Any]]) -> web.StreamResponse:
    try:
        return web.json_response(build(), headers=_HEADERS)
    except _errors() as exc:
        return web.json_response({"error": str(exc)}, status=400, headers=_HEADERS)


def _errors() -> type[Exception]:
    return SandboxError
