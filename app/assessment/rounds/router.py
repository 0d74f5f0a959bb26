"""季度考核: rounds applying a sheet to every org of a kind for a quarter, scores, results."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.assessment.rounds import export, lifecycle, service
from app.assessment.rounds.schemas import (
    Quarter,
    RoundCreate,
    RoundRead,
    RoundResults,
    ScoreIn,
    ScoreRead,
)
from app.core.auth import CurrentPrincipal
from app.core.concurrency import IfMatch, check_if_match, set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.i18n import current_language
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.permissions import Perm
from app.core.routing import DomainRouter
from app.models import AssessmentRound, AssessmentScore

router = DomainRouter(tags=["assessment"])
ITEM = "/assessment/rounds/{round_id}"
OptionalId = Annotated[Id | None, Query()]


@router.post(
    "/assessment/rounds",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 404, 409, 422),
)
async def create_round(
    body: RoundCreate, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> RoundRead:
    """开展一个季度的考核（assessment:write）：把细则应用到 org_id 之下所有该类组织，计算项
    立即按平台数据算出（季度按北京时间划分），manual 项待考核人打分。细则从此冻结。
    同一细则、同一组织、同一季度再次开展 → 409 assessment_round_exists。"""
    rnd = await service.create(session, principal, body)
    set_etag(response, rnd.version)
    return service.read(rnd)


@router.get("/assessment/rounds", responses=problems(400))
async def list_rounds(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    org_id: OptionalId = None,
    sheet_id: OptionalId = None,
    quarter: Quarter | None = None,
) -> Page[RoundRead]:
    """可见范围内的考核轮次，最新在前。"""
    filters = []
    if org_id is not None:
        filters.append(AssessmentRound.org_id == org_id)
    if sheet_id is not None:
        filters.append(AssessmentRound.sheet_id == sheet_id)
    if quarter is not None:
        year, q = quarter.split("-Q")
        filters += [AssessmentRound.year == int(year), AssessmentRound.quarter == int(q)]
    rows = await service.page(session, principal, filters=filters, params=page)
    return page_of(rows, page, lambda r: [r.id], service.read)


@router.get("/assessment/rounds/mine", responses=problems(400))
async def list_my_rounds(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    quarter: Quarter | None = None,
) -> Page[RoundRead]:
    """考核本组织的轮次（被考核组织的书记、工作人员：轮次由上级开展，不在本组织范围内），
    最新在前。其结果（/results）只含本组织的一行：得分、逐项失分、在全部被考核组织中的名次。"""
    filters = []
    if quarter is not None:
        year, q = quarter.split("-Q")
        filters += [AssessmentRound.year == int(year), AssessmentRound.quarter == int(q)]
    rows = await service.assessing_page(session, principal, filters=filters, params=page)
    return page_of(rows, page, lambda r: [r.id], service.read)


@router.get(ITEM, responses=problems(404))
async def get_round(
    round_id: Id, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> RoundRead:
    """考核轮次详情。"""
    rnd = await service.get(session, principal, round_id)
    set_etag(response, rnd.version)
    return service.read(rnd)


@router.get(f"{ITEM}/scores", responses=problems(400, 404))
async def list_scores(
    round_id: Id,
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    org_id: OptionalId = None,
) -> Page[ScoreRead]:
    """本轮的逐项得分（可见范围内的组织）。"""
    rnd = await service.get(session, principal, round_id)
    filters = [AssessmentScore.org_id == org_id] if org_id is not None else []
    rows = await service.scores_page(session, principal, rnd, filters=filters, params=page)
    return page_of(rows, page, lambda s: [s.id], service.read_score)


@router.post(f"{ITEM}/scores", dependencies=[Idempotent], responses=problems(403, 404, 409, 422))
async def enter_score(
    round_id: Id, body: ScoreIn, principal: CurrentPrincipal, session: SessionDep
) -> ScoreRead:
    """考核人为一个组织的 manual 项打分并写明理由（assessment:write，记入审计）；可重新打分，
    以最后一次为准；已发布的轮次 → 409 assessment_round_published。
    computed 项 → 409 assessment_item_computed；超过满分 → 422。"""
    rnd = await service.get(session, principal, round_id)
    return service.read_score(await service.enter_score(session, principal, rnd, body))


@router.post(f"{ITEM}/recompute", responses=problems(403, 404, 409, 412))
async def recompute_round(
    round_id: Id,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> RoundRead:
    """按当前平台数据重新计算本轮全部 computed 项（assessment:write，记入审计），manual 项不变。
    已发布的轮次 → 409 assessment_round_published。"""
    rnd = await service.get(session, principal, round_id, Perm.assessment_write)
    check_if_match(if_match, rnd.version)
    rnd, _ = await lifecycle.recompute(session, principal, rnd)
    set_etag(response, rnd.version)
    return service.read(rnd)


@router.post(f"{ITEM}/publish", responses=problems(403, 404, 409, 412))
async def publish_round(
    round_id: Id,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> RoundRead:
    """发布考核结果（assessment:write，记入审计）：此后本轮冻结，重新计算、打分 →
    409 assessment_round_published。"""
    rnd = await service.get(session, principal, round_id, Perm.assessment_write)
    check_if_match(if_match, rnd.version)
    rnd = await lifecycle.publish(session, principal, rnd)
    set_etag(response, rnd.version)
    return service.read(rnd)


@router.get(f"{ITEM}/results", responses=problems(404))
async def round_results(
    round_id: Id, principal: CurrentPrincipal, session: SessionDep
) -> RoundResults:
    """考核结果：每个组织的总分（Σ 权重 × 得分）、名次（本轮全部组织中排名，并列同名次）、
    逐项得分与失分（权重 × (满分 − 得分)）。"""
    rnd = await service.get(session, principal, round_id)
    return await service.results(session, principal, rnd)


@router.get(
    f"{ITEM}/results.xlsx",
    response_class=Response,
    responses={
        **problems(404),
        200: {"content": {export.XLSX_MIME: {}}, "description": "考核结果 Excel"},
    },
)
async def round_results_xlsx(
    round_id: Id, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """考核结果 Excel（表头中文；Accept-Language: en 时为英文）。"""
    rnd = await service.get(session, principal, round_id)
    res = await service.results(session, principal, rnd)
    lang = current_language()
    head, rows = service.export_rows(res, lang)
    title = f"{res.quarter} 考核结果" if lang == "zh" else f"{res.quarter} results"
    body = await export.workbook(title, head, rows)
    name = f"assessment-{res.quarter}-{rnd.id}.xlsx"
    return Response(
        body,
        media_type=export.XLSX_MIME,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
