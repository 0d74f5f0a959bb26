"""Weekly progress reports: a responsible unit's staff file one per task and ISO week.

A second report for the same unit, task and week is 409 `task_report_exists`: the unit edits the
one it filed (PATCH with If-Match) instead, so a week never has two answers and a retry cannot
silently overwrite a colleague's text. A report filed after its week ended (Sunday 24:00 in
Asia/Shanghai) is marked late; editing it later does not change that mark.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.cases import service as uploads
from app.cases.errors import AttachmentNotFound
from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.security import Principal
from app.core.types import utcnow
from app.models import CaseAttachment, KeyTask, TaskReport, TaskResponsible
from app.models.scoped import scope_from
from app.tasks.errors import NotResponsible, ReportExists, ReportNotFound
from app.tasks.lists import service as tasks
from app.tasks.reports import repository as repo
from app.tasks.reports.schemas import TaskReportCreate, TaskReportRead, TaskReportUpdate
from app.tasks.weeks import Week, is_late


def _responsible(
    principal: Principal, named: list[TaskResponsible], responsible_id: int
) -> TaskResponsible:
    found = next((r for r in named if r.id == responsible_id), None)
    if found is None:
        raise field_error(
            "responsible_id", "该任务没有这个责任单位", "No such responsible unit on this task"
        )
    if not tasks.acts_for(principal, found):
        raise NotResponsible()
    return found


def _week(data: TaskReportCreate, now: datetime) -> Week:
    week = Week.field(data.week) if data.week else Week.at(now)
    if week.monday > Week.at(now).monday:
        raise field_error("week", "不能为将来的周报告进度", "That week has not started")
    return week


async def create(
    session: AsyncSession,
    principal: Principal,
    task: KeyTask,
    named: list[TaskResponsible],
    data: TaskReportCreate,
) -> TaskReport:
    responsible = _responsible(principal, named, data.responsible_id)
    now = utcnow()
    week = _week(data, now)
    row = TaskReport(
        task_id=task.id,
        responsible_id=responsible.id,
        **scope_from(task),
        week=str(week),
        week_start=week.monday,
        percent=data.percent,
        text=data.text,
        attachment_ids=data.attachment_ids,
        late=is_late(week, now),
        reported_by=principal.id if principal.kind == "user" else None,
    )
    if not await repo.add(session, row):
        raise ReportExists()
    await uploads.bind_uploads(session, principal, data.attachment_ids, task_report_id=row.id)
    await audit.record(
        session,
        principal,
        "task.report",
        "key_task_report",
        row.id,
        org_path=row.org_path,
        detail={"week": row.week, "late": row.late},
    )
    return row


async def get(session: AsyncSession, task_id: int, report_id: int) -> TaskReport:
    row = await repo.report(session, task_id, report_id)
    if row is None:
        raise ReportNotFound()
    return row


async def update(
    session: AsyncSession,
    principal: Principal,
    named: list[TaskResponsible],
    row: TaskReport,
    data: TaskReportUpdate,
) -> TaskReport:
    _responsible(principal, named, row.responsible_id)
    changes = data.model_dump(exclude_unset=True)
    for name in ("percent", "text"):
        if name in changes and changes[name] is None:
            raise field_error(name, "不能为空", "must not be null")
    added = [i for i in (changes.pop("attachment_ids", None) or []) if i not in row.attachment_ids]
    await uploads.bind_uploads(session, principal, added, task_report_id=row.id)
    if added:
        row.attachment_ids = [*row.attachment_ids, *added]
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    await flush_versioned(session)
    await audit.record(
        session,
        principal,
        "task.report_edit",
        "key_task_report",
        row.id,
        org_path=row.org_path,
        detail={"fields": sorted(data.model_fields_set)},
    )
    return row


async def evidence(session: AsyncSession, row: TaskReport, attachment_id: int) -> CaseAttachment:
    att = await uploads.held_upload(session, attachment_id, task_report_id=row.id)
    if att is None:
        raise AttachmentNotFound()
    return att


async def page(
    session: AsyncSession,
    task: KeyTask,
    *,
    week: str | None,
    responsible_id: int | None,
    params: PageParams,
) -> list[TaskReport]:
    return await repo.page(
        session, task.id, week=week, responsible_id=responsible_id, params=params
    )


def read(row: TaskReport) -> TaskReportRead:
    return TaskReportRead(
        id=row.id,
        task_id=row.task_id,
        responsible_id=row.responsible_id,
        org_path=row.org_path,
        week=row.week,
        week_start=row.week_start,
        percent=row.percent,
        text=row.text,
        attachment_ids=list(row.attachment_ids),
        late=row.late,
        reported_by=row.reported_by,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
