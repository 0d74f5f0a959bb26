"""志愿活动: post, list, cancel; sign up (with a waiting list), cancel a sign-up, check in and
out, organisers' corrections."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.routing import DomainRouter
from app.models import Activity, ActivitySignup
from app.volunteers.activities import attendance, service
from app.volunteers.activities.schemas import (
    ActivityCancel,
    ActivityCreate,
    ActivityListQuery,
    ActivityRead,
    ActivityUpdate,
    AttendanceCorrection,
    CheckinCode,
    CheckinScan,
    Position,
    SignupCreate,
    SignupRead,
    SignupStatus,
)

router = DomainRouter(tags=["activities"])
ITEM = "/activities/{activity_id}"
SIGNUP = f"{ITEM}/signups/{{signup_id}}"


def _answer(response: Response, activity: Activity) -> ActivityRead:
    set_etag(response, activity.version)
    return service.read(activity)


async def _signup(session: SessionDep, response: Response, signup: ActivitySignup
                  ) -> SignupRead:
    set_etag(response, signup.version)
    return service.read_signup(await service.signup_row(session, signup.id))


@router.post("/activities", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 422))
async def create_activity(body: ActivityCreate, principal: CurrentPrincipal, session: SessionDep,
                          response: Response) -> ActivityRead:
    """组织方（activities:write）发布活动或培训班：时间、地点（坐标与签到半径）、名额、报名截止、
    每小时积分。org_id 为组织方节点，活动随其归属范围可见。"""
    return _answer(response, await service.create(session, principal, body))


@router.get("/activities", responses=problems(400))
async def list_activities(principal: CurrentPrincipal, session: SessionDep,
                          query: Annotated[ActivityListQuery, Query()]) -> Page[ActivityRead]:
    """可见范围内的活动，最新发布在前。报到通过的党员与志愿者可见其社区的活动。给出 lng/lat
    （可为 gcj02）时只列附近 within_m 米内的活动（“我附近的活动”）；upcoming=true 只列未结束的。"""
    rows = await service.list_page(session, principal, query)
    return page_of(rows, query.page(service.ACTIVITIES_LIST), lambda a: [a.id], service.read)


@router.get(ITEM, responses=problems(403, 404))
async def get_activity(activity_id: Id, principal: CurrentPrincipal, session: SessionDep,
                       response: Response) -> ActivityRead:
    """活动详情（含已报名人数）。"""
    return _answer(response, await service.get(session, principal, activity_id))


@router.patch(ITEM, responses=problems(403, 404, 409, 412, 422))
async def update_activity(activity_id: Id, body: ActivityUpdate, principal: CurrentPrincipal,
                          session: SessionDep, settings: SettingsDep, response: Response,
                          if_match: IfMatch = None) -> ActivityRead:
    """组织方修改活动（带 If-Match，版本过期 → 412）：标题、时间、地点、名额、报名截止、每小时
    积分、参加条件。调高名额时按报名先后递补候补并通知本人；名额低于已报名人数 → 409
    activity_capacity_below_accepted；活动开始后不能改时间 → 409 activity_started。时间或地点
    变更时通知已报名和候补的人。"""
    activity = await service.locked_for_write(session, principal, activity_id)
    check_if_match(if_match, activity.version)
    return _answer(response, await service.update(session, settings, principal, activity, body))


@router.post(f"{ITEM}/cancel", responses=problems(403, 404, 409, 412))
async def cancel_activity(activity_id: Id, body: ActivityCancel, principal: CurrentPrincipal,
                          session: SessionDep, settings: SettingsDep, response: Response,
                          if_match: IfMatch = None) -> ActivityRead:
    """组织方取消活动（须说明原因）；已报名与候补的人收到站内消息和微信订阅消息。"""
    activity = await service.locked_for_write(session, principal, activity_id)
    check_if_match(if_match, activity.version)
    return _answer(response, await service.cancel(session, settings, principal, activity, body))


@router.post(f"{ITEM}/signups", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 404, 409, 422))
async def sign_up(activity_id: Id, principal: CurrentPrincipal, session: SessionDep,
                  response: Response, body: SignupCreate | None = None) -> SignupRead:
    """本人报名（无请求体），或监护人为子女报名（`{"for_resident_id"}`：子女须为监护人同户的
    未成年登记居民；监护人的账号经其党员记录关联居民登记，否则 403 signup_not_guardian）。
    名额未满为 accepted，已满为 waitlisted（候补，按报名先后递补）。重复报名 → 409
    signup_exists；报名截止 → 409 signup_closed；活动已取消 → 409 activity_closed。
    活动的参加条件：仅限本社区居民 → 403 audience_residents_only；年龄（按活动开始日、依身份证号
    计算）不符 → 422 audience_age；有条件而本人账号未关联居民登记 → 403 audience_unknown。"""
    row = await service.sign_up(session, principal, activity_id, body)
    set_etag(response, row.signup.version)
    return service.read_signup(row)


@router.get(f"{ITEM}/signups", responses=problems(400, 403, 404))
async def list_signups(activity_id: Id, principal: CurrentPrincipal, session: SessionDep,
                       page: PageDep, status: SignupStatus | None = None) -> Page[SignupRead]:
    """报名名单（按报名先后，姓名脱敏）：组织方可见全部，其他人只见本人的报名。"""
    rows = await service.signups_page(session, principal, activity_id, status=status, page=page)
    return page_of(rows, page, lambda r: [r.signup.id], service.read_signup)


@router.delete(SIGNUP, status_code=status.HTTP_204_NO_CONTENT, responses=problems(403, 404, 409))
async def cancel_signup(activity_id: Id, signup_id: Id, principal: CurrentPrincipal,
                        session: SessionDep, settings: SettingsDep) -> Response:
    """本人（或组织方）取消报名；空出的名额由第一位候补递补，并通知其本人。已签到 → 409。"""
    await service.withdraw(session, settings, principal, activity_id, signup_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(f"{SIGNUP}/check-in", responses=problems(403, 404, 409, 422))
async def check_in(activity_id: Id, signup_id: Id, body: Position,
                   principal: CurrentPrincipal, session: SessionDep, response: Response
                   ) -> SignupRead:
    """本人在活动地点签到半径内、活动开始前 30 分钟至结束之间签到（坐标可为 gcj02）。
    距离过远 → 422 attendance_out_of_range；时间不符 → 409 attendance_outside_window。"""
    signup = await attendance.check_in(session, principal, activity_id, signup_id, body)
    return await _signup(session, response, signup)


@router.post(f"{SIGNUP}/check-out", responses=problems(403, 404, 409, 422))
async def check_out(activity_id: Id, signup_id: Id, body: Position,
                    principal: CurrentPrincipal, session: SessionDep, response: Response
                    ) -> SignupRead:
    """本人签退：服务时长为签到至签退与活动时段的重叠（不超过活动时长），按活动每小时积分
    记入积分。活动结束 2 小时后不能再签退（由组织方核定）。"""
    signup = await attendance.check_out(session, principal, activity_id, signup_id, body)
    return await _signup(session, response, signup)


@router.get(f"{SIGNUP}/code", responses=problems(403, 404, 409))
async def checkin_code(activity_id: Id, signup_id: Id, principal: CurrentPrincipal,
                       session: SessionDep, settings: SettingsDep) -> CheckinCode:
    """本人（为子女报名的监护人）获取签到码，以二维码出示给组织方扫码签到或签退。签到码两分钟
    内有效，签名防伪，只对本活动有效。"""
    return await attendance.code_for(session, settings, principal, activity_id, signup_id)


@router.post(f"{ITEM}/checkins", dependencies=[Idempotent], responses=problems(403, 404, 409, 422))
async def scan_checkin(activity_id: Id, body: CheckinScan, principal: CurrentPrincipal,
                       session: SessionDep, settings: SettingsDep, response: Response
                       ) -> SignupRead:
    """组织方扫码：未签到的为其签到，已签到的为其签退（签退须出示签到之后获取的新码，否则 409
    checkin_code_used）。签到码过期 → 422 checkin_code_expired；伪造或其他活动的 → 422
    checkin_code_invalid。时间窗口同本人签到签退，记入审计。"""
    signup = await attendance.scan(session, settings, principal, activity_id, body)
    return await _signup(session, response, signup)


@router.post(f"{SIGNUP}/correction", responses=problems(403, 404, 409, 422))
async def correct_attendance(activity_id: Id, signup_id: Id, body: AttendanceCorrection,
                             principal: CurrentPrincipal, session: SessionDep,
                             response: Response) -> SignupRead:
    """组织方核定服务时长（分钟，须说明原因，记入审计）；积分按差额以新记录补记或冲减。"""
    signup = await attendance.correct(session, principal, activity_id, signup_id, body)
    return await _signup(session, response, signup)
