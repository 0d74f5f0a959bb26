"""Compiled reads (app/core/reads.py): on PostgreSQL's autocommit read sessions they go straight
to the driver; everywhere else through the session. Both must give the same rows, be counted
as statements, and fail the way SQLAlchemy fails."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, bindparam, literal_column, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import create_async_engine

from app.core import reads
from app.core.db import Database, count_statements
from app.core.permissions import Role
from app.core.reads import Read, Shaped
from app.core.scope import in_path_params, path_params
from app.models import Grid, Resident, User
from tests.conftest import IS_PG
from tests.factories import World
from tests.realdb import committed_rows_removed

GRIDS = Read(select(*Grid.__table__.c).where(Grid.level == "basic").order_by(Grid.id))
USER = Read(select(*User.__table__.c).where(User.id == bindparam("user_id")))
RESIDENTS = Read(select(*Resident.__table__.c).order_by(Resident.id))
DIVIDE = Read(select((literal_column("1") / bindparam("by", type_=Integer)).label("q")))


def _plain(rows: list) -> list[tuple]:
    return [tuple(r) for r in rows]


@pytest.mark.real_commits
async def test_the_driver_path_gives_what_the_session_gives(engine, world: World):
    """JSON (a grid's boundary), floats, timestamps with zones, ciphertext bytes, a constant
    bound in the statement and one given by the caller: the same values either way."""
    db = Database(engine)
    user = world.user(Role.grid_worker, "s1c1g1")
    async with committed_rows_removed(db):  # the world is committed; nothing else is written
        async with db.reading() as s:
            fast = [await GRIDS.all(s), await USER.all(s, user_id=user.id),
                    await RESIDENTS.all(s)]
            assert (reads.DRIVER_KEY in s.info) == IS_PG  # the fast path ran (PostgreSQL only)
        reads.ENABLED[0] = False
        try:
            async with db.reading() as s:
                plain = [await GRIDS.all(s), await USER.all(s, user_id=user.id),
                         await RESIDENTS.all(s)]
                assert reads.DRIVER_KEY not in s.info
        finally:
            reads.ENABLED[0] = True
    assert fast[0] and any(g.boundary for g in fast[0]) and fast[1] and fast[2]
    assert [_plain(f) for f in fast] == [_plain(p) for p in plain]
    assert fast[1][0].username == user.username  # attribute access by column key


async def test_write_sessions_and_joined_sessions_use_the_session(engine):
    db = Database(engine)
    async with db.writing() as s:
        assert (await DIVIDE.all(s, by=1))[0].q == 1
        assert reads.DRIVER_KEY not in s.info  # a writer's transaction belongs to SQLAlchemy


@pytest.mark.skipif(not IS_PG, reason="the driver path is PostgreSQL's")
async def test_statement_counters_see_driver_reads(engine):
    db = Database(engine)
    counter = [0]
    remove = count_statements(engine.sync_engine, counter)
    try:
        async with db.reading() as s:
            await DIVIDE.all(s, by=1)
            await DIVIDE.all(s, by=2)
    finally:
        remove()
    assert counter[0] == 2


@pytest.mark.skipif(not IS_PG, reason="the driver path is PostgreSQL's")
async def test_a_server_error_is_sqlalchemys_error_and_the_connection_stays_usable(engine):
    db = Database(engine)
    async with db.reading() as s:
        with pytest.raises(sa_exc.DBAPIError) as raised:
            await DIVIDE.all(s, by=0)
        assert raised.value.orig.sqlstate == "22012"  # division_by_zero, not an outage
        assert (await DIVIDE.all(s, by=1))[0].q == 1


@pytest.mark.skipif(not IS_PG, reason="the driver path is PostgreSQL's")
async def test_a_dead_connection_is_invalidated_like_sqlalchemy_does(engine):
    """A connection cut under the read fails as a disconnect (the outage handler's 503) and
    leaves the pool: the next session gets a working one."""
    db = Database(engine)
    async with db.reading() as s:
        await DIVIDE.all(s, by=1)
        driver = s.info[reads.DRIVER_KEY][0]
        driver.terminate()
        with pytest.raises(sa_exc.DBAPIError) as raised:
            await DIVIDE.all(s, by=1)
        assert raised.value.connection_invalidated
    async with db.reading() as s:
        assert (await DIVIDE.all(s, by=1))[0].q == 1


@pytest.mark.skipif(not IS_PG, reason="the driver path is PostgreSQL's")
async def test_a_session_that_gave_its_connection_back_takes_its_next_one(engine):
    """After a commit the connection is back in the pool (another request may hold it): the
    session's next read must not use the one it had. A pool of two, last in first out, so
    that the other session surely takes the connection just given back."""
    own = create_async_engine(engine.url, pool_size=2, max_overflow=0, pool_use_lifo=True)
    db = Database(own)
    try:
        async with db.reading() as s:
            await DIVIDE.all(s, by=1)
            first = s.info[reads.DRIVER_KEY][0]
            await s.commit()
            async with db.reading() as other:  # takes the connection just given back
                await DIVIDE.all(other, by=1)
                assert other.info[reads.DRIVER_KEY][0] is first
                await DIVIDE.all(s, by=1)
                assert s.info[reads.DRIVER_KEY][0] is not first
    finally:
        await own.dispose()


def test_in_lists_are_refused_when_the_read_is_built():
    with pytest.raises(ValueError, match="expanding"):
        Read(select(User.id).where(User.id.in_(bindparam("ids", expanding=True))))


@pytest.mark.real_commits
async def test_shaped_reads_scope_by_bound_subtrees(engine, world: World):
    """One statement per number of subtrees; the paths are parameters, so rows outside them
    stay out whatever the shape."""
    db = Database(engine)
    a, b = world.grids[0], world.grids[2]
    family = Shaped(lambda n: select(Grid.id).where(in_path_params(Grid.org_path, n))
                    .order_by(Grid.id))
    async with committed_rows_removed(db):
        async with db.reading() as s:
            only_a = await family[1].all(s, **path_params([a.org_path]))
            both = await family[2].all(s, **path_params([a.org_path, b.org_path]))
            none = await family[0].all(s)
    assert [r.id for r in only_a] == [a.id]
    assert {r.id for r in both} == {a.id, b.id}
    assert none == []
    assert family[1] is family[1]  # one compiled read per shape
