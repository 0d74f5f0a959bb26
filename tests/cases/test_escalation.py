"""督办: overdue cases escalate once per threshold, from the worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.cases import escalation
from app.cases.calendar import calendar_for
from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Case, CaseEvent, Notification, OutboxEvent
from tests.factories import World, make_case

DAY = timedelta(days=1)


async def _overdue_case(db, world: World, *, late: timedelta, **changes) -> Case:
    async with db.writing() as s:
        case = await make_case(s, world.grids[3], world.user(Role.grid_worker, "s1c2g2"),
                               due_at=utcnow() - late, reported_at=utcnow() - late - DAY,
                               **changes)
        await s.commit()
    return case


async def _level(db, case_id: int) -> int:
    async with db.writing() as s:
        return int(await s.scalar(select(Case.escalation_level).where(Case.id == case_id)) or 0)


async def _count(db, model, *conds) -> int:
    async with db.writing() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*conds)) or 0)


class TestLevels:
    def test_not_overdue_is_level_0(self, settings):
        cal = calendar_for(settings)
        now = utcnow()
        assert escalation.level_for(cal, now + DAY, 4, now) == 0

    def test_thresholds(self, settings):
        cal = calendar_for(settings)
        due = utcnow() - timedelta(days=30)
        assert escalation.level_for(cal, due, 10_000, utcnow()) == 1
        assert escalation.level_for(cal, due, 1, utcnow()) == escalation.MAX_LEVEL


class TestSweep:
    async def test_escalates_once_with_timeline_notice_and_event(self, db, world: World,
                                                                 worker_ctx):
        case = await _overdue_case(db, world, late=timedelta(minutes=5))
        assert await escalation.sweep(worker_ctx) >= 1
        assert await _level(db, case.id) == 1
        assert await _count(db, CaseEvent, CaseEvent.case_id == case.id,
                            CaseEvent.action == "escalate") == 1
        told = await _count(db, Notification, Notification.case_id == case.id,
                            Notification.kind == "case_overdue")
        assert told >= 2  # the grid head and the community admin
        fanouts = await _count(db, OutboxEvent, OutboxEvent.topic == "webhook.fanout")
        assert fanouts >= 1
        await escalation.sweep(worker_ctx)
        assert await _count(db, CaseEvent, CaseEvent.case_id == case.id,
                            CaseEvent.action == "escalate") == 1

    async def test_far_overdue_goes_to_the_top_level_once(self, db, world: World, worker_ctx):
        case = await _overdue_case(db, world, late=timedelta(days=60))
        await escalation.sweep(worker_ctx)
        assert await _level(db, case.id) == escalation.MAX_LEVEL
        district_admin = world.user(Role.district_admin)
        assert await _count(db, Notification, Notification.case_id == case.id,
                            Notification.user_id == district_admin.id) == 1

    async def test_closed_cases_are_left_alone(self, db, world: World, worker_ctx):
        case = await _overdue_case(db, world, late=timedelta(days=3), status="closed")
        await escalation.sweep(worker_ctx)
        assert await _level(db, case.id) == 0

    async def test_a_claimed_level_is_not_escalated_again(self, db, world: World, worker_ctx):
        case = await _overdue_case(db, world, late=timedelta(minutes=5))
        async with db.writing() as s:
            row = await s.get(Case, case.id)
            assert row is not None
            assert await escalation._claim(s, row, 1)
            assert not await escalation._claim(s, row, 1)  # a second worker loses the race
            await s.commit()

    @pytest.mark.parametrize("status", ["suspended", "rejected"])
    async def test_not_open_is_ignored(self, db, world: World, worker_ctx, status):
        case = await _overdue_case(db, world, late=timedelta(days=3), status=status)
        await escalation.sweep(worker_ctx)
        assert await _level(db, case.id) == 0
