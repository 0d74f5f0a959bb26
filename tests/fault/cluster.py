"""A small deployment on this machine for fault runs: a database of its own (SQLite file or a
fresh PostgreSQL database), the fixture world in it, API processes (`gridapi serve`) and outbox
workers (`gridapi worker`) as real processes, optionally reaching PostgreSQL and Redis through
`FaultProxy`s, and a webhook receiver."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import update
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import Database, make_engine
from app.models import WebhookSubscription
from tests.factories import World, build_world, token_for
from tests.faultproxy import FaultProxy
from tests.webhooks.receiver import Receiver, receiving

ROOT = Path(__file__).resolve().parents[2]
GRIDAPI = str(Path(sys.executable).with_name("gridapi"))
PG_ADMIN_URL = os.environ.get("FAULT_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_PORT = int(os.environ.get("FAULT_REDIS_PORT", "6379"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    name: str
    args: list[str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None


@dataclass
class Cluster:
    kind: str  # "sqlite" | "postgres"
    work: Path
    database_url: str  # direct, for setting up and checking
    env: dict[str, str]
    world: World
    receiver: Receiver
    pg_proxy: FaultProxy | None = None
    redis_proxy: FaultProxy | None = None
    procs: dict[str, Process] = field(default_factory=dict)

    # --- processes ---------------------------------------------------------------------
    def _spawn(self, proc: Process) -> None:
        out = proc.log.open("ab")
        proc.popen = subprocess.Popen(proc.args, cwd=ROOT, env={**os.environ, **self.env},
                                      stdout=out, stderr=subprocess.STDOUT)

    async def start_api(self, name: str, port: int | None = None) -> Process:
        port = port or free_port()
        proc = Process(name, [GRIDAPI, "serve", "--host", "127.0.0.1", "--port", str(port)],
                       self.work / f"{name}.log", port)
        self.procs[name] = proc
        self._spawn(proc)
        await self.wait_healthy(port)
        return proc

    def start_worker(self, name: str) -> Process:
        proc = Process(name, [GRIDAPI, "worker", "--idle", "0.2"], self.work / f"{name}.log")
        self.procs[name] = proc
        self._spawn(proc)
        return proc

    def kill9(self, name: str) -> None:
        popen = self.procs[name].popen
        assert popen is not None
        popen.send_signal(signal.SIGKILL)
        popen.wait()

    async def restart(self, name: str) -> None:
        proc = self.procs[name]
        self._spawn(proc)
        if proc.port:
            await self.wait_healthy(proc.port)

    async def wait_healthy(self, port: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient() as c:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await c.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"API on port {port} did not come up (see {self.work})")

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.popen is not None and proc.popen.poll() is None:
                proc.popen.terminate()
        for proc in self.procs.values():
            if proc.popen is not None:
                try:
                    proc.popen.wait(10)
                except subprocess.TimeoutExpired:
                    proc.popen.kill()

    @property
    def api_ports(self) -> list[int]:
        return [p.port for p in self.procs.values() if p.port]

    def headers(self, user: Any) -> dict[str, str]:
        return token_for(Settings(env="test"), user)

    def db(self) -> Database:
        return Database(make_engine(Settings(database_url=self.database_url)))


async def _create_pg_database(name: str) -> str:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(PG_ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()


def _migrate(url: str, work: Path) -> None:
    with (work / "migrate.log").open("ab") as out:
        subprocess.run([GRIDAPI, "migrate"], cwd=ROOT, check=True, stdout=out,
                       stderr=subprocess.STDOUT,
                       env={**os.environ, "DATABASE_URL": url, "GRID_ENV": "development"})


async def _world(url: str, receiver_port: int) -> World:
    db = Database(make_engine(Settings(database_url=url)))
    try:
        async with db.writing() as s:
            world = await build_world(s)
            # Every subscription delivers to our receiver (allowed by GRID_WEBHOOK_ALLOW_HOSTS).
            await s.execute(update(WebhookSubscription).values(
                url=f"http://127.0.0.1:{receiver_port}/hook"))
        return world
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def cluster(kind: str, work: Path, *, pg_via_proxy: bool = False,
                  redis: bool = False, redis_via_proxy: bool = False,
                  extra_env: dict[str, str] | None = None) -> AsyncIterator[Cluster]:
    """A database with the fixture world and the environment for its processes (none are
    started yet). PostgreSQL and Redis are reached through proxies when asked."""
    await asyncio.to_thread(work.mkdir, parents=True, exist_ok=True)
    pg_name = f"gridapi_fault_{os.getpid()}_{int(time.time())}"
    if kind == "postgres":
        url = await _create_pg_database(pg_name)
    else:
        url = f"sqlite+aiosqlite:///{work / 'fault.db'}"
    pg_proxy = redis_proxy = None
    try:
        await asyncio.to_thread(_migrate, url, work)
        async with receiving() as receiver:
            world = await _world(url, receiver.port)
            app_url = url
            if pg_via_proxy:
                assert kind == "postgres", "only a PostgreSQL server can be stopped or frozen"
                pg_proxy = FaultProxy(make_url(url).port or 5432)
                await pg_proxy.start()
                app_url = make_url(url).set(port=pg_proxy.port).render_as_string(
                    hide_password=False)
            env = {"DATABASE_URL": app_url, "GRID_ENV": "development", "GRID_LOG_JSON": "true",
                   "GRID_UPLOAD_DIR": str(work / "uploads"),
                   "GRID_CASE_CREATE_LIMIT": "10000000/minute",
                   "GRID_LOGIN_IP_LIMIT": "10000000/minute",
                   "GRID_REVEAL_LIMIT": "10000000/hour",
                   "GRID_WEBHOOK_ALLOW_HOSTS": json.dumps(["127.0.0.1/32"]),
                   **(extra_env or {})}
            if redis:
                redis_port = REDIS_PORT
                if redis_via_proxy:
                    redis_proxy = FaultProxy(REDIS_PORT)
                    await redis_proxy.start()
                    redis_port = redis_proxy.port
                env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
                env["GRID_RATE_LIMIT_PREFIX"] = f"fault-{pg_name}"
            c = Cluster(kind, work, url, env, world, receiver, pg_proxy, redis_proxy)
            try:
                yield c
            finally:
                c.stop_all()
    finally:
        for proxy in (pg_proxy, redis_proxy):
            if proxy is not None:
                await proxy.stop()
        if kind == "postgres":
            await _drop_pg_database(pg_name)
