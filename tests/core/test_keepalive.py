"""An unexpected error (500) must not leave a keep-alive client with a connection that is about
to be dropped: the server either keeps it usable or says `Connection: close`. This depends on
the server (uvicorn re-raises after Starlette's 500 and closes the socket), so it runs a real
uvicorn, with both of its HTTP implementations, and a raw HTTP/1.1 client."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI

from app.core.db import Database
from app.main import create_app
from tests.conftest import make_settings
from tests.servers import serving


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   path: str) -> tuple[int, dict[str, str]]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: t\r\nAccept: */*\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip()
               for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return int(lines[0].split()[1]), headers


@pytest.fixture
def failing_app(db: Database) -> FastAPI:
    app = create_app(make_settings(), db)

    async def boom() -> None:
        raise RuntimeError("a bug nobody anticipated")

    app.add_api_route("/boom", boom)
    return app


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_500_keeps_the_connection_usable_or_says_close(failing_app: FastAPI, http: str):
    async with serving(failing_app, http=http) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            status, headers = await exchange(reader, writer, "/boom")
            assert status == 500
            if headers.get("connection", "").lower() != "close":
                # Not announced as closing: the next request on it must work.
                status, _ = await exchange(reader, writer, "/healthz")
                assert status == 200
            else:
                assert await asyncio.wait_for(reader.read(), 5) == b""  # and it does close
        finally:
            writer.close()


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_keep_alive_survives_a_handled_error(failing_app: FastAPI, http: str):
    async with serving(failing_app, http=http) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            assert (await exchange(reader, writer, "/api/v1/cases"))[0] == 401
            assert (await exchange(reader, writer, "/healthz"))[0] == 200
        finally:
            writer.close()
