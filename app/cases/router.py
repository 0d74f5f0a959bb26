"""Cases (grid events): report from a phone, accept, dispatch, handle, verify, close."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response, status

from app.cases import attachments, categories, presenters, service
from app.cases.calendar import WorkCalendar
from app.cases.schemas import (
    AttachmentRead,
    CaseCreate,
    CaseListQuery,
    CaseRead,
    CategoryNode,
    Crs,
    NearbyCase,
    Timeline,
    TransitionIn,
)
from app.core.abuse import per_caller
from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.deps import SettingsDep
from app.core.errors import problems
from app.core.geo import to_wgs84
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page
from app.core.routing import DomainRouter
from app.files.service import PreparedFile, PreparedFileDep, StorageDep, public_copy_response

router = DomainRouter(tags=["cases"])


async def _calendar(request: Request) -> WorkCalendar:
    calendar: WorkCalendar = request.app.state.calendar
    return calendar


CalendarDep = Annotated[WorkCalendar, Depends(_calendar)]


@router.get("/case-categories")
async def list_case_categories(_: CurrentPrincipal, session: SessionDep) -> list[CategoryNode]:
    """案件类别树（部件、事件、社区事务），含处置时限（工作小时）。"""
    return await categories.tree(session)


@router.post("/cases", status_code=status.HTTP_201_CREATED,
             dependencies=[per_caller("case_create", "case_rate_limited"), Idempotent],
             responses=problems(403, 409, 422, 429), response_model=CaseRead)
async def create_case(body: CaseCreate, principal: CurrentPrincipal, session: SessionDep,
                      calendar: CalendarDep) -> Response:
    """上报案件。未给 grid_id 时按坐标定位网格；同一 client_ref 重复提交返回原案件（200）。
    每人每分钟上报次数有限（`GRID_CASE_CREATE_LIMIT`，超出 429）。"""
    case, created = await service.create(session, principal, body, calendar)
    # A new case holds exactly the attachments just bound to it: no statement to find them.
    known = {case.id: sorted(set(body.attachment_ids))} if created else None
    [read] = await presenters.reads(session, principal, [case], calendar, attachments=known)
    # Serialised once, directly (a hot endpoint: a returned model is dumped and re-validated).
    response = Response(read.model_dump_json(), media_type="application/json",
                        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
    set_etag(response, case.version)
    return response


@router.get("/cases", responses=problems(400, 422), response_model=Page[CaseRead])
async def list_cases(principal: CurrentPrincipal, session: SessionDep, calendar: CalendarDep,
                     query: Annotated[CaseListQuery, Query()]) -> Response:
    """可见范围内的案件，新的在前；status 可重复或逗号分隔。"""
    rows, cursor = await service.list_page(session, principal, query)
    # The hot list: rows straight to JSON (response_model above documents the shape).
    body = await presenters.page_json(session, principal, rows, calendar, query.crs, cursor)
    return Response(body, media_type="application/json")


@router.get("/cases/nearby")
async def nearby_cases(
    principal: CurrentPrincipal,
    session: SessionDep,
    calendar: CalendarDep,
    lng: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    category_code: Annotated[str, Query(max_length=32)],
    crs: Crs = "wgs84",
) -> Page[NearbyCase]:
    """上报前查重：50 米内、72 小时内同类未办结案件（含挂账），不论是否在本人范围内。
    范围内的案件（in_scope=true）字段齐全；范围外的只有 id、类别、状态、上报时间与距离，
    其余字段为 null（不含描述、照片、地址、位置与人员）。"""
    w_lng, w_lat = to_wgs84(lng, lat, crs)
    found = await service.nearby(session, principal, lng=w_lng, lat=w_lat,
                                 category_code=category_code)
    return Page(items=await presenters.nearby_reads(session, principal, found, calendar, crs))


@router.get("/cases/{case_id}", responses=problems(404))
async def get_case(case_id: Id, principal: CurrentPrincipal, session: SessionDep,
                   calendar: CalendarDep, response: Response, crs: Crs = "wgs84") -> CaseRead:
    case = await service.get(session, principal, case_id)
    set_etag(response, case.version)
    return (await presenters.reads(session, principal, [case], calendar, crs))[0]


@router.post("/cases/{case_id}/transitions", responses=problems(403, 404, 409, 412, 422))
async def transition_case(case_id: Id, body: TransitionIn, principal: CurrentPrincipal,
                          session: SessionDep, calendar: CalendarDep, settings: SettingsDep,
                          response: Response, if_match: IfMatch = None) -> CaseRead:
    """流转：accept/reject/dispatch/start/resolve/verify/rework/return/suspend/resume/
    self_resolve/merge。当前状态不允许 → 409 case_invalid_transition；If-Match 过期 → 412。"""
    case = await service.get(session, principal, case_id)
    check_if_match(if_match, case.version)
    case = await service.transition(session, settings, principal, case, body, calendar)
    set_etag(response, case.version)
    return (await presenters.reads(session, principal, [case], calendar))[0]


@router.get("/cases/{case_id}/timeline", responses=problems(404))
async def case_timeline(case_id: Id, principal: CurrentPrincipal, session: SessionDep
                        ) -> Timeline:
    """案件流转记录（只增不改），含操作人姓名（范围外脱敏）与当时的角色。"""
    case = await service.get(session, principal, case_id)
    events = await service.timeline(session, case)
    return Timeline(items=await presenters.timeline_reads(session, principal, case, events))


@router.post("/cases/{case_id}/attachments", status_code=status.HTTP_201_CREATED,
             dependencies=[PreparedFile, Idempotent], responses=problems(403, 404, 413, 415))
async def add_case_attachment(case_id: Id, upload: PreparedFileDep, principal: CurrentPrincipal,
                              session: SessionDep, storage: StorageDep) -> AttachmentRead:
    """上传现场照片或处置证明（与 wx.uploadFile 一致：字段名 file，可附加其他表单字段）。"""
    case = await service.get(session, principal, case_id)
    att = await attachments.upload(session, storage, principal, upload=upload, case=case)
    return attachments.read(att)


@router.post("/attachments", status_code=status.HTTP_201_CREATED,
             dependencies=[PreparedFile, Idempotent], responses=problems(413, 415))
async def upload_attachment(upload: PreparedFileDep, principal: CurrentPrincipal,
                            session: SessionDep, storage: StorageDep) -> AttachmentRead:
    """先传照片、后报案件（离线场景）：返回的 id 放入 POST /cases 的 attachment_ids。"""
    att = await attachments.upload(session, storage, principal, upload=upload, case=None)
    return attachments.read(att)


@router.get("/cases/{case_id}/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "application/pdf": {}}},
                       **problems(404)})
async def download_case_attachment(case_id: Id, attachment_id: Id,
                                   principal: CurrentPrincipal, session: SessionDep,
                                   storage: StorageDep) -> Response:
    """下载附件（已去除 EXIF 位置信息的副本）；权限同案件。"""
    att = await attachments.for_download(session, principal, case_id, attachment_id)
    return await public_copy_response(storage, public_key=att.public_key, mime=att.mime)
