"""World objects for key tasks, bulletins and joint meetings (see the World fields they fill)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.types import utcnow
from app.files.storage import FileStorage
from app.models import (
    KeyTask,
    Meeting,
    MeetingAttendee,
    Org,
    TaskBulletin,
    TaskReport,
    TaskResponsible,
)
from app.models.scoped import scope_from
from app.tasks.bulletins.schemas import BulletinRead, BulletinTotals
from tests.factories import World, attach_photo

WEEK = "2026-W48"
WEEK_START = date(2026, 11, 23)


async def make_task(
    session: AsyncSession,
    org: Org,
    *,
    year: int = 2026,
    seq: int = 1,
    content: str = "推进红色物业全覆盖",
    responsible: Org | None = None,
    deadline: date | None = date(2026, 12, 31),
    parent: KeyTask | None = None,
) -> tuple[KeyTask, TaskResponsible]:
    task = KeyTask(
        org_id=org.id,
        **scope_from(org),
        year=year,
        seq=seq,
        content=content,
        target="年底前完成",
        deadline=deadline,
        status="in_progress",
        parent_id=parent.id if parent else None,
    )
    session.add(task)
    await session.flush()
    node = responsible or org
    named = TaskResponsible(task_id=task.id, org_id=node.id, staff_org_id=node.id, name=node.name)
    session.add(named)
    await session.flush()
    return task, named


async def make_report(
    session: AsyncSession,
    task: KeyTask,
    named: TaskResponsible,
    *,
    week: str = WEEK,
    week_start: date = WEEK_START,
    percent: int = 40,
) -> TaskReport:
    report = TaskReport(
        task_id=task.id,
        responsible_id=named.id,
        **scope_from(task),
        week=week,
        week_start=week_start,
        percent=percent,
        text="已完成摸底",
        attachment_ids=[],
        late=False,
    )
    session.add(report)
    await session.flush()
    return report


def empty_snapshot(org: Org) -> dict[str, object]:
    totals = BulletinTotals(
        tasks=0, expected=0, reported=0, missing=0, late=0, overdue=0, changed=0
    )
    return BulletinRead(
        org_id=org.id,
        org_path=org.path,
        week=WEEK,
        week_start=WEEK_START,
        week_end=date(2026, 11, 29),
        generated_at=utcnow(),
        totals=totals,
        tasks=[],
    ).model_dump(mode="json")


async def add_steering(session: AsyncSession, world: World, storage: FileStorage) -> None:
    for community in world.communities:
        task, named = await make_task(session, community)
        report = await make_report(session, task, named)
        att = await attach_photo(session, storage, None, owner="system")
        att.task_report_id = report.id
        report.attachment_ids = [att.id]
        bulletin = TaskBulletin(
            org_id=community.id,
            **scope_from(community),
            week=WEEK,
            snapshot=empty_snapshot(community),
            published_at=utcnow(),
        )
        meeting = Meeting(
            org_id=community.id,
            **scope_from(community),
            year=2026,
            period="2026-12",
            title=f"{community.name}联席会议（2026-12）",
            scheduled_on=date(2026, 12, 10),
            status="scheduled",
            minutes_attachment_ids=[],
        )
        session.add_all([bulletin, meeting])
        await session.flush()
        session.add(
            MeetingAttendee(
                meeting_id=meeting.id,
                kind="org",
                ref_id=community.id,
                name=community.name,
                staff_org_id=community.id,
            )
        )
        minutes = await attach_photo(session, storage, None, owner="system")
        minutes.meeting_id = meeting.id
        meeting.minutes_attachment_ids = [minutes.id]
        world.tasks.append(task)
        world.task_responsibles.append(named)
        world.task_reports.append(report)
        world.task_report_attachments.append(att)
        world.bulletins.append(bulletin)
        world.meetings.append(meeting)
        world.meeting_attachments.append(minutes)
    await session.flush()
