"""双报到: members register with the community where they live; its staff review."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, PageParams, page_of
from app.core.routing import DomainRouter
from app.registrations import service
from app.registrations.rules import Action
from app.registrations.schemas import (
    RegistrationCreate,
    RegistrationMove,
    RegistrationRead,
    RegStatus,
    RejectIn,
    RosterEntry,
)
from app.registrations.service import Row

router = DomainRouter(tags=["registrations"])
PREFIX = "/registrations"


def _answer(response: Response, row: Row) -> RegistrationRead:
    set_etag(response, row.reg.version)
    return service.read(row)


def _page(rows: list[Row], page: PageParams) -> Page[RegistrationRead]:
    return page_of(rows, page, lambda r: [r.reg.id], service.read)


@router.post(PREFIX, status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 409, 422))
async def create_registration(body: RegistrationCreate, principal: CurrentPrincipal,
                              session: SessionDep, response: Response) -> RegistrationRead:
    """在职党员到居住地社区报到（全区任一社区）。账号未关联党员 → 403 member_not_linked；
    已有待审核或已通过的报到 → 409 registration_active；社区不存在 → 422 指明 community_id。"""
    return _answer(response, await service.create(session, principal, body))


@router.get(PREFIX, responses=problems(400))
async def list_registrations(principal: CurrentPrincipal, session: SessionDep, page: PageDep,
                             community_id: Annotated[Id | None, Query()] = None,
                             status: RegStatus | None = None) -> Page[RegistrationRead]:
    """可见范围内（社区及以上审核人员）的报到记录，最新在前；姓名脱敏。"""
    rows = await service.list_page(session, principal, community_id=community_id,
                                   status=status, page=page)
    return _page(rows, page)


@router.get(f"{PREFIX}/mine", responses=problems(400))
async def my_registrations(principal: CurrentPrincipal, session: SessionDep, page: PageDep
                           ) -> Page[RegistrationRead]:
    """本人的全部报到记录（各状态），最新在前。"""
    return _page(await service.mine(session, principal, page), page)


@router.get(f"{PREFIX}/{{registration_id}}", responses=problems(403, 404))
async def get_registration(registration_id: Id, principal: CurrentPrincipal,
                           session: SessionDep, response: Response) -> RegistrationRead:
    """报到详情：党员本人或范围内审核人员可查看。"""
    return _answer(response, await service.get(session, principal, registration_id))


async def _act(session: SessionDep, principal: CurrentPrincipal, registration_id: Id,
               if_match: str | None, action: Action, reason: str | None = None) -> Row:
    row = await service.get(session, principal, registration_id)
    check_if_match(if_match, row.reg.version)
    return await service.transition(session, principal, row, action, reason=reason)


@router.post(f"{PREFIX}/{{registration_id}}/approve", responses=problems(403, 404, 409, 412))
async def approve_registration(registration_id: Id, principal: CurrentPrincipal,
                               session: SessionDep, response: Response,
                               if_match: IfMatch = None) -> RegistrationRead:
    """社区审核通过（registrations:review）；党员账号随即获得该社区的 member 角色，可认领微心愿。
    状态不允许 → 409 registration_invalid_transition；If-Match 过期 → 412。"""
    row = await _act(session, principal, registration_id, if_match, Action.approve)
    return _answer(response, row)


@router.post(f"{PREFIX}/{{registration_id}}/reject", responses=problems(403, 404, 409, 412))
async def reject_registration(registration_id: Id, body: RejectIn, principal: CurrentPrincipal,
                              session: SessionDep, response: Response,
                              if_match: IfMatch = None) -> RegistrationRead:
    """不予通过（待审核或已通过的均可），须说明原因；已通过的同时收回 member 角色。"""
    row = await _act(session, principal, registration_id, if_match, Action.reject, body.reason)
    return _answer(response, row)


@router.post(f"{PREFIX}/{{registration_id}}/withdraw", responses=problems(403, 404, 409, 412))
async def withdraw_registration(registration_id: Id, principal: CurrentPrincipal,
                                session: SessionDep, response: Response,
                                if_match: IfMatch = None) -> RegistrationRead:
    """党员本人撤回报到（他人 → 403 registration_not_owner）；已通过的同时收回 member 角色。"""
    row = await _act(session, principal, registration_id, if_match, Action.withdraw)
    return _answer(response, row)


@router.post(f"{PREFIX}/{{registration_id}}/move", dependencies=[Idempotent],
             responses=problems(403, 404, 409, 412, 422))
async def move_registration(registration_id: Id, body: RegistrationMove,
                            principal: CurrentPrincipal, session: SessionDep,
                            response: Response, if_match: IfMatch = None) -> RegistrationRead:
    """搬家：原报到结束（ended），同时在新社区生成待审核的报到（同一事务）。返回新的报到记录；
    If-Match 针对原报到。"""
    row = await service.get(session, principal, registration_id)
    check_if_match(if_match, row.reg.version)
    return _answer(response, await service.move(session, principal, row, body))


@router.get("/communities/{community_id}/roster", responses=problems(400, 403, 404))
async def community_roster(community_id: Id, principal: CurrentPrincipal, session: SessionDep,
                           page: PageDep,
                           skill: Annotated[str | None, Query(max_length=30)] = None
                           ) -> Page[RosterEntry]:
    """社区已通过报到的党员名册（姓名脱敏）及特长，可按特长筛选。"""
    rows = await service.roster(session, principal, community_id, skill=skill, page=page)
    return page_of(rows, page, lambda r: [r.reg.id], service.roster_entry)
