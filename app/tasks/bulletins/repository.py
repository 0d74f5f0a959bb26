"""SQL for the weekly bulletin: a fixed number of statements whatever the number of tasks,
units and weeks of reports (the tasks, their responsible units, the week's reports with each
unit's previous percent) — bench/bulletin.py measures it on the district's full year."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import path_upper_bound, readable
from app.core.security import Principal
from app.models import (
    KeyTask,
    Org,
    RoleAssignment,
    TaskBulletin,
    TaskReport,
    TaskResponsible,
)


async def org(session: AsyncSession, org_id: int) -> Org | None:
    return await session.get(Org, org_id)


def _task_ids(principal: Principal, root: str, year: int) -> Select[Any]:
    return select(KeyTask.id).where(
        KeyTask.year == year,
        KeyTask.status != "cancelled",
        KeyTask.org_path >= root,
        KeyTask.org_path < path_upper_bound(root),
        readable(principal, KeyTask.org_path, Perm.task_read),
    )


# Rows (named tuples), not ORM objects: the district's bulletin reads ~1,500 of them, and
# building objects was most of its time (bench/bulletin.py on PostgreSQL, 48 tasks × 15 units,
# ~35,000 reports: p50 130 ms with objects at load ~8; with rows 60 ms at load ~8, 45 ms at
# load ~3). The answer is a pydantic model, so every request
# is validated against the schema (tests/tasks/test_bulletin.py).
async def tasks(session: AsyncSession, principal: Principal, root: str, year: int) -> list[Any]:
    stmt = (
        select(
            KeyTask.id,
            KeyTask.org_id,
            KeyTask.parent_id,
            KeyTask.seq,
            KeyTask.content,
            KeyTask.deadline,
            KeyTask.status,
        )
        .where(KeyTask.id.in_(_task_ids(principal, root, year)))
        .order_by(KeyTask.org_path, KeyTask.seq, KeyTask.id)
    )
    return list((await session.execute(stmt)).all())


async def responsibles(
    session: AsyncSession, principal: Principal, root: str, year: int
) -> list[Any]:
    stmt = (
        select(TaskResponsible.id, TaskResponsible.task_id, TaskResponsible.name)
        .where(TaskResponsible.task_id.in_(_task_ids(principal, root, year)))
        .order_by(TaskResponsible.id)
    )
    return list((await session.execute(stmt)).all())


async def week_reports(
    session: AsyncSession, principal: Principal, root: str, year: int, week: str, monday: date
) -> list[Any]:
    """The week's reports, each with the percent of its unit's previous report on the task: a
    correlated lookup that walks the (task, unit, week) unique index back one step ("YYYY-Www" sorts
    as the weeks do), instead of grouping every earlier report of the year."""
    earlier = aliased(TaskReport)
    previous = (
        select(earlier.percent)
        .where(
            earlier.task_id == TaskReport.task_id,
            earlier.responsible_id == TaskReport.responsible_id,
            earlier.week < week,
        )
        .order_by(earlier.week.desc())
        .limit(1)
        .correlate(TaskReport)
        .scalar_subquery()
    )
    stmt = select(
        TaskReport.id,
        TaskReport.task_id,
        TaskReport.responsible_id,
        TaskReport.percent,
        TaskReport.late,
        previous.label("previous"),
    ).where(
        TaskReport.week_start == monday,  # the (week_start, task_id) index
        TaskReport.task_id.in_(_task_ids(principal, root, year)),
    )
    return list((await session.execute(stmt)).all())


async def add(session: AsyncSession, row: TaskBulletin) -> bool:
    """False when that node's bulletin for the week is already published."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def bulletin(session: AsyncSession, bulletin_id: int) -> TaskBulletin | None:
    return await session.get(TaskBulletin, bulletin_id)


async def page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[TaskBulletin]:
    stmt = select(TaskBulletin).where(
        readable(principal, TaskBulletin.org_path, Perm.task_read), *filters
    )
    return list((await session.scalars(keyset(stmt, [(TaskBulletin.id, True)], params))).all())


async def staff_users(session: AsyncSession, org_ids: list[int], roles: list[str]) -> set[int]:
    """Users holding one of `roles` on exactly one of these nodes."""
    if not org_ids:
        return set()
    stmt = select(RoleAssignment.user_id).where(
        RoleAssignment.org_id.in_(org_ids), RoleAssignment.role.in_(roles)
    )
    return set((await session.scalars(stmt)).all())


async def staff_orgs(session: AsyncSession, responsible_ids: list[int]) -> list[int]:
    """The nodes where these responsible units' staff hold their roles."""
    if not responsible_ids:
        return []
    stmt = (
        select(TaskResponsible.staff_org_id)
        .where(TaskResponsible.id.in_(responsible_ids))
        .distinct()
    )
    return sorted((await session.scalars(stmt)).all())
