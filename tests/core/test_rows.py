"""Side rows in one go (app/core/rows.py) and the model defaults they are filled with."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, select, update

from app.core import audit, outbox, rows
from app.core.db import Database
from app.core.types import utcnow
from app.models import AuditEntry, CaseEvent, OutboxEvent
from app.models.base import table_of, with_defaults
from tests.conftest import IS_PG
from tests.factories import World


def test_defaults_fill_what_the_values_leave_out():
    before = utcnow()
    values = with_defaults(table_of(OutboxEvent), {"topic": "t", "payload": {"a": 1}})
    assert values["status"] == "pending" and values["attempts"] == 0
    assert values["available_at"] >= before and values["created_at"] >= before
    assert (values["topic"], values["payload"]) == ("t", {"a": 1})
    later = before + timedelta(hours=1)
    assert with_defaults(table_of(OutboxEvent), {"available_at": later})["available_at"] == later


def test_a_callable_default_gives_each_row_its_own_value():
    table = table_of(CaseEvent)
    a, b = with_defaults(table, {}), with_defaults(table, {})
    assert a["data"] == {} and a["data"] is not b["data"]  # default=dict, not one shared dict


async def test_rows_of_three_tables_are_written_with_their_defaults(db: Database,
                                                                   world: World, statements):
    case = world.cases[0]
    async with db.writing() as s:
        with statements:
            await rows.insert_all(s, [
                (table_of(CaseEvent), {"case_id": case.id, "action": "report",
                                       "to_status": "reported", "actor": "user:1"}),
                outbox.row("test.rows", {"n": 1}),
                audit.row(None, "rows.test", "case", case.id, org_path=case.org_path,
                          detail={"k": "v"}),
            ])
        # One statement on PostgreSQL (chained CTEs), one per row on SQLite.
        assert statements.count == (1 if IS_PG else 3)
        event = (await s.execute(select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.actor == "user:1"))).scalar_one()
        assert (event.action, event.data) == ("report", {})
        queued = (await s.execute(select(OutboxEvent).where(
            OutboxEvent.topic == "test.rows"))).scalar_one()
        assert (queued.payload, queued.status, queued.attempts) == ({"n": 1}, "pending", 0)
        entry = (await s.execute(select(AuditEntry).where(
            AuditEntry.action == "rows.test"))).scalar_one()
        assert (entry.actor, entry.object_id, entry.detail) == ("system", str(case.id),
                                                               {"k": "v"})
        await s.rollback()


async def test_one_row_and_no_rows(db: Database):
    async with db.writing() as s:
        await rows.insert_all(s, [])
        await rows.insert_all(s, [outbox.row("test.one", {})])
        found = (await s.execute(select(OutboxEvent.topic).where(
            OutboxEvent.topic == "test.one"))).scalars().all()
        assert found == ["test.one"]
        await s.rollback()


async def test_deferred_rows_are_written_at_commit(db: Database, world: World):
    # Outside the unit of work (the worker, the CLI): the session's commit writes them.
    async with db.writing() as s:
        rows.defer(s, [outbox.row("test.deferred", {"n": 1}),
                       audit.row(None, "rows.deferred", "case", world.cases[0].id)])
        found = (await s.execute(select(OutboxEvent).where(
            OutboxEvent.topic == "test.deferred"))).scalars().all()
        assert found == []  # queued, like an ORM object before its flush
        await s.commit()
    async with db.writing() as s:
        assert (await s.execute(select(OutboxEvent.payload).where(
            OutboxEvent.topic == "test.deferred"))).scalar_one() == {"n": 1}
        assert (await s.execute(select(AuditEntry.object_id).where(
            AuditEntry.action == "rows.deferred"))).scalar_one() == str(world.cases[0].id)


async def test_deferred_rows_go_with_the_last_statement(db: Database, statements):
    events = table_of(OutboxEvent)
    async with db.writing() as s:
        await rows.insert_all(s, [outbox.row("test.target", {})])
        rows.defer(s, [outbox.row("test.with-last", {"n": 2})])
        then = (update(events).where(events.c.topic == bindparam("the_topic")).values(
            attempts=7), {"the_topic": "test.target"})
        with statements:
            await rows.write_pending(s, then=then)
        assert statements.count == (1 if IS_PG else 2)
        assert (await s.execute(select(OutboxEvent.payload).where(
            OutboxEvent.topic == "test.with-last"))).scalar_one() == {"n": 2}
        assert (await s.execute(select(OutboxEvent.attempts).where(
            OutboxEvent.topic == "test.target"))).scalar_one() == 7
        with statements:
            await rows.write_pending(s)  # nothing left: no statement
        assert statements.count == 0
        await s.rollback()


async def test_rows_queued_before_a_rollback_are_not_written(db: Database):
    async with db.writing() as s:
        rows.defer(s, [outbox.row("test.rolled-back", {})])
        await s.rollback()
        rows.defer(s, [outbox.row("test.kept", {})])
        await s.commit()
    async with db.writing() as s:
        topics = (await s.execute(select(OutboxEvent.topic).where(
            OutboxEvent.topic.in_(["test.rolled-back", "test.kept"])))).scalars().all()
        assert topics == ["test.kept"]
