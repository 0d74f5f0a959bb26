"""The production-path harness: the app served on a database of its own, through the same
factories, engine and session paths `gridapi serve` uses.

The rest of the suite runs every request on one connection inside a rolled-back transaction,
which hides what only the real session paths do: autocommit reads on PostgreSQL, SQLite's
IMMEDIATE writers and the in-process write lock. Here nothing is swapped: each test gets a
fresh database, `create_app(settings)` builds its own engine and `Database` exactly as the
`serve` command does, the ASGI lifespan runs, and requests go through httpx's ASGI transport.

The database: built once per run by the real commands (`gridapi migrate`, `gridapi seed-demo`,
`gridapi create-client`, in a subprocess), then copied for every test — the SQLite file is
copied; on PostgreSQL `CREATE DATABASE … TEMPLATE` (about 0.1 s here; reseeding would take
seconds, the seed hashes passwords with Argon2). The PostgreSQL databases sit next to the
suite's own (`<name>_e2e_tpl`, `<name>_e2e`) and are dropped at the end.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.core.config import Settings
from app.core.db import Database
from app.grids import service as grids_service
from app.grids.boundary import Shapes
from app.main import create_app

API = "/api/v1"
DEMO_PASSWORD = "Demo@2026"
# Access tokens are kept for the run (every copy of the template has the same users and ids,
# and a token needs no row of its own): a login verifies an Argon2 hash, ~0.4 s here, and the
# walk alone needs twelve callers. Renewed well before they expire (900 s).
TOKEN_REUSE_SECONDS = 600
ROOT = Path(__file__).resolve().parents[2]


class SetupFailed(RuntimeError):
    pass


async def _gridapi(url: str, *commands: list[str]) -> list[str]:
    """Runs `gridapi` commands in one fresh process on `url` (as an operator would; one process
    so the import cost is paid once); returns each command's stdout."""
    script = ("import sys, json; from app.cli import main\n"
              "for argv in json.loads(sys.argv[1]):\n"
              "    rc = main(argv); print('\\x00', flush=True)\n"
              "    if rc: sys.exit(rc)\n")
    env = {**os.environ, "DATABASE_URL": url, "GRID_ENV": "test"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, json.dumps(commands), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    if proc.returncode:
        raise SetupFailed(f"gridapi {commands} failed:\n{err.decode()[-3000:]}")
    return out.decode().split("\x00\n")[: len(commands)]


class Store:
    """Where the harness databases live; `fresh()` gives a test its own copy of the template."""

    url: str

    async def build(self) -> dict[str, Any]:
        """Migrate and seed the template; returns the API client `create-client` printed."""
        await self.prepare()
        outputs = await _gridapi(self.template_url, ["migrate"], ["seed-demo"],
                                 ["create-client", "--name", "e2e walk"])
        await self.sealed()
        client: dict[str, Any] = json.loads(outputs[2].strip().splitlines()[-1])
        return client

    @property
    def template_url(self) -> str:
        raise NotImplementedError

    async def prepare(self) -> None:
        """An empty template database (leftovers of an interrupted run are removed)."""

    async def sealed(self) -> None:
        """The template is complete; nothing may hold it open."""

    async def fresh(self) -> str:
        raise NotImplementedError

    async def drop(self) -> None:
        raise NotImplementedError


class SqliteStore(Store):
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.template = directory / "template.db"
        self.work = directory / "e2e.db"
        self.url = f"sqlite+aiosqlite:///{self.work}"

    @property
    def template_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.template}"

    async def sealed(self) -> None:
        await asyncio.to_thread(self._check_template)

    async def fresh(self) -> str:
        await asyncio.to_thread(self._copy_template)
        return self.url

    def _check_template(self) -> None:
        # Every process that wrote has exited, so the WAL is checkpointed into the file.
        wal = Path(f"{self.template}-wal")
        if wal.exists() and wal.stat().st_size:
            raise SetupFailed(f"{wal} was left behind: the template is not one file")

    def _copy_template(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, self.work)

    async def drop(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresStore(Store):
    def __init__(self, suite_url: str) -> None:
        base = make_url(suite_url)
        name = base.database or "postgres"
        self.admin_url = base.render_as_string(hide_password=False)
        self.template_name, self.work_name = f"{name}_e2e_tpl", f"{name}_e2e"
        self._template = base.set(database=self.template_name).render_as_string(False)
        self.url = base.set(database=self.work_name).render_as_string(False)

    @property
    def template_url(self) -> str:
        return self._template

    async def _admin(self, *statements: str) -> None:
        # CREATE/DROP DATABASE cannot run in a transaction: autocommit, from the suite's own
        # database (it exists; the server's `postgres` database may not be ours to use).
        engine = create_async_engine(self.admin_url, poolclass=NullPool,
                                     isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                for sql in statements:
                    await conn.execute(text(sql))
        finally:
            await engine.dispose()

    async def prepare(self) -> None:
        await self.drop()
        await self._admin(f'CREATE DATABASE "{self.template_name}"')

    async def fresh(self) -> str:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.work_name}" WITH (FORCE)',
                          f'CREATE DATABASE "{self.work_name}" TEMPLATE "{self.template_name}"')
        return self.url

    async def drop(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.work_name}" WITH (FORCE)',
                          f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')


def harness_settings(url: str, upload_dir: Path) -> Settings:
    """Production defaults, but for what a test process needs: its own database and upload
    directory, rate limits under a key prefix of their own (in Redis when the suite has
    REDIS_URL, as production does, else in memory; fresh per app either way, so one test's
    logins and reveals do not count against the next), and no gc.freeze (a test process builds
    many apps; frozen, none of them would ever be collected). The principal cache keeps its
    production default (5 s): a role granted within a journey is used by a user who logs in
    after the grant."""
    return Settings(env="test", database_url=url, redis_url=os.environ.get("REDIS_URL"),
                    rate_limit_prefix=f"e2e-{uuid.uuid4().hex[:12]}",
                    upload_dir=str(upload_dir), gc_freeze=False)


class _ErrorLog(logging.Handler):
    """Keeps the app's logged exceptions, so a 500 in a test names its cause."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def last(self) -> str:
        for record in reversed(self.records):
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        return ""


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Runs the app's ASGI lifespan as a server does (startup before the first request,
    shutdown after the last)."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send(message: dict[str, Any]) -> None:
        await outbox.put(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise SetupFailed(f"lifespan startup: {started}")
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        stopped = await outbox.get()
        await task
        if stopped["type"] != "lifespan.shutdown.complete":
            raise SetupFailed(f"lifespan shutdown: {stopped}")


Tokens = dict[str, tuple[float, dict[str, str]]]  # caller → (when issued, bearer headers)


@dataclass
class Harness:
    """One app on one fresh database, and the calls the tests make on it."""

    client: httpx.AsyncClient
    app: Any
    api_client: dict[str, Any]
    errors: _ErrorLog
    tokens: Tokens = field(default_factory=dict)

    @property
    def db(self) -> Database:
        db: Database = self.app.state.db
        return db

    @property
    def dialect(self) -> str:
        return self.db.engine.dialect.name

    async def login(self, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        """Bearer headers for `username`, by `POST /auth/login` (reused, see TOKEN_REUSE_SECONDS;
        a user created within a test is a new key, so it always logs in)."""
        cached = self._token(username)
        if cached is not None:
            return cached
        r = await self.client.post(f"{API}/auth/login",
                                   json={"username": username, "password": password})
        assert r.status_code == 200, f"login {username}: {r.status_code} {r.text}"
        return self._keep(username, r.json()["access_token"])

    def _token(self, key: str) -> dict[str, str] | None:
        hit = self.tokens.get(key)
        return hit[1] if hit and time.monotonic() - hit[0] < TOKEN_REUSE_SECONDS else None

    def _keep(self, key: str, token: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}"}
        self.tokens[key] = (time.monotonic(), headers)
        return headers

    async def client_token(self) -> dict[str, str]:
        """Bearer headers of the run's third-party client (client credentials grant)."""
        cached = self._token("client")
        if cached is not None:
            return cached
        r = await self.client.post(f"{API}/auth/token", data={
            "grant_type": "client_credentials",
            "client_id": self.api_client["client_id"],
            "client_secret": self.api_client["client_secret"],
            "scope": " ".join(self.api_client["scopes"])})
        assert r.status_code == 200, f"client token: {r.status_code} {r.text}"
        return self._keep("client", r.json()["access_token"])

    async def scalar(self, stmt: Select[Any]) -> Any:
        """One value read straight from the database (ids to fill paths; final states)."""
        async with self.db.engine.connect() as conn:
            return (await conn.execute(stmt)).scalar()

    async def call(self, method: str, url: str, user: str | None = None, *,
                   expect: int | tuple[int, ...], **kwargs: Any) -> httpx.Response:
        """One request as `user` (a demo username), asserting its status."""
        headers = {**(await self.login(user) if user else {}), **kwargs.pop("headers", {})}
        r = await self.client.request(method, url, headers=headers, **kwargs)
        wanted = expect if isinstance(expect, tuple) else (expect,)
        assert r.status_code in wanted, (
            f"{method} {url} as {user}: {r.status_code} (expected {expect}) "
            f"{r.text[:400]} {self.errors.last()}")
        return r


@asynccontextmanager
async def serve(url: str, upload_dir: Path, api_client: dict[str, Any], tokens: Tokens
                ) -> AsyncIterator[Harness]:
    """The app as `gridapi serve` builds it (`create_app(settings)` makes its own engine and
    `Database`, and disposes of them at shutdown), behind httpx's ASGI transport."""
    app = create_app(harness_settings(url, upload_dir))
    errors = _ErrorLog()
    logging.getLogger("gridapi").addHandler(errors)
    # Parsed grid polygons are cached per process by grid id and version, which holds for a
    # process serving one database; this one serves the suite's and a fresh copy per test, with
    # the same ids. Each app here starts with an empty cache, as a new process would.
    shapes, grids_service._SHAPES = grids_service._SHAPES, Shapes()
    try:
        async with lifespan(app):
            # A server answers 500 for an unhandled error and carries on; so does this.
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://e2e") as client:
                yield Harness(client, app, api_client, errors, tokens)
    finally:
        grids_service._SHAPES = shapes
        logging.getLogger("gridapi").removeHandler(errors)
