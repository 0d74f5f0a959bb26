"""联席会议: the year's schedule, move, cancel, attendees, sign-in code and sign-in, minutes
with attachments, resolutions that become key tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.core import abuse
from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.routing import DomainRouter
from app.files.service import StorageDep, public_copy_response
from app.meetings import service
from app.meetings.schemas import (
    AttendeeKind,
    AttendeeRead,
    AttendeesPut,
    MeetingCancel,
    MeetingList,
    MeetingMove,
    MeetingRead,
    MeetingStatus,
    MinutesPut,
    ResolutionCreate,
    ScheduleCreate,
    SignIn,
    SignInCode,
)
from app.models import Meeting
from app.tasks.lists import service as tasks
from app.tasks.lists.schemas import TaskRead

router = DomainRouter(tags=["meetings"])
ITEM = "/meetings/{meeting_id}"
IdQuery = Annotated[Id | None, Query()]


async def _answer(session: SessionDep, response: Response, meeting: Meeting) -> MeetingRead:
    set_etag(response, meeting.version)
    return (await service.reads(session, [meeting]))[0]


@router.post(
    "/meetings/schedule",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 422),
)
async def schedule_meetings(
    body: ScheduleCreate, principal: CurrentPrincipal, session: SessionDep
) -> MeetingList:
    """生成该组织全年的联席会议（区每季度、街道和社区每月，北京时间每期 10 日，遇周末顺延到
    周一）；已有的期次跳过。返回新建的会议。"""
    made = await service.generate(session, principal, body)
    return MeetingList(items=await service.reads(session, made))


@router.get("/meetings", responses=problems(400))
async def list_meetings(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    org_id: IdQuery = None,
    meeting_status: Annotated[MeetingStatus | None, Query(alias="status")] = None,
) -> Page[MeetingRead]:
    """可见范围内的联席会议，按日期先后。"""
    rows = await service.page(
        session, principal, year=year, org_id=org_id, status=meeting_status, params=page
    )
    reads = await service.reads(session, rows)
    return page_of(reads, page, lambda m: [m.id], lambda m: m)


@router.get(ITEM, responses=problems(403, 404))
async def get_meeting(
    meeting_id: Id, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> MeetingRead:
    """会议详情（含参会方、签到情况、纪要和决议形成的任务）；参会方也可查看。"""
    meeting, _ = await service.find(session, principal, meeting_id)
    return await _answer(session, response, meeting)


@router.post(f"{ITEM}/move", responses=problems(403, 404, 409, 412, 422))
async def move_meeting(
    meeting_id: Id,
    body: MeetingMove,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> MeetingRead:
    """改期（须说明原因）；只有未召开、未取消的会议可改期。"""
    meeting = await service.writable(session, principal, meeting_id)
    check_if_match(if_match, meeting.version)
    moved = await service.move(
        session, principal, meeting, scheduled_on=body.scheduled_on, reason=body.reason
    )
    return await _answer(session, response, moved)


@router.post(f"{ITEM}/cancel", responses=problems(403, 404, 409, 412, 422))
async def cancel_meeting(
    meeting_id: Id,
    body: MeetingCancel,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> MeetingRead:
    """取消（须说明原因）。"""
    meeting = await service.writable(session, principal, meeting_id)
    check_if_match(if_match, meeting.version)
    return await _answer(
        session, response, await service.cancel(session, principal, meeting, body.reason)
    )


@router.put(f"{ITEM}/attendees", responses=problems(403, 404, 412, 422))
async def put_meeting_attendees(
    meeting_id: Id,
    body: AttendeesPut,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> MeetingRead:
    """设置参会方：组织、区直单位、下沉干部（整体替换，签到记录随之清空）。"""
    meeting = await service.writable(session, principal, meeting_id)
    check_if_match(if_match, meeting.version)
    updated = await service.put_attendees(session, principal, meeting, body.attendees)
    return await _answer(session, response, updated)


@router.post(f"{ITEM}/sign-in-code", responses=problems(403, 404, 409))
async def open_meeting_sign_in(
    meeting_id: Id, principal: CurrentPrincipal, session: SessionDep
) -> SignInCode:
    """生成在会场展示的一次性签到码（4 小时内有效，新码替换旧码）。"""
    meeting = await service.writable(session, principal, meeting_id)
    return await service.open_sign_in(session, principal, meeting)


@router.post(f"{ITEM}/sign-in", responses=problems(403, 404, 409, 422, 429),
             dependencies=[abuse.per_caller("meeting_sign_in", "meeting_sign_in_rate_limited")])
async def sign_in_meeting(
    meeting_id: Id, body: SignIn, principal: CurrentPrincipal, session: SessionDep
) -> AttendeeRead:
    """参会方在手机上输入会场展示的签到码签到；码错误 → 403 meeting_code_invalid，
    未开放或已过期 → 409 meeting_sign_in_closed；每人 10 分钟内至多 10 次 → 429。"""
    meeting, attendees = await service.find(session, principal, meeting_id)
    a = await service.sign_in(session, principal, meeting, attendees, body.code)
    return AttendeeRead(
        id=a.id,
        kind=AttendeeKind(a.kind),
        ref_id=a.ref_id,
        name=a.name,
        signed_in_at=a.signed_in_at,
    )


@router.put(f"{ITEM}/minutes", responses=problems(403, 404, 409, 412, 422))
async def put_meeting_minutes(
    meeting_id: Id,
    body: MinutesPut,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> MeetingRead:
    """会议纪要与附件（经 POST /attachments 上传）；会议随之标记为已召开。"""
    meeting = await service.writable(session, principal, meeting_id)
    check_if_match(if_match, meeting.version)
    updated = await service.put_minutes(session, principal, meeting, body)
    return await _answer(session, response, updated)


@router.get(
    f"{ITEM}/attachments/{{attachment_id}}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "application/pdf": {}}}, **problems(404)},
)
async def download_meeting_attachment(
    meeting_id: Id,
    attachment_id: Id,
    principal: CurrentPrincipal,
    session: SessionDep,
    storage: StorageDep,
) -> Response:
    """下载纪要附件；权限同查看会议。"""
    meeting, _ = await service.find(session, principal, meeting_id)
    att = await service.minutes_attachment(session, meeting, attachment_id)
    return await public_copy_response(storage, public_key=att.public_key, mime=att.mime)


@router.post(
    f"{ITEM}/resolutions",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 404, 409, 422),
)
async def create_meeting_resolution(
    meeting_id: Id,
    body: ResolutionCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
) -> TaskRead:
    """会议决议转为本级本年度的重点任务（指定负责落实的组织或单位与截止日期），任务的
    meeting_id 指回本会议。"""
    meeting = await service.writable(session, principal, meeting_id)
    task, named = await service.resolve(session, principal, meeting, body)
    set_etag(response, task.version)
    return tasks.read(task, named)
