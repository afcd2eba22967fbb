"""What every local emulator shares: an aiohttp app on a local port, started and stopped,
usable as `async with`, with the root URL it bound."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aiohttp import web


class LocalServer:
    """Subclasses add their routes in `routes(app)`; `root` is `http://HOST:PORT`."""

    client_max_size = 1024**2  # aiohttp's default body limit

    _runner: web.AppRunner | None = None
    _root: str | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind and serve; port 0 picks a free port."""
        app = web.Application(client_max_size=self.client_max_size)
        self.routes(app)
        self._runner = web.AppRunner(app, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self._root = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def root(self) -> str:
        """`http://HOST:PORT`, without a trailing slash."""
        if self._root is None:
            raise RuntimeError("the emulator is not started")
        return self._root
