"""The unit of work: committed before the response, rolled back on error; SQLite pragmas."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import delete, func, select, text

from app.core import audit
from app.core.auth import CurrentPrincipal
from app.core.db import Database, SessionDep, make_engine
from app.core.permissions import Role
from app.core.routing import DomainRouter
from app.main import create_app
from app.models import AuditEntry, Org
from tests.conftest import IS_PG, make_settings
from tests.factories import World
from tests.realdb import committed_rows_removed, delete_audit

API = "/api/v1"


@pytest.mark.skipif(IS_PG, reason="SQLite pragmas")
async def test_sqlite_runs_in_wal_with_foreign_keys(engine):
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1


async def test_postgres_pool_keeps_its_size_and_opens_no_overflow_by_default():
    # Built without connecting: runs on either database.
    engine = make_engine(make_settings(database_url="postgresql+asyncpg://u@127.0.0.1:1/x"))
    try:
        assert engine.pool.size() == 10  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_postgres_pool_takes_its_sizes_from_settings():
    engine = make_engine(make_settings(database_url="postgresql+asyncpg://u@127.0.0.1:1/x",
                                       db_pool_size=7, db_max_overflow=3))
    try:
        assert engine.pool.size() == 7  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 3  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


@pytest.mark.real_commits
async def test_commit_is_visible_to_another_connection_when_the_response_arrives(
    engine, auth, world: World
):
    app = create_app(make_settings(), Database(engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as c:
        r = await c.post(f"{API}/orgs", headers=auth(world.user(Role.district_admin)),
                         json={"parent_id": world.root.id, "kind": "agency", "name": "提交测试"})
    assert r.status_code == 201
    org_id = r.json()["id"]
    try:
        async with engine.connect() as other:
            found = await other.scalar(select(func.count()).where(Org.id == org_id))
        assert found == 1
    finally:
        async with engine.begin() as conn:
            await delete_audit(conn, AuditEntry.object_id == str(org_id))
            await conn.execute(delete(Org).where(Org.id == org_id))


async def test_error_after_writes_rolls_everything_back(client, auth, world: World, db):
    # The first node is flushed, then the unique code clash fails the request.
    h = auth(world.user(Role.district_admin))
    r = await client.post(f"{API}/orgs", headers=h, json={
        "parent_id": world.root.id, "kind": "agency", "name": "回滚测试", "code": "T"})
    assert r.status_code == 409
    async with db.writing() as s:
        assert await s.scalar(select(func.count()).where(Org.name == "回滚测试")) == 0


async def test_read_requests_skip_transaction_round_trips_on_postgresql(engine):
    """GET sessions run in autocommit on PostgreSQL (no BEGIN/COMMIT around a one-SELECT page);
    writers and the worker keep real transactions. SQLite reads are local: unchanged."""
    import asyncio

    db = Database(engine)

    async def nows(opened) -> tuple[object, object]:
        # Inside a transaction now() is the transaction's start; in autocommit, each statement's.
        async with opened as s:
            first = (await s.execute(text("SELECT now()" if IS_PG else "SELECT 1"))).scalar()
            await asyncio.sleep(0.02)
            return first, (await s.execute(text("SELECT now()" if IS_PG else "SELECT 1"))
                           ).scalar()

    read_first, read_second = await nows(db.reading())
    plain_first, plain_second = await nows(db.writing())
    assert (read_first != read_second) == IS_PG
    assert plain_first == plain_second


@pytest.mark.real_commits
async def test_a_read_request_still_writes_what_it_queued_or_added(engine, auth, world: World):
    """On PostgreSQL a GET's session runs in autocommit, so the unit of work skips the commit
    when there is nothing to write — but audit rows a read defers (a reveal, an export) and ORM
    objects it adds must still land, on both databases, through the production sessions."""
    db = Database(engine)
    app = create_app(make_settings(), db)
    router = DomainRouter()

    @router.get("/zz-read-audit/{mark}")
    async def deferred(mark: str, principal: CurrentPrincipal, session: SessionDep) -> dict:
        await audit.record(session, principal, "test.read", "zz", mark)
        return {}

    @router.get("/zz-read-add/{mark}")
    async def added(mark: str, principal: CurrentPrincipal, session: SessionDep) -> dict:
        session.add(AuditEntry(actor="system", action="test.add", object_type="zz",
                               object_id=mark, detail={}))
        return {}

    app.include_router(router, prefix=API)
    h = auth(world.user(Role.district_admin))
    async with committed_rows_removed(db):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as c:
            assert (await c.get(f"{API}/zz-read-audit/m1", headers=h)).status_code == 200
            assert (await c.get(f"{API}/zz-read-add/m2", headers=h)).status_code == 200
            assert (await c.get(f"{API}/me", headers=h)).status_code == 200
        async with engine.connect() as other:
            found = set(await other.scalars(
                select(AuditEntry.action).where(AuditEntry.object_type == "zz")))
        assert found == {"test.read", "test.add"}
