"""区直单位 and their registrations with communities (单位到社区报到)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Response, status

from app.coconstruction.schemas import UnitRegistrationCreate, UnitRegistrationRead
from app.coconstruction.units import service
from app.coconstruction.units.schemas import RegisteredUnitRead, UnitCreate, UnitRead, UnitUpdate
from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.deps import CipherDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, next_cursor, page_of
from app.core.permissions import Perm
from app.core.routing import DomainRouter

router = DomainRouter(tags=["units"])


@router.post("/units", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 409, 422))
async def create_unit(body: UnitCreate, principal: CurrentPrincipal, session: SessionDep,
                      cipher: CipherDep, response: Response) -> UnitRead:
    """登记区直单位（挂在区或机关党组织节点下，需该节点的 units:write）。单位编码重复 → 409
    unit_code_taken。联系人手机号加密保存，返回时联系人姓名与手机号均脱敏。"""
    unit = await service.create(session, principal, cipher, body)
    set_etag(response, unit.version)
    return service.unit_read(unit, cipher)


@router.get("/units", responses=problems(400))
async def list_units(principal: CurrentPrincipal, session: SessionDep, cipher: CipherDep,
                     page: PageDep, org_id: Annotated[Id | None, Query()] = None
                     ) -> Page[UnitRead]:
    """按单位自身所在节点可见的单位（区级人员、单位联络员）。社区看本社区报到的单位请用
    GET /communities/{community_id}/units。"""
    rows = await service.list_units(session, principal, org_id=org_id, page=page)
    return page_of(rows, page, lambda u: [u.id], lambda u: service.unit_read(u, cipher))


@router.get("/units/{unit_id}", responses=problems(403, 404))
async def get_unit(unit_id: Id, principal: CurrentPrincipal, session: SessionDep,
                   cipher: CipherDep, response: Response) -> UnitRead:
    """单位详情（联系人脱敏）。"""
    unit = await service.get(session, principal, unit_id)
    set_etag(response, unit.version)
    return service.unit_read(unit, cipher)


@router.patch("/units/{unit_id}", responses=problems(403, 404, 409, 412, 422))
async def update_unit(unit_id: Id, body: UnitUpdate, principal: CurrentPrincipal,
                      session: SessionDep, cipher: CipherDep, response: Response,
                      if_match: IfMatch = None) -> UnitRead:
    """修改单位名称、编码、联系人；If-Match 过期 → 412。"""
    unit = await service.get(session, principal, unit_id, Perm.unit_write)
    check_if_match(if_match, unit.version)
    unit = await service.update(session, principal, cipher, unit, body)
    set_etag(response, unit.version)
    return service.unit_read(unit, cipher)


@router.post("/units/{unit_id}/registrations", status_code=status.HTTP_201_CREATED,
             dependencies=[Idempotent], responses=problems(403, 404, 409, 422))
async def register_unit(unit_id: Id, body: UnitRegistrationCreate, principal: CurrentPrincipal,
                        session: SessionDep, response: Response) -> UnitRegistrationRead:
    """单位到社区报到（需单位或该社区的 units:write）。同一单位在同一社区已有有效报到 → 409
    unit_already_registered。"""
    unit = await service.get(session, principal, unit_id)
    reg = await service.register(session, principal, unit, body)
    set_etag(response, reg.version)
    return UnitRegistrationRead.model_validate(reg)


@router.post("/units/{unit_id}/registrations/{reg_id}/end",
             responses=problems(403, 404, 409, 412))
async def end_registration(unit_id: Id, reg_id: Id, principal: CurrentPrincipal,
                           session: SessionDep, response: Response, if_match: IfMatch = None
                           ) -> UnitRegistrationRead:
    """结束报到；已结束 → 409 registration_not_active。之后可重新报到。"""
    unit = await service.get(session, principal, unit_id)
    reg = await service.get_registration(session, unit, reg_id)
    check_if_match(if_match, reg.version)
    reg = await service.end_registration(session, principal, unit, reg)
    set_etag(response, reg.version)
    return UnitRegistrationRead.model_validate(reg)


@router.get("/units/{unit_id}/registrations", responses=problems(400, 403, 404))
async def list_registrations(unit_id: Id, principal: CurrentPrincipal, session: SessionDep,
                             page: PageDep,
                             status: Literal["active", "ended"] | None = None
                             ) -> Page[UnitRegistrationRead]:
    """单位的报到记录（含已结束的），按报到顺序。"""
    unit = await service.get(session, principal, unit_id)
    rows = await service.list_registrations(session, unit, status=status, page=page)
    return page_of(rows, page, lambda r: [r.id], UnitRegistrationRead.model_validate)


@router.get("/communities/{community_id}/units", responses=problems(400, 403, 404))
async def community_units(community_id: Id, principal: CurrentPrincipal, session: SessionDep,
                          cipher: CipherDep, page: PageDep) -> Page[RegisteredUnitRead]:
    """在本社区有效报到的单位（社区一方的视图，需该社区的 units:read）。"""
    org = await service.community(session, principal, community_id)
    items = await service.community_units(session, principal, cipher, org, page)
    items, cursor = next_cursor(items, page, lambda u: [u.registration_id])
    return Page(items=items, next_cursor=cursor)
