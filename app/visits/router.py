"""Household visit logs (走访): log, list, read, correct. There is no DELETE: a log is a record
(of work done, counted in assessments); a wrong one is corrected, with its version and an audit
row, not removed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id, IsoAwareDateTime
from app.core.pagination import Page, PageDep, page_of
from app.core.routing import DomainRouter
from app.visits import service
from app.visits.schemas import Crs, Purpose, VisitCreate, VisitRead, VisitUpdate

router = DomainRouter(prefix="/visits", tags=["visits"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 409, 422))
async def create_visit(body: VisitCreate, principal: CurrentPrincipal, session: SessionDep,
                       response: Response) -> VisitRead:
    """记录一次入户走访（本人任职的网格）。同一 client_ref 重复提交返回原记录（200）。"""
    visit, created = await service.create(session, principal, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    set_etag(response, visit.version)
    return service.visit_read(visit)


@router.get("", responses=problems(400))
async def list_visits(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    grid_id: Annotated[Id | None, Query()] = None,
    community_id: Annotated[Id | None, Query()] = None,
    author_id: Annotated[Id | None, Query(description="记录人（用户 id）")] = None,
    purpose: Purpose | None = None,
    household_ref: Annotated[str | None, Query(min_length=1, max_length=100,
                                               description="某住户的走访历史（完全匹配）")] = None,
    household_id: Annotated[Id | None, Query(description="人房信息库中某住户的走访历史")
                            ] = None,
    from_: Annotated[IsoAwareDateTime | None, Query(alias="from",
                                                 description="走访时间 ≥ from（带时区）")] = None,
    to: Annotated[IsoAwareDateTime | None, Query(description="走访时间 < to（带时区）")] = None,
    crs: Crs = "wgs84",
) -> Page[VisitRead]:
    """可见范围内的走访记录，新记录在前。"""
    filters = service.list_filters(grid_id=grid_id, community_id=community_id,
                                   author_id=author_id, purpose=purpose,
                                   household_ref=household_ref, start=from_, end=to,
                                   household_id=household_id)
    rows = await service.list_page(session, principal, filters=filters, page=page)
    return page_of(rows, page, lambda v: [v.id], lambda v: service.visit_read(v, crs))


@router.get("/{visit_id}", responses=problems(403, 404))
async def get_visit(visit_id: Id, principal: CurrentPrincipal, session: SessionDep,
                    response: Response, crs: Crs = "wgs84") -> VisitRead:
    visit = await service.get(session, principal, visit_id)
    set_etag(response, visit.version)
    return service.visit_read(visit, crs)


@router.patch("/{visit_id}", responses=problems(403, 404, 412, 422))
async def update_visit(visit_id: Id, body: VisitUpdate, principal: CurrentPrincipal,
                       session: SessionDep, response: Response, if_match: IfMatch = None
                       ) -> VisitRead:
    """更正走访记录：记录人 7 天内可改，之后及他人的记录由管理员修改；If-Match 过期 → 412。
    走访记录不能删除。"""
    visit = await service.get(session, principal, visit_id)
    service.authorize_edit(principal, visit)
    check_if_match(if_match, visit.version)
    visit = await service.update(session, principal, visit, body)
    set_etag(response, visit.version)
    return service.visit_read(visit)
