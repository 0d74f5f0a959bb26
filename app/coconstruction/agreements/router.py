"""共驻共建协议: agreements between a unit and a community, their projects, and 双报告."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.coconstruction.agreements import service
from app.coconstruction.agreements.schemas import (
    AgreementCreate,
    AgreementRead,
    AgreementStatus,
    AgreementUpdate,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    ReportCreate,
    ReportRead,
    Side,
)
from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, next_cursor, page_of
from app.core.permissions import Perm
from app.core.routing import DomainRouter

router = DomainRouter(prefix="/agreements", tags=["units"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 422))
async def create_agreement(body: AgreementCreate, principal: CurrentPrincipal,
                           session: SessionDep, response: Response) -> AgreementRead:
    """社区与已报到的单位签订共建协议（需该社区的 units:write）：资源清单、需求清单、项目。
    单位未在该社区有效报到 → 422 unit_not_registered；结束日期早于开始日期 → 422 ends_on。"""
    agreement, projects = await service.create(session, principal, body)
    set_etag(response, agreement.version)
    return service.agreement_read(agreement, projects)


@router.get("", responses=problems(400))
async def list_agreements(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    community_id: Annotated[Id | None, Query()] = None,
    unit_id: Annotated[Id | None, Query()] = None,
    status: AgreementStatus | None = None,
) -> Page[AgreementRead]:
    """可见的共建协议（本社区的，或单位联络员所在单位的），新协议在前，含项目。"""
    filters = service.list_filters(community_id=community_id, unit_id=unit_id, status=status)
    rows = await service.list_page(session, principal, filters=filters, page=page)
    rows, cursor = next_cursor(rows, page, lambda a: [a.id])
    return Page(items=await service.reads(session, rows), next_cursor=cursor)


@router.get("/{agreement_id}", responses=problems(403, 404))
async def get_agreement(agreement_id: Id, principal: CurrentPrincipal, session: SessionDep,
                        response: Response) -> AgreementRead:
    """协议详情（含项目）。"""
    agreement, _ = await service.get(session, principal, agreement_id)
    set_etag(response, agreement.version)
    return (await service.reads(session, [agreement]))[0]


@router.patch("/{agreement_id}", responses=problems(403, 404, 409, 412, 422))
async def update_agreement(agreement_id: Id, body: AgreementUpdate,
                           principal: CurrentPrincipal, session: SessionDep,
                           response: Response, if_match: IfMatch = None) -> AgreementRead:
    """修改协议；状态只能 active → completed | ended（否则 409
    agreement_invalid_transition）；If-Match 过期 → 412。"""
    agreement, _ = await service.get(session, principal, agreement_id, Perm.unit_write)
    check_if_match(if_match, agreement.version)
    agreement = await service.update(session, principal, agreement, body)
    set_etag(response, agreement.version)
    return (await service.reads(session, [agreement]))[0]


@router.post("/{agreement_id}/projects", status_code=status.HTTP_201_CREATED,
             dependencies=[Idempotent], responses=problems(403, 404, 409, 422))
async def add_project(agreement_id: Id, body: ProjectCreate, principal: CurrentPrincipal,
                      session: SessionDep, response: Response) -> ProjectRead:
    """为进行中的协议添加项目（已结束的协议 → 409 agreement_not_active）。"""
    agreement, _ = await service.get(session, principal, agreement_id, Perm.unit_write)
    project = await service.add_project(session, principal, agreement, body)
    set_etag(response, project.version)
    return service.project_read(project)


@router.patch("/{agreement_id}/projects/{project_id}",
              responses=problems(403, 404, 409, 412, 422))
async def update_project(agreement_id: Id, project_id: Id, body: ProjectUpdate,
                         principal: CurrentPrincipal, session: SessionDep, response: Response,
                         if_match: IfMatch = None) -> ProjectRead:
    """修改项目；状态 planned → in_progress → done（否则 409 project_invalid_transition）。"""
    agreement, _ = await service.get(session, principal, agreement_id, Perm.unit_write)
    project = await service.get_project(session, agreement, project_id)
    check_if_match(if_match, project.version)
    project = await service.update_project(session, principal, agreement, project, body)
    set_etag(response, project.version)
    return service.project_read(project)


@router.post("/{agreement_id}/reports", status_code=status.HTTP_201_CREATED,
             dependencies=[Idempotent], responses=problems(403, 404, 422))
async def add_report(agreement_id: Id, body: ReportCreate, principal: CurrentPrincipal,
                     session: SessionDep) -> ReportRead:
    """双报告：单位联络员报告单位一方（side=unit），社区工作人员报告社区一方
    （side=community）；报告另一方 → 403 report_side_forbidden。"""
    agreement, unit_path = await service.get(session, principal, agreement_id,
                                             Perm.agreement_report)
    row = await service.report(session, principal, agreement, unit_path, body)
    return ReportRead.model_validate(row)


@router.get("/{agreement_id}/reports", responses=problems(400, 403, 404))
async def list_reports(agreement_id: Id, principal: CurrentPrincipal, session: SessionDep,
                       page: PageDep, side: Side | None = None) -> Page[ReportRead]:
    """协议的报告，新报告在前。"""
    agreement, _ = await service.get(session, principal, agreement_id)
    rows = await service.list_reports(session, agreement, side=side, page=page)
    return page_of(rows, page, lambda r: [r.id], ReportRead.model_validate)
