"""Test harness: one schema per run (built by `alembic upgrade head`), one shared fixture
world, and every test inside a transaction that is rolled back.

`DATABASE_URL` picks the database (PostgreSQL in CI's second pass); default is a temp SQLite file.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

_TMP = tempfile.mkdtemp(prefix="gridapi-test-")
os.environ.setdefault("DATABASE_URL", f"sqlite+aiosqlite:///{_TMP}/test.db")
os.environ["GRID_ENV"] = "test"

import httpx  # noqa: E402
import pytest  # noqa: E402
from alembic import command  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker  # noqa: E402

from app.cli import alembic_config  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import Database, count_statements, make_engine  # noqa: E402
from app.core.outbox import WorkerContext  # noqa: E402
from app.files.storage import LocalStorage  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models import User  # noqa: E402
from tests.factories import (  # noqa: E402
    World,
    add_wish_evidence,
    attach_photo,
    build_world,
    token_for,
)
from tests.factories_steering import add_steering  # noqa: E402

DATABASE_URL = os.environ["DATABASE_URL"]
IS_PG = DATABASE_URL.startswith("postgresql")
PRINCIPAL_CACHE_SECONDS = float(os.environ.get("GRID_TEST_PRINCIPAL_CACHE_SECONDS", 0))
# Statements a request spends loading its caller: none with the principal cache on when the
# same caller made a request just before (statement-count tests make one first).
PRINCIPAL_LOADS = 0 if PRINCIPAL_CACHE_SECONDS > 0 else 1


def make_settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "env": "test",
        "database_url": DATABASE_URL,
        "rate_limit_prefix": f"test-{uuid.uuid4().hex[:8]}",
        "login_ip_limit": "10000/minute",
        # Tests report and export in bursts as one user; their own limits are tested with
        # small values (tests/core/test_abuse_limits.py).
        "case_create_limit": "100000/minute",
        "meeting_sign_in_limit": "100000/minute",
        "export_limit": "100000/hour",
        "wechat_login_limit": "100000/minute",
        "phone_bind_limit": "100000/hour",
        "log_json": True,
        "upload_dir": f"{_TMP}/uploads",
        # Tests change roles and expect it at once; CI runs core and cases once more with the
        # production cache on (GRID_TEST_PRINCIPAL_CACHE_SECONDS=5).
        "principal_cache_seconds": PRINCIPAL_CACHE_SECONDS,
        "gc_freeze": False,  # many apps in one process: nothing of theirs should be pinned
    }
    base.update(overrides)
    return Settings(**base)


def upgrade(conn: Connection, revision: str = "head") -> None:
    cfg = alembic_config(make_settings())
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def downgrade(conn: Connection, revision: str = "base") -> None:
    cfg = alembic_config(make_settings())
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, revision)


async def reset_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        if IS_PG:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        else:
            await conn.run_sync(lambda c: c.exec_driver_sql("PRAGMA foreign_keys=OFF"))
            tables = (await conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            ))).scalars().all()
            for t in tables:
                await conn.execute(text(f'DROP TABLE IF EXISTS "{t}"'))
            await conn.run_sync(lambda c: c.exec_driver_sql("PRAGMA foreign_keys=ON"))


@pytest.fixture(scope="session")
def settings() -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(settings)
    await reset_schema(eng)
    async with eng.begin() as conn:
        await conn.run_sync(upgrade)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
async def world(engine: AsyncEngine, settings: Settings) -> World:
    maker = async_sessionmaker(engine, expire_on_commit=False)
    storage = LocalStorage(Path(settings.upload_dir))
    async with maker() as session:
        w = await build_world(session)
        for case in w.cases:
            w.attachments.append(await attach_photo(session, storage, case))
        await add_wish_evidence(session, w, storage)
        await add_steering(session, w, storage)
        await session.commit()
    return w


@pytest.fixture(scope="session")
def db(engine: AsyncEngine) -> Database:
    return Database(engine)


@pytest.fixture(scope="session")
def app(settings: Settings, db: Database) -> Any:
    return create_app(settings, db)


@pytest.fixture(autouse=True)
async def rollback(request: pytest.FixtureRequest, engine: AsyncEngine, db: Database,
                   world: World) -> AsyncIterator[None]:
    """Each test runs in one outer transaction that is rolled back; the app's commits become
    savepoint releases."""
    if request.node.get_closest_marker("real_commits"):
        yield
        return
    conn = await engine.connect()
    outer = await conn.begin()
    try:
        async with db.bound_to(conn):
            yield
    finally:
        await outer.rollback()
        await conn.close()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def worker_ctx(db: Database, settings: Settings) -> AsyncIterator[WorkerContext]:
    async with httpx.AsyncClient() as http:
        yield WorkerContext(db=db, settings=settings, http=http)


@pytest.fixture
def auth(settings: Settings) -> Any:
    def headers(user: User, **extra: str) -> dict[str, str]:
        return {**token_for(settings, user), **extra}

    return headers


@pytest.fixture
def statements(engine: AsyncEngine) -> Any:
    """Counts SQL statements while the returned counter's context is open."""

    class Counter:
        def __init__(self) -> None:
            self.box = [0]
            self._remove: Any = None

        def __enter__(self) -> Counter:
            self.box[0] = 0
            self._remove = count_statements(engine.sync_engine, self.box)
            return self

        def __exit__(self, *exc: object) -> None:
            self._remove()

        @property
        def count(self) -> int:
            return self.box[0]

    return Counter()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_commits: test manages its own committed data")
