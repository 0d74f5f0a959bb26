"""下沉干部: cadres seconded from units to streets and communities; rosters and counts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Response, status

from app.coconstruction.cadres import service
from app.coconstruction.cadres.schemas import (
    CadreCreate,
    CadreRead,
    CadreSummary,
    CadreUpdate,
    Rank,
)
from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.deps import CipherDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id, IsoDate
from app.core.pagination import Page, PageDep, page_of
from app.core.permissions import Perm
from app.core.routing import DomainRouter

router = DomainRouter(prefix="/cadres", tags=["units"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 422))
async def create_cadre(body: CadreCreate, principal: CurrentPrincipal, session: SessionDep,
                       cipher: CipherDep, response: Response) -> CadreRead:
    """登记下沉到街道（乡镇）或社区的干部（需该街道/社区的 units:write）。rank：section 科级、
    general 一般。手机号加密保存，返回时姓名与手机号脱敏。"""
    cadre = await service.create(session, principal, cipher, body)
    set_etag(response, cadre.version)
    return service.cadre_read(cadre, cipher)


@router.get("", responses=problems(400))
async def list_cadres(
    principal: CurrentPrincipal,
    session: SessionDep,
    cipher: CipherDep,
    page: PageDep,
    org_id: Annotated[Id | None, Query(description="下沉到该街道/社区（含下级）")] = None,
    unit_id: Annotated[Id | None, Query()] = None,
    rank: Rank | None = None,
    active_on: Annotated[IsoDate | None, Query(description="该日在岗的干部")] = None,
) -> Page[CadreRead]:
    """下沉干部花名册（按服务的街道/社区可见；单位联络员可见本单位派出的干部）。"""
    filters = service.list_filters(org_id=org_id, unit_id=unit_id, rank=rank,
                                   active_on=active_on)
    rows = await service.list_page(session, principal, filters=filters, page=page)
    return page_of(rows, page, lambda c: [c.id], lambda c: service.cadre_read(c, cipher))


@router.get("/summary", responses=problems(403, 404))
async def cadre_summary(
    principal: CurrentPrincipal,
    session: SessionDep,
    org_id: Annotated[Id | None, Query(description="统计该组织之下；缺省为可见范围")] = None,
    active_on: Annotated[IsoDate | None, Query(description="统计日，缺省为今天")] = None,
) -> CadreSummary:
    """按街道、社区统计在岗下沉干部人数（科级、一般、合计）。社区行：下沉到该社区的干部；
    街道行：下沉到街道本级的干部。"""
    return await service.summary(session, principal, org_id=org_id,
                                 day=active_on or date.today())


@router.get("/{cadre_id}", responses=problems(403, 404))
async def get_cadre(cadre_id: Id, principal: CurrentPrincipal, session: SessionDep,
                    cipher: CipherDep, response: Response) -> CadreRead:
    """下沉干部详情（脱敏）。"""
    cadre = await service.get(session, principal, cadre_id)
    set_etag(response, cadre.version)
    return service.cadre_read(cadre, cipher)


@router.patch("/{cadre_id}", responses=problems(403, 404, 412, 422))
async def update_cadre(cadre_id: Id, body: CadreUpdate, principal: CurrentPrincipal,
                       session: SessionDep, cipher: CipherDep, response: Response,
                       if_match: IfMatch = None) -> CadreRead:
    """修改下沉干部信息（如到期日 ends_on）；If-Match 过期 → 412。"""
    cadre = await service.get(session, principal, cadre_id, Perm.unit_write)
    check_if_match(if_match, cadre.version)
    cadre = await service.update(session, principal, cipher, cadre, body)
    set_etag(response, cadre.version)
    return service.cadre_read(cadre, cipher)
