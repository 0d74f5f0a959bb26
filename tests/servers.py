"""A real uvicorn server in the test's event loop, for behaviour that depends on the server
(keep-alive after errors, forwarded headers), not on the ASGI app alone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


@contextlib.asynccontextmanager
async def serving(app: Any, **options: Any) -> AsyncIterator[int]:
    """Serve `app` on a free port of 127.0.0.1 (uvicorn.Config `options`); yields the port."""
    config = uvicorn.Config(app, **{"host": "127.0.0.1", "port": 0, "lifespan": "off",
                                    "log_level": "critical", "access_log": False, **options})
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(1000):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.should_exit = True
        await task
