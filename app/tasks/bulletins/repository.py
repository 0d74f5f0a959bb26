"""SQL for the weekly bulletin: a fixed number of statements whatever the number of tasks,
units and weeks of reports (tasks, their responsible units, the week's reports, each unit's
previous report) — bench/bulletin.py measures it on the district's full year."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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
        KeyTask.year == year, KeyTask.status != "cancelled",
        KeyTask.org_path >= root, KeyTask.org_path < path_upper_bound(root),
        readable(principal, KeyTask.org_path, Perm.task_read))


async def tasks(session: AsyncSession, principal: Principal, root: str, year: int
                ) -> list[KeyTask]:
    stmt = (select(KeyTask).where(KeyTask.id.in_(_task_ids(principal, root, year)))
            .order_by(KeyTask.org_path, KeyTask.seq, KeyTask.id))
    return list((await session.scalars(stmt)).all())


async def responsibles(session: AsyncSession, principal: Principal, root: str, year: int
                       ) -> list[TaskResponsible]:
    stmt = (select(TaskResponsible)
            .where(TaskResponsible.task_id.in_(_task_ids(principal, root, year)))
            .order_by(TaskResponsible.id))
    return list((await session.scalars(stmt)).all())


async def week_reports(session: AsyncSession, principal: Principal, root: str, year: int,
                       monday: date) -> list[TaskReport]:
    stmt = select(TaskReport).where(TaskReport.week_start == monday,
                                    TaskReport.task_id.in_(_task_ids(principal, root, year)))
    return list((await session.scalars(stmt)).all())


async def previous_percents(session: AsyncSession, principal: Principal, root: str, year: int,
                            monday: date) -> dict[tuple[int, int], int]:
    """Each (task, unit)'s latest report before the week: its percent."""
    latest = (
        select(TaskReport.task_id, TaskReport.responsible_id,
               func.max(TaskReport.week_start).label("week_start"))
        .where(TaskReport.week_start < monday,
               TaskReport.task_id.in_(_task_ids(principal, root, year)))
        .group_by(TaskReport.task_id, TaskReport.responsible_id)
        .subquery()
    )
    stmt = select(TaskReport.task_id, TaskReport.responsible_id, TaskReport.percent).join(
        latest, and_(TaskReport.task_id == latest.c.task_id,
                     TaskReport.responsible_id == latest.c.responsible_id,
                     TaskReport.week_start == latest.c.week_start))
    return {(t, r): p for t, r, p in (await session.execute(stmt)).all()}


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


async def page(session: AsyncSession, principal: Principal, *, filters: list[Any],
               params: PageParams) -> list[TaskBulletin]:
    stmt = select(TaskBulletin).where(readable(principal, TaskBulletin.org_path, Perm.task_read),
                                      *filters)
    return list((await session.scalars(keyset(stmt, [(TaskBulletin.id, True)], params))).all())


async def staff_users(session: AsyncSession, org_ids: list[int], roles: list[str]) -> set[int]:
    """Users holding one of `roles` on exactly one of these nodes."""
    if not org_ids:
        return set()
    stmt = select(RoleAssignment.user_id).where(RoleAssignment.org_id.in_(org_ids),
                                                RoleAssignment.role.in_(roles))
    return set((await session.scalars(stmt)).all())



async def staff_orgs(session: AsyncSession, responsible_ids: list[int]) -> list[int]:
    """The nodes where these responsible units' staff hold their roles."""
    if not responsible_ids:
        return []
    stmt = select(TaskResponsible.staff_org_id).where(
        TaskResponsible.id.in_(responsible_ids)).distinct()
    return sorted((await session.scalars(stmt)).all())
