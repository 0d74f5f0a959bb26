"""Joint meetings (联席会议): the year's schedule of a node, moves and cancellations with a
reason, attendees (org nodes, units, seconded cadres), sign-in from the phone with a one-time
code shown at the meeting, minutes with attachments, and resolutions kept as key tasks.

Visibility: a meeting is seen by whoever's grants cover its node, and by its attendees wherever
they sit (a unit's liaison at the unit's agency node, a cadre's own account), who must reach it
to sign in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.cases import service as uploads
from app.cases.errors import AttachmentNotFound
from app.core import audit
from app.core.concurrency import flush_versioned
from app.core.errors import field_error
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize, sees
from app.core.security import Principal
from app.core.types import utcnow
from app.meetings import repository as repo
from app.meetings import schedule
from app.meetings.errors import (
    InvalidTransition,
    MeetingNotFound,
    NotAttendee,
    SignInClosed,
    WrongCode,
)
from app.meetings.schemas import (
    AttendeeIn,
    AttendeeKind,
    AttendeeRead,
    MeetingRead,
    MeetingStatus,
    MinutesPut,
    ResolutionCreate,
    ScheduleCreate,
    SignInCode,
)
from app.models import CaseAttachment, KeyTask, Meeting, MeetingAttendee, Org, TaskResponsible
from app.models.scoped import scope_from
from app.tasks.lists import service as tasks
from app.tasks.lists.schemas import TaskCreate

CODE_LIFETIME = timedelta(hours=4)  # a meeting's half day; a new code replaces the old one
LEVEL_TITLE = {"district": "区级", "street": "街道", "town": "镇", "community": "社区"}


def _attendee_of(principal: Principal, attendees: list[MeetingAttendee]) -> MeetingAttendee | None:
    # Staff of the node (its admins, a unit's liaison), not every member registered there.
    nodes = {g.org_id for g in principal.grants if Perm.meeting_read in g.permissions}
    for a in attendees:
        if a.staff_org_id is not None and a.staff_org_id in nodes:
            return a
        if a.user_id is not None and principal.kind == "user" and a.user_id == principal.id:
            return a
    return None


async def find(
    session: AsyncSession, principal: Principal, meeting_id: int
) -> tuple[Meeting, list[MeetingAttendee]]:
    """The meeting if the caller may read it (its subtree, or an attendee), else 404."""
    meeting = await repo.meeting(session, meeting_id)
    if meeting is None:
        raise MeetingNotFound()
    attendees = (await repo.attendees(session, [meeting.id]))[meeting.id]
    if _attendee_of(principal, attendees) is None:
        authorize(principal, Perm.meeting_read, meeting.org_path, not_found=MeetingNotFound())
    return meeting, attendees


async def writable(session: AsyncSession, principal: Principal, meeting_id: int) -> Meeting:
    meeting = await repo.meeting(session, meeting_id)
    if meeting is None or not sees(principal, meeting.org_path):
        raise MeetingNotFound()
    authorize(principal, Perm.meeting_write, meeting.org_path, not_found=MeetingNotFound())
    return meeting


async def _node(session: AsyncSession, principal: Principal, org_id: int) -> Org:
    org = await repo.org(session, org_id)
    if org is None or not sees(principal, org.path):
        raise field_error("org_id", "组织不存在", "No such organisation")
    if org.kind not in schedule.QUARTERLY | schedule.MONTHLY:
        raise field_error(
            "org_id",
            "联席会议只在区、街道（镇）、社区召开",
            "Joint meetings are held by a district, street, town or community",
        )
    authorize(principal, Perm.meeting_write, org.path)
    return org


async def _attendee_rows(session: AsyncSession, items: list[AttendeeIn]) -> list[MeetingAttendee]:
    rows: dict[tuple[str, int], MeetingAttendee] = {}
    for i, item in enumerate(items):
        row = await _attendee_row(session, item, f"attendees.{i}")
        rows.setdefault((row.kind, row.ref_id), row)
    return list(rows.values())


async def _attendee_row(session: AsyncSession, item: AttendeeIn, field: str) -> MeetingAttendee:
    if item.kind == AttendeeKind.org:
        org = await repo.org(session, item.id)
        if org is not None:
            return MeetingAttendee(kind="org", ref_id=org.id, name=org.name, staff_org_id=org.id)
    elif item.kind == AttendeeKind.unit:
        unit = await repo.unit(session, item.id)
        if unit is not None:
            return MeetingAttendee(
                kind="unit", ref_id=unit.id, name=unit.name, staff_org_id=unit.org_id
            )
    else:
        cadre = await repo.cadre(session, item.id)
        if cadre is not None:
            return MeetingAttendee(
                kind="cadre", ref_id=cadre.id, name=cadre.name, user_id=cadre.user_id
            )
    raise field_error(field, "参会方不存在", "No such attendee")


async def generate(
    session: AsyncSession, principal: Principal, data: ScheduleCreate
) -> list[Meeting]:
    org = await _node(session, principal, data.org_id)
    have = await repo.periods(session, org.id, data.year)
    template = await _attendee_rows(session, data.attendees)
    title = f"{org.name}{LEVEL_TITLE.get(org.kind, '')}联席会议"
    made = [
        Meeting(
            org_id=org.id,
            **scope_from(org),
            year=data.year,
            period=period,
            title=f"{title}（{period}）",
            scheduled_on=day,
            status="scheduled",
            minutes_attachment_ids=[],
        )
        for period, day in schedule.periods(org.kind, data.year)
        if period not in have
    ]
    session.add_all(made)
    await session.flush()
    session.add_all(
        [
            MeetingAttendee(
                meeting_id=m.id,
                kind=a.kind,
                ref_id=a.ref_id,
                name=a.name,
                staff_org_id=a.staff_org_id,
                user_id=a.user_id,
            )
            for m in made
            for a in template
        ]
    )
    await session.flush()
    await audit.record(
        session,
        principal,
        "meeting.schedule",
        "org",
        org.id,
        org_path=org.path,
        detail={"year": data.year, "created": len(made)},
    )
    return made


def _open(meeting: Meeting) -> None:
    if meeting.status != MeetingStatus.scheduled:
        raise InvalidTransition()


async def move(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    *,
    scheduled_on: date,
    reason: str,
) -> Meeting:
    _open(meeting)
    if scheduled_on.year != meeting.year:
        # The year's schedule holds one meeting per period: a meeting moved into another
        # year would leave this year's period empty and sit outside next year's schedule.
        raise field_error(
            "scheduled_on",
            f"会议只能改期到本年度（{meeting.year}年）内的日期",
            f"A meeting can only be moved to a date in its schedule's year ({meeting.year})",
        )
    if meeting.moved_from is None:
        meeting.moved_from = meeting.scheduled_on
    meeting.scheduled_on, meeting.reason = scheduled_on, reason
    await flush_versioned(session)
    await audit.record(
        session,
        principal,
        "meeting.move",
        "meeting",
        meeting.id,
        org_path=meeting.org_path,
        detail={"reason": reason},
    )
    return meeting


async def cancel(
    session: AsyncSession, principal: Principal, meeting: Meeting, reason: str
) -> Meeting:
    _open(meeting)
    meeting.status, meeting.reason = MeetingStatus.cancelled, reason
    await flush_versioned(session)
    await audit.record(
        session,
        principal,
        "meeting.cancel",
        "meeting",
        meeting.id,
        org_path=meeting.org_path,
        detail={"reason": reason},
    )
    return meeting


async def put_attendees(
    session: AsyncSession, principal: Principal, meeting: Meeting, items: list[AttendeeIn]
) -> Meeting:
    rows = await _attendee_rows(session, items)
    await repo.clear_attendees(session, meeting.id)
    for r in rows:
        r.meeting_id = meeting.id
    session.add_all(rows)
    meeting.updated_at = utcnow()
    await flush_versioned(session)
    await audit.record(
        session, principal, "meeting.attendees", "meeting", meeting.id, org_path=meeting.org_path
    )
    return meeting


def _code_hash(meeting_id: int, code: str) -> str:
    return hashlib.sha256(f"{meeting_id}:{code}".encode()).hexdigest()


async def open_sign_in(session: AsyncSession, principal: Principal, meeting: Meeting) -> SignInCode:
    """A fresh six-digit code, shown at the meeting; only its hash is stored."""
    _open(meeting)
    code = f"{secrets.randbelow(1_000_000):06d}"
    meeting.signin_code_hash = _code_hash(meeting.id, code)
    meeting.signin_expires_at = utcnow() + CODE_LIFETIME
    await flush_versioned(session)
    await audit.record(
        session, principal, "meeting.sign_in_code", "meeting", meeting.id, org_path=meeting.org_path
    )
    return SignInCode(code=code, expires_at=meeting.signin_expires_at)


async def sign_in(
    session: AsyncSession,
    principal: Principal,
    meeting: Meeting,
    attendees: list[MeetingAttendee],
    code: str,
) -> MeetingAttendee:
    attendee = _attendee_of(principal, attendees)
    if attendee is None:
        raise NotAttendee()
    if (
        meeting.signin_code_hash is None
        or meeting.signin_expires_at is None
        or meeting.signin_expires_at <= utcnow()
    ):
        raise SignInClosed()
    if not hmac.compare_digest(meeting.signin_code_hash, _code_hash(meeting.id, code)):
        raise WrongCode()
    if attendee.signed_in_at is None:  # signing in twice keeps the first time
        attendee.signed_in_at = utcnow()
        attendee.signed_in_by = principal.id if principal.kind == "user" else None
        await session.flush()
    return attendee


async def put_minutes(
    session: AsyncSession, principal: Principal, meeting: Meeting, data: MinutesPut
) -> Meeting:
    if meeting.status == MeetingStatus.cancelled:
        raise InvalidTransition()
    held = list(meeting.minutes_attachment_ids or [])
    added = [i for i in data.attachment_ids if i not in held]
    await uploads.bind_uploads(session, principal, added, meeting_id=meeting.id)
    meeting.minutes, meeting.minutes_attachment_ids = data.minutes, [*held, *added]
    meeting.status = MeetingStatus.held
    await flush_versioned(session)
    await audit.record(
        session, principal, "meeting.minutes", "meeting", meeting.id, org_path=meeting.org_path
    )
    return meeting


async def minutes_attachment(
    session: AsyncSession, meeting: Meeting, attachment_id: int
) -> CaseAttachment:
    att = await uploads.held_upload(session, attachment_id, meeting_id=meeting.id)
    if att is None:
        raise AttachmentNotFound()
    return att


async def resolve(
    session: AsyncSession, principal: Principal, meeting: Meeting, data: ResolutionCreate
) -> tuple[KeyTask, list[TaskResponsible]]:
    """The resolution becomes a key task of the meeting's node and year, linked both ways
    (the task's `meeting_id`, the meeting's `resolution_task_ids`)."""
    if meeting.status == MeetingStatus.cancelled:
        raise InvalidTransition()
    body = TaskCreate(
        org_id=meeting.org_id,
        year=meeting.year,
        content=data.content,
        target=data.target,
        lead_org_id=data.lead_org_id,
        lead_unit_id=data.lead_unit_id,
        deadline=data.deadline,
        responsibles=data.responsibles,
    )
    return await tasks.create(session, principal, body, meeting_id=meeting.id)


async def page(
    session: AsyncSession,
    principal: Principal,
    *,
    year: int | None,
    org_id: int | None,
    status: MeetingStatus | None,
    params: PageParams,
) -> list[Meeting]:
    filters = []
    for column, value in ((Meeting.year, year), (Meeting.org_id, org_id), (Meeting.status, status)):
        if value is not None:
            filters.append(column == value)
    return await repo.page(session, principal, filters=filters, params=params)


async def reads(session: AsyncSession, meetings: list[Meeting]) -> list[MeetingRead]:
    ids = [m.id for m in meetings]
    attendees = await repo.attendees(session, ids)
    resolutions = await repo.resolution_tasks(session, ids)
    return [_read(m, attendees[m.id], resolutions[m.id]) for m in meetings]


def _read(m: Meeting, attendees: list[MeetingAttendee], task_ids: list[int]) -> MeetingRead:
    return MeetingRead(
        id=m.id,
        org_id=m.org_id,
        org_path=m.org_path,
        year=m.year,
        period=m.period,
        title=m.title,
        scheduled_on=m.scheduled_on,
        moved_from=m.moved_from,
        status=MeetingStatus(m.status),
        reason=m.reason,
        minutes=m.minutes,
        minutes_attachment_ids=list(m.minutes_attachment_ids or []),
        attendees=[
            AttendeeRead(
                id=a.id,
                kind=AttendeeKind(a.kind),
                ref_id=a.ref_id,
                name=a.name,
                signed_in_at=a.signed_in_at,
            )
            for a in attendees
        ],
        resolution_task_ids=task_ids,
        version=m.version,
        created_at=m.created_at,
        updated_at=m.updated_at,
    )
