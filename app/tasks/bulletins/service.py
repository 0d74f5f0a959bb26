"""The weekly bulletin (周通报) of a node's key tasks and the frozen copies published from it.

The live bulletin is computed on every GET. Publishing stores the computed bulletin as a JSON
snapshot: a report edited afterwards changes the live bulletin, never the published one. The
responsible units' staff are told in their inbox and by a WeChat message (through the outbox)
on the bulletin's own template, GRID_WECHAT_BULLETIN_TEMPLATE_ID (unset: inbox only).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.config import Settings
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.permissions import ROLE_PERMISSIONS, Perm
from app.core.scope import authorize, sees
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Org, TaskBulletin
from app.models.scoped import scope_from
from app.notify import service as notify
from app.tasks.bulletins import repository as repo
from app.tasks.bulletins.schemas import (
    BulletinPublish,
    BulletinRead,
    BulletinTask,
    BulletinTotals,
    PublishedBulletin,
    UnitMissing,
    UnitReported,
)
from app.tasks.errors import BulletinNotFound, BulletinPublished
from app.tasks.weeks import Week

OPEN = frozenset({"in_progress", "suspended"})
REPORTING_ROLES = sorted(
    r.value for r, perms in ROLE_PERMISSIONS.items() if Perm.task_report in perms
)


async def _org(session: AsyncSession, principal: Principal, org_id: int, permission: Perm) -> Org:
    org = await repo.org(session, org_id)
    if org is None or not sees(principal, org.path):
        raise field_error("org_id", "组织不存在", "No such organisation")
    authorize(principal, permission, org.path)
    return org


def _task_entry(
    task: Row[Any], named: list[Row[Any]], reports: dict[tuple[int, int], Row[Any]], week: Week
) -> BulletinTask:
    reported, missing = [], []
    for r in named:
        report = reports.get((task.id, r.id))
        if report is None:
            missing.append(UnitMissing(responsible_id=r.id, name=r.name))
            continue
        before = report.previous
        reported.append(
            UnitReported(
                responsible_id=r.id,
                name=r.name,
                report_id=report.id,
                percent=report.percent,
                late=report.late,
                previous_percent=before,
                change=None if before is None else report.percent - before,
            )
        )
    overdue = task.deadline is not None and task.deadline <= week.sunday and task.status in OPEN
    return BulletinTask(
        task_id=task.id,
        org_id=task.org_id,
        parent_id=task.parent_id,
        seq=task.seq,
        content=task.content,
        deadline=task.deadline,
        status=task.status,
        overdue=overdue,
        reported=reported,
        missing=missing,
    )


def _totals(entries: list[BulletinTask]) -> BulletinTotals:
    reported = [u for e in entries for u in e.reported]
    missing = sum(len(e.missing) for e in entries)
    return BulletinTotals(
        tasks=len(entries),
        expected=len(reported) + missing,
        reported=len(reported),
        missing=missing,
        late=sum(u.late for u in reported),
        overdue=sum(e.overdue for e in entries),
        changed=sum(1 for u in reported if u.change != 0),
    )


async def _compute(
    session: AsyncSession, principal: Principal, org: Org, week: Week
) -> BulletinRead:
    args = (session, principal, org.path, week.year)
    tasks = await repo.tasks(*args)
    named: dict[int, list[Row[Any]]] = defaultdict(list)
    for r in await repo.responsibles(*args):
        named[r.task_id].append(r)
    found = await repo.week_reports(*args, str(week), week.monday)
    reports = {(r.task_id, r.responsible_id): r for r in found}
    entries = [_task_entry(t, named[t.id], reports, week) for t in tasks]
    return BulletinRead(
        org_id=org.id,
        org_path=org.path,
        week=str(week),
        week_start=week.monday,
        week_end=week.sunday,
        generated_at=utcnow(),
        totals=_totals(entries),
        tasks=entries,
    )


async def live(
    session: AsyncSession, principal: Principal, *, org_id: int, week: Week
) -> BulletinRead:
    """The bulletin as the reports stand now, of the tasks of the node's subtree (its own list
    and the lists below it) the caller may read, for the week's ISO year."""
    org = await _org(session, principal, org_id, Perm.task_read)
    return await _compute(session, principal, org, week)


async def publish(
    session: AsyncSession, principal: Principal, settings: Settings, data: BulletinPublish
) -> TaskBulletin:
    org = await _org(session, principal, data.org_id, Perm.task_write)
    week = Week.field(data.week)
    bulletin = await _compute(session, principal, org, week)
    row = TaskBulletin(
        org_id=org.id,
        **scope_from(org),
        week=str(week),
        snapshot=bulletin.model_dump(mode="json"),
        published_at=utcnow(),
        published_by=principal.id if principal.kind == "user" else None,
    )
    if not await repo.add(session, row):
        raise BulletinPublished()
    await _tell_units(session, settings, org, row, bulletin)
    await audit.record(
        session,
        principal,
        "task.bulletin_publish",
        "task_bulletin",
        row.id,
        org_path=row.org_path,
        detail={"week": row.week},
    )
    return row


async def _tell_units(
    session: AsyncSession, settings: Settings, org: Org, row: TaskBulletin, bulletin: BulletinRead
) -> None:
    ids = sorted(
        {u.responsible_id for t in bulletin.tasks for u in t.reported}
        | {m.responsible_id for t in bulletin.tasks for m in t.missing}
    )
    staff_orgs = await repo.staff_orgs(session, ids)
    users = await repo.staff_users(session, staff_orgs, REPORTING_ROLES)
    title = f"{org.name}重点任务周通报（{row.week}）已发布"
    totals = bulletin.totals
    body = (
        f"应报 {totals.expected}，已报 {totals.reported}，未报 {totals.missing}，"
        f"逾期任务 {totals.overdue}"
    )
    await notify.notify(
        session,
        settings,
        users,
        kind="task_bulletin",
        title=title,
        body=body,
        data={"bulletin_id": row.id, "week": row.week},
        wechat={"title": title, "week": row.week, "status": body},
        template="bulletin",
    )


async def get(session: AsyncSession, principal: Principal, bulletin_id: int) -> TaskBulletin:
    row = await repo.bulletin(session, bulletin_id)
    if row is None:
        raise BulletinNotFound()
    authorize(principal, Perm.task_read, row.org_path, not_found=BulletinNotFound())
    return row


async def page(
    session: AsyncSession,
    principal: Principal,
    *,
    org_id: int | None,
    week: str | None,
    params: PageParams,
) -> list[TaskBulletin]:
    filters = []
    if org_id is not None:
        filters.append(TaskBulletin.org_id == org_id)
    if week is not None:
        filters.append(TaskBulletin.week == week)
    return await repo.page(session, principal, filters=filters, params=params)


def read(row: TaskBulletin) -> PublishedBulletin:
    return PublishedBulletin(
        id=row.id,
        org_id=row.org_id,
        org_path=row.org_path,
        week=row.week,
        published_by=row.published_by,
        published_at=row.published_at,
        bulletin=BulletinRead.model_validate(row.snapshot),
    )
