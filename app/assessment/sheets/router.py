"""考核细则: scoring sheets per year and kind of org, frozen once used, versioned."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.assessment.rounds.metrics import all_metrics
from app.assessment.sheets import service
from app.assessment.sheets.schemas import AssessmentMetricRead, SheetCreate, SheetRead, SheetUpdate
from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.i18n import t
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.permissions import Perm
from app.core.routing import DomainRouter
from app.models import AssessmentSheet
from app.orgs.schemas import OrgKind

router = DomainRouter(tags=["assessment"])
ITEM = "/assessment/sheets/{sheet_id}"


@router.get("/assessment/metrics")
async def list_metrics(principal: CurrentPrincipal) -> list[AssessmentMetricRead]:
    """计算项可用的指标（案件办结率、按期办结率、报到审核通过人数…），供制定细则时选用。"""
    return [
        AssessmentMetricRead(name=m.name, label=t(m.zh, m.en), unit=m.unit) for m in all_metrics()
    ]


@router.post(
    "/assessment/sheets",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 422),
)
async def create_sheet(
    body: SheetCreate, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> SheetRead:
    """制定考核细则（assessment:write，区、街道）：考核项含权重与满分，manual 项由考核人打分，
    computed 项按指标自动计算。总分 = Σ 权重 × 得分。"""
    sheet = await service.create(session, principal, body)
    set_etag(response, sheet.version)
    return service.read(sheet, await service.items(session, sheet))


@router.get("/assessment/sheets", responses=problems(400))
async def list_sheets(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    org_id: Annotated[Id | None, Query()] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    org_kind: OrgKind | None = None,
) -> Page[SheetRead]:
    """可见范围内的考核细则，最新在前。"""
    filters = []
    if org_id is not None:
        filters.append(AssessmentSheet.org_id == org_id)
    if year is not None:
        filters.append(AssessmentSheet.year == year)
    if org_kind is not None:
        filters.append(AssessmentSheet.org_kind == org_kind)
    rows = await service.page(session, principal, filters=filters, params=page)
    out = page_of(rows, page, lambda s: [s.id], lambda s: s)
    return Page(items=await service.reads(session, out.items), next_cursor=out.next_cursor)


@router.get(ITEM, responses=problems(404))
async def get_sheet(
    sheet_id: Id, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> SheetRead:
    """考核细则详情。"""
    sheet = await service.get(session, principal, sheet_id)
    set_etag(response, sheet.version)
    return service.read(sheet, await service.items(session, sheet))


@router.patch(ITEM, responses=problems(403, 404, 409, 412, 422))
async def update_sheet(
    sheet_id: Id,
    body: SheetUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> SheetRead:
    """修改草稿细则（items 整体替换）；已用于考核的细则 → 409 assessment_sheet_in_use。"""
    sheet = await service.get(session, principal, sheet_id, Perm.assessment_write)
    sheet = await service.update(session, principal, sheet, body, if_match)
    set_etag(response, sheet.version)
    return service.read(sheet, await service.items(session, sheet))


@router.delete(ITEM, status_code=status.HTTP_204_NO_CONTENT, responses=problems(403, 404, 409))
async def delete_sheet(sheet_id: Id, principal: CurrentPrincipal, session: SessionDep) -> Response:
    """删除草稿细则；已用于考核 → 409。"""
    sheet = await service.get(session, principal, sheet_id, Perm.assessment_write)
    await service.delete(session, principal, sheet)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    f"{ITEM}/versions",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 404),
)
async def version_sheet(
    sheet_id: Id, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> SheetRead:
    """以此细则为底稿新建一个版本（草稿，version_no + 1，previous_id 指向原细则）。"""
    sheet = await service.get(session, principal, sheet_id, Perm.assessment_write)
    copy = await service.new_version(session, principal, sheet)
    set_etag(response, copy.version)
    return service.read(copy, await service.items(session, copy))
