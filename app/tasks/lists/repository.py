"""SQL for key tasks: lists start from the caller's scope; a task's responsible units come in
one more statement for the whole page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import path_upper_bound, readable
from app.core.security import Principal
from app.models import KeyTask, Org, TaskReport, TaskResponsible, Unit


async def task(session: AsyncSession, task_id: int) -> KeyTask | None:
    return await session.get(KeyTask, task_id)


async def org(session: AsyncSession, org_id: int) -> Org | None:
    return await session.get(Org, org_id)


async def unit(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


async def responsibles(
    session: AsyncSession, task_ids: Sequence[int]
) -> dict[int, list[TaskResponsible]]:
    out: dict[int, list[TaskResponsible]] = {i: [] for i in task_ids}
    if not task_ids:
        return out
    stmt = (
        select(TaskResponsible)
        .where(TaskResponsible.task_id.in_(task_ids))
        .order_by(TaskResponsible.id)
    )
    for r in (await session.scalars(stmt)).all():
        out[r.task_id].append(r)
    return out


async def replace_responsibles(
    session: AsyncSession, task_id: int, rows: list[TaskResponsible]
) -> None:
    """Keeps the rows that stay (their reports hang on them), drops the others."""
    current = (await responsibles(session, [task_id]))[task_id]
    wanted = {(r.org_id, r.unit_id) for r in rows}
    gone = [r.id for r in current if (r.org_id, r.unit_id) not in wanted]
    if gone:
        await session.execute(delete(TaskResponsible).where(TaskResponsible.id.in_(gone)))
    kept = {(r.org_id, r.unit_id) for r in current}
    session.add_all([r for r in rows if (r.org_id, r.unit_id) not in kept])


async def list_page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], page: PageParams
) -> list[KeyTask]:
    stmt = select(KeyTask).where(readable(principal, KeyTask.org_path, Perm.task_read), *filters)
    return list((await session.scalars(keyset(stmt, [(KeyTask.id, False)], page))).all())


async def assigned_page(
    session: AsyncSession, staff_org_ids: list[int], *, year: int | None, page: PageParams
) -> list[KeyTask]:
    """Tasks naming one of these nodes (or a unit sitting on one) as responsible."""
    named = exists().where(
        TaskResponsible.task_id == KeyTask.id, TaskResponsible.staff_org_id.in_(staff_org_ids)
    )
    stmt = select(KeyTask).where(named)
    if year is not None:
        stmt = stmt.where(KeyTask.year == year)
    return list((await session.scalars(keyset(stmt, [(KeyTask.id, False)], page))).all())


async def is_referenced(session: AsyncSession, task_id: int) -> bool:
    child = select(KeyTask.id).where(KeyTask.parent_id == task_id).limit(1)
    report = select(TaskReport.id).where(TaskReport.task_id == task_id).limit(1)
    stmt = select(or_(exists(child), exists(report)))
    return bool(await session.scalar(stmt))


async def remove(session: AsyncSession, task: KeyTask) -> None:
    await session.delete(task)
    await session.flush()


async def units(session: AsyncSession) -> list[Unit]:
    return list((await session.scalars(select(Unit).order_by(Unit.id))).all())


async def subtree(session: AsyncSession, path: str) -> list[Org]:
    stmt = select(Org).where(Org.path >= path, Org.path < path_upper_bound(path)).order_by(Org.path)
    return list((await session.scalars(stmt)).all())


async def of_list(session: AsyncSession, org_id: int, year: int) -> list[KeyTask]:
    stmt = (
        select(KeyTask)
        .where(KeyTask.org_id == org_id, KeyTask.year == year)
        .order_by(KeyTask.seq, KeyTask.id)
    )
    return list((await session.scalars(stmt)).all())


async def lead_names(session: AsyncSession, tasks: list[KeyTask]) -> dict[int, str]:
    """Each task's lead unit by name (an org node or a unit), two statements for all."""
    org_ids = {t.lead_org_id for t in tasks if t.lead_org_id is not None}
    unit_ids = {t.lead_unit_id for t in tasks if t.lead_unit_id is not None}
    orgs: dict[int, str] = {}
    units_: dict[int, str] = {}
    if org_ids:
        stmt = select(Org.id, Org.name).where(Org.id.in_(org_ids))
        orgs = {i: n for i, n in (await session.execute(stmt)).all()}
    if unit_ids:
        stmt = select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))
        units_ = {i: n for i, n in (await session.execute(stmt)).all()}
    out: dict[int, str] = {}
    for t in tasks:
        name = orgs.get(t.lead_org_id or 0) or units_.get(t.lead_unit_id or 0)
        if name:
            out[t.id] = name
    return out
