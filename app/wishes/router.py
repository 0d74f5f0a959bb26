"""微心愿: post, list, claim, fulfil, confirm, release, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Query, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.routing import DomainRouter
from app.files.service import StorageDep, public_copy_response
from app.wishes import service
from app.wishes.rules import Action
from app.wishes.schemas import WishClaim, WishCreate, WishFulfil, WishRead, WishStatus
from app.wishes.service import Row

router = DomainRouter(tags=["wishes"])
ITEM = "/wishes/{wish_id}"
TRANSITION_ERRORS = problems(403, 404, 409, 412)


def _answer(response: Response, row: Row) -> WishRead:
    set_etag(response, row.wish.version)
    return service.read(row)


@router.post("/wishes", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 422))
async def create_wish(body: WishCreate, principal: CurrentPrincipal, session: SessionDep,
                      response: Response) -> WishRead:
    """网格员为居民发布微心愿（wishes:write）。居民须在该网格内，否则 422 指明 resident_id。"""
    return _answer(response, await service.create(session, principal, body))


@router.get("/wishes", responses=problems(400))
async def list_wishes(principal: CurrentPrincipal, session: SessionDep, page: PageDep,
                      grid_id: Annotated[Id | None, Query()] = None,
                      community_id: Annotated[Id | None, Query()] = None,
                      status: WishStatus | None = None) -> Page[WishRead]:
    """可见范围内的微心愿，最新在前；居民与认领党员姓名脱敏。已报到通过的党员可见其社区的心愿。"""
    rows = await service.list_page(session, principal, grid_id=grid_id,
                                   community_id=community_id, status=status, page=page)
    return page_of(rows, page, lambda r: [r.wish.id], service.read)


@router.get(ITEM, responses=problems(403, 404))
async def get_wish(wish_id: Id, principal: CurrentPrincipal, session: SessionDep,
                   response: Response) -> WishRead:
    """微心愿详情（居民姓名脱敏）。"""
    return _answer(response, await service.get(session, principal, wish_id))


@router.post(f"{ITEM}/claim", responses=problems(403, 404, 409, 412, 422))
async def claim_wish(wish_id: Id, principal: CurrentPrincipal, session: SessionDep,
                     response: Response, if_match: IfMatch = None,
                     body: Annotated[WishClaim | None, Body()] = None) -> WishRead:
    """认领：无请求体时以党员身份认领（须在该社区报到通过，否则 403
    wish_registration_required）；`{"unit_id"}` 时以单位名义认领（须为该单位联络员且单位已到该社区
    报到，否则 403 unit_not_registered）。已被认领等 → 409 wish_invalid_transition。"""
    unit = await service.claiming_unit(session, body)
    row = await service.find(session, principal, wish_id, unit=unit)
    check_if_match(if_match, row.wish.version)
    return _answer(response, await service.claim(session, principal, row, body, unit))


@router.post(f"{ITEM}/fulfil", responses=problems(403, 404, 409, 412, 422))
async def fulfil_wish(wish_id: Id, body: WishFulfil, principal: CurrentPrincipal,
                      session: SessionDep, response: Response, if_match: IfMatch = None
                      ) -> WishRead:
    """认领人提交完成情况（说明与照片）。attachment_ids 须为本人经 POST /attachments 上传、尚未
    用于案件或其他心愿的照片，否则 422 指明 attachment_ids；提交后照片归属该心愿，可经
    GET /wishes/{wish_id}/attachments/{attachment_id} 下载。"""
    row = await service.find(session, principal, wish_id)
    check_if_match(if_match, row.wish.version)
    return _answer(response, await service.fulfil(session, principal, row, body))


@router.get(f"{ITEM}/attachments/{{attachment_id}}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "application/pdf": {}}},
                       **problems(404)})
async def download_wish_attachment(wish_id: Id, attachment_id: Id,
                                   principal: CurrentPrincipal, session: SessionDep,
                                   storage: StorageDep) -> Response:
    """下载完成情况照片（已去除 EXIF 位置信息的副本）；权限同查看心愿，认领人亦可。"""
    att = await service.evidence(session, principal, wish_id, attachment_id)
    return await public_copy_response(storage, public_key=att.public_key, mime=att.mime)


async def _simple(session: SessionDep, principal: CurrentPrincipal, wish_id: Id,
                  if_match: str | None, action: Action) -> Row:
    row = await service.find(session, principal, wish_id)
    check_if_match(if_match, row.wish.version)
    return await service.simple(session, principal, row, action)


@router.post(f"{ITEM}/confirm", responses=TRANSITION_ERRORS)
async def confirm_wish(wish_id: Id, principal: CurrentPrincipal, session: SessionDep,
                       response: Response, if_match: IfMatch = None) -> WishRead:
    """网格员确认心愿已实现（wishes:write）。"""
    row = await _simple(session, principal, wish_id, if_match, Action.confirm)
    return _answer(response, row)


@router.post(f"{ITEM}/release", responses=TRANSITION_ERRORS)
async def release_wish(wish_id: Id, principal: CurrentPrincipal, session: SessionDep,
                       response: Response, if_match: IfMatch = None) -> WishRead:
    """认领人放弃认领，心愿回到待认领。"""
    row = await _simple(session, principal, wish_id, if_match, Action.release)
    return _answer(response, row)


@router.post(f"{ITEM}/cancel", responses=TRANSITION_ERRORS)
async def cancel_wish(wish_id: Id, principal: CurrentPrincipal, session: SessionDep,
                      response: Response, if_match: IfMatch = None) -> WishRead:
    """发布人或管理员取消（待认领或已认领时）。"""
    row = await _simple(session, principal, wish_id, if_match, Action.cancel)
    return _answer(response, row)
