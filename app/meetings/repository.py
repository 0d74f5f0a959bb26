"""SQL for joint meetings: a page of meetings brings its attendees and resolution tasks in two
more statements, whatever its size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import readable
from app.core.security import Principal
from app.models import Cadre, KeyTask, Meeting, MeetingAttendee, Org, Unit


async def meeting(session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.get(Meeting, meeting_id)


async def org(session: AsyncSession, org_id: int) -> Org | None:
    return await session.get(Org, org_id)


async def unit(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


async def cadre(session: AsyncSession, cadre_id: int) -> Cadre | None:
    return await session.get(Cadre, cadre_id)


async def periods(session: AsyncSession, org_id: int, year: int) -> set[str]:
    stmt = select(Meeting.period).where(Meeting.org_id == org_id, Meeting.year == year)
    return set((await session.scalars(stmt)).all())


async def attendees(
    session: AsyncSession, meeting_ids: Sequence[int]
) -> dict[int, list[MeetingAttendee]]:
    out: dict[int, list[MeetingAttendee]] = {i: [] for i in meeting_ids}
    if meeting_ids:
        stmt = (
            select(MeetingAttendee)
            .where(MeetingAttendee.meeting_id.in_(meeting_ids))
            .order_by(MeetingAttendee.id)
        )
        for a in (await session.scalars(stmt)).all():
            out[a.meeting_id].append(a)
    return out


async def resolution_tasks(
    session: AsyncSession, meeting_ids: Sequence[int]
) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {i: [] for i in meeting_ids}
    if meeting_ids:
        stmt = (
            select(KeyTask.meeting_id, KeyTask.id)
            .where(KeyTask.meeting_id.in_(meeting_ids))
            .order_by(KeyTask.id)
        )
        for meeting_id, task_id in (await session.execute(stmt)).all():
            if meeting_id is not None:  # the IN above: never None
                out[meeting_id].append(task_id)
    return out


async def clear_attendees(session: AsyncSession, meeting_id: int) -> None:
    await session.execute(delete(MeetingAttendee).where(MeetingAttendee.meeting_id == meeting_id))


async def page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[Meeting]:
    stmt = select(Meeting).where(readable(principal, Meeting.org_path, Perm.meeting_read), *filters)
    # A year's schedule is generated in date order, so ids follow the dates.
    return list((await session.scalars(keyset(stmt, [(Meeting.id, False)], params))).all())
