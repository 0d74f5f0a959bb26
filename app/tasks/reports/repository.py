"""SQL for progress reports."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.models import TaskReport


async def report(session: AsyncSession, task_id: int, report_id: int) -> TaskReport | None:
    found = await session.get(TaskReport, report_id)
    return found if found is not None and found.task_id == task_id else None


async def add(session: AsyncSession, row: TaskReport) -> bool:
    """False when the unit already reported that week (the unique key decides, so two
    requests at once cannot both file one)."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def page(
    session: AsyncSession,
    task_id: int,
    *,
    week: str | None,
    responsible_id: int | None,
    params: PageParams,
) -> list[TaskReport]:
    stmt = select(TaskReport).where(TaskReport.task_id == task_id)
    if week is not None:
        stmt = stmt.where(TaskReport.week == week)
    if responsible_id is not None:
        stmt = stmt.where(TaskReport.responsible_id == responsible_id)
    return list((await session.scalars(keyset(stmt, [(TaskReport.id, True)], params))).all())
