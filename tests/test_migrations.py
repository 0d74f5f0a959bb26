"""`alembic upgrade head` builds exactly the models' schema; `downgrade base` removes it all."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.models import Base
from tests.conftest import _TMP, DATABASE_URL, IS_PG, downgrade, upgrade

pytestmark = pytest.mark.real_commits


@pytest.fixture
async def scratch() -> AsyncIterator[AsyncEngine]:
    """A database of its own, so up/down does not disturb the suite's schema."""
    name = f"mig_{uuid.uuid4().hex[:10]}"
    if IS_PG:
        admin = create_async_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
        async with admin.connect() as c:
            await c.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(DATABASE_URL).set(database=name)
        engine = create_async_engine(url)
        yield engine
        await engine.dispose()
        async with admin.connect() as c:
            await c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await admin.dispose()
    else:
        engine = create_async_engine(f"sqlite+aiosqlite:///{_TMP}/{name}.db")
        yield engine
        await engine.dispose()


def _diff(conn: Connection) -> list[object]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(ctx, Base.metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) - {"alembic_version"}


async def test_upgrade_head_matches_models(scratch: AsyncEngine):
    async with scratch.begin() as conn:
        await conn.run_sync(upgrade)
    async with scratch.connect() as conn:
        assert await conn.run_sync(_diff) == []
        assert await conn.run_sync(_tables) == set(Base.metadata.tables)


async def test_downgrade_base_then_upgrade_again(scratch: AsyncEngine):
    async with scratch.begin() as conn:
        await conn.run_sync(upgrade)
    async with scratch.begin() as conn:
        await conn.run_sync(downgrade)
    async with scratch.connect() as conn:
        assert await conn.run_sync(_tables) == set()
    async with scratch.begin() as conn:
        await conn.run_sync(upgrade)
    async with scratch.connect() as conn:
        assert await conn.run_sync(_diff) == []
