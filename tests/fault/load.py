"""Load for fault runs: clients that report cases with an Idempotency-Key and retry each until it
is acknowledged (on any API process), readers, and `/readyz` probes; every attempt recorded with
its time, status and latency."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select

from app.core.db import Database
from app.models import Case
from tests.cases.helpers import API, body

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@dataclass
class Attempt:
    at: float  # monotonic, when sent
    took: float
    kind: str  # "report" | "read" | "ready" | "login" | "reveal"
    port: int
    status: int | None  # None: no HTTP answer (connection refused or reset, timeout)
    error: str | None = None
    body: dict[str, Any] | None = None
    retry_after: str | None = None


@dataclass
class Load:
    ports: list[int]
    headers: dict[str, str]
    grid_index: int
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)  # token → case id
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    _port_cycle: Any = None

    def __post_init__(self) -> None:
        self._port_cycle = itertools.cycle(self.ports)

    async def call(self, client: httpx.AsyncClient, kind: str, method: str, path: str,
                   port: int | None = None, **kw: Any) -> Attempt:
        port = port or next(self._port_cycle)
        started = time.monotonic()
        try:
            r = await client.request(method, f"http://127.0.0.1:{port}{path}", **kw)
            got = Attempt(started, time.monotonic() - started, kind, port, r.status_code,
                          body=r.json() if r.headers.get("content-type", "").endswith(
                              "json") else None, retry_after=r.headers.get("retry-after"))
        except httpx.HTTPError as exc:
            got = Attempt(started, time.monotonic() - started, kind, port, None,
                          type(exc).__name__)
        self.attempts.append(got)
        return got

    async def report_until_acknowledged(self, client: httpx.AsyncClient, token: str) -> None:
        """One report, retried with the same key until an API process acknowledges it."""
        key = f"fault-{token}"
        while True:
            got = await self.call(client, "report", "POST", f"{API}/cases",
                                  headers={**self.headers, "Idempotency-Key": key},
                                  json=body(self.grid_index, description=token))
            if got.status in (200, 201) and got.body:
                self.acknowledged[token] = int(got.body["id"])
                return
            await asyncio.sleep(0.1)

    async def reporter(self, client: httpx.AsyncClient, count: int | None) -> None:
        """Reports one after the other: `count` of them, or until `stop`."""
        for _ in itertools.count() if count is None else range(count):
            if self.stop.is_set():
                return
            await self.report_until_acknowledged(client, f"fault-{uuid.uuid4().hex}")

    async def reader(self, client: httpx.AsyncClient, pause: float = 0.05) -> None:
        while not self.stop.is_set():
            await self.call(client, "read", "GET", f"{API}/cases?limit=20", headers=self.headers)
            await asyncio.sleep(pause)

    async def probe(self, client: httpx.AsyncClient, pause: float = 0.2) -> None:
        while not self.stop.is_set():
            for port in self.ports:
                await self.call(client, "ready", "GET", "/readyz", port=port)
            await asyncio.sleep(pause)


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=TIMEOUT, limits=httpx.Limits(max_keepalive_connections=0))


async def copies(db: Database, tokens: list[str]) -> dict[str, list[int]]:
    """token → ids of the cases stored with it as description."""
    out: dict[str, list[int]] = {t: [] for t in tokens}
    async with db.reading() as s:
        rows = (await s.execute(select(Case.description, Case.id).where(
            Case.description.like("fault-%")))).all()
    for desc, case_id in rows:
        out.setdefault(desc, []).append(case_id)
    return out


async def count_cases(db: Database) -> int:
    async with db.reading() as s:
        return int(await s.scalar(select(func.count()).select_from(Case)) or 0)
