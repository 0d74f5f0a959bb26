"""述职评议: year-end reviews, the secretaries' reports, ratings, the combined ranking."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.assessment.reviews import service
from app.assessment.reviews.schemas import (
    ReviewCreate,
    ReviewRatingCreate,
    ReviewRatingRead,
    ReviewRead,
    ReviewReportCreate,
    ReviewReportRead,
    ReviewResults,
)
from app.assessment.rounds import export
from app.core.auth import CurrentPrincipal
from app.core.concurrency import set_etag
from app.core.db import SessionDep
from app.core.errors import problems
from app.core.i18n import current_language
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.routing import DomainRouter
from app.models import Review

router = DomainRouter(tags=["assessment"])
ITEM = "/reviews/{review_id}"
FORMULA_DOC = """
综合得分公式（公开）：
- 评议得分 R = 各评议票分值的平均：好 100、较好 80、一般 60、差 40；
- 季度考核得分 Q = 本年度该类组织各季度考核总分占满分百分比的平均；
- 综合得分 = 0.6 × Q + 0.4 × R；只有其中一项时取该项；两项都没有则不排名。
按综合得分从高到低排名，并列同名次。"""


@router.post(
    "/reviews",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 422),
)
async def create_review(
    body: ReviewCreate, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> ReviewRead:
    """组织年度述职评议（assessment:write，区、街道）：评议 org_id 之下所有 org_kind 类组织，
    评议窗口 [opens_at, closes_at)。"""
    review = await service.create(session, principal, body)
    set_etag(response, review.version)
    return service.read(review)


@router.get("/reviews", responses=problems(400))
async def list_reviews(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    org_id: Annotated[Id | None, Query()] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Page[ReviewRead]:
    """可见范围内的述职评议，最新在前。"""
    filters = []
    if org_id is not None:
        filters.append(Review.org_id == org_id)
    if year is not None:
        filters.append(Review.year == year)
    rows = await service.page(session, principal, filters=filters, params=page)
    return page_of(rows, page, lambda r: [r.id], service.read)


@router.get("/reviews/mine", responses=problems(400))
async def list_my_reviews(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Page[ReviewRead]:
    """评议本组织的述职评议（被评议组织的书记、工作人员：评议由上级开展），最新在前。
    其结果（/results）只含本组织的一行（结果、名次），报告列表只含本组织的报告。"""
    filters = [Review.year == year] if year is not None else []
    rows = await service.reviewing_page(session, principal, filters=filters, params=page)
    return page_of(rows, page, lambda r: [r.id], service.read)


@router.get(ITEM, responses=problems(404))
async def get_review(
    review_id: Id, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> ReviewRead:
    """述职评议详情。"""
    review = await service.get(session, principal, review_id)
    set_etag(response, review.version)
    return service.read(review)


@router.post(
    f"{ITEM}/reports",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 404, 409, 422),
)
async def file_report(
    review_id: Id, body: ReviewReportCreate, principal: CurrentPrincipal, session: SessionDep
) -> ReviewReportRead:
    """组织书记提交本组织的述职报告（须在该组织本身持有 assessment:report，如社区的
    community_admin、网格支部的 grid_head；上级不能代交 → 403 review_not_secretary）；
    评议结束后 → 409 review_closed；已提交 → 409 review_report_exists。"""
    return service.read_report(await service.file_report(session, principal, review_id, body))


@router.get(f"{ITEM}/reports", responses=problems(400, 404))
async def list_reports(
    review_id: Id, principal: CurrentPrincipal, session: SessionDep, page: PageDep
) -> Page[ReviewReportRead]:
    """本次评议中可见范围内的述职报告。"""
    review = await service.get(session, principal, review_id)
    rows = await service.reports_page(session, principal, review, page)
    return page_of(rows, page, lambda r: [r.id], service.read_report)


@router.post(
    f"{ITEM}/reports/{{report_id}}/ratings",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problems(403, 404, 409, 422),
)
async def rate_report(
    review_id: Id,
    report_id: Id,
    body: ReviewRatingCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> ReviewRatingRead:
    """评议人评价一份述职报告（好/较好/一般/差，assessment:write），每人一次。评议窗口之前
    → 409 review_not_open，之后 → 409 review_closed；再次评价 → 409 review_already_rated。"""
    review = await service.get(session, principal, review_id)
    return service.read_rating(await service.rate(session, principal, review, report_id, body))


@router.get(
    f"{ITEM}/results",
    responses=problems(404),
    description="述职评议结果与排名（按组织类型，即本次评议的 org_kind）。\n" + FORMULA_DOC,
)
async def review_results(
    review_id: Id, principal: CurrentPrincipal, session: SessionDep
) -> ReviewResults:
    # The description (the published formula) is set on the decorator.
    review = await service.get(session, principal, review_id)
    return await service.results(session, principal, review)


@router.get(
    f"{ITEM}/results.xlsx",
    response_class=Response,
    description="述职评议排名 Excel（表头中文；Accept-Language: en 时为英文）。\n" + FORMULA_DOC,
    responses={
        **problems(404),
        200: {"content": {export.XLSX_MIME: {}}, "description": "排名 Excel"},
    },
)
async def review_results_xlsx(
    review_id: Id, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    # The description (the published formula) is set on the decorator.
    review = await service.get(session, principal, review_id)
    res = await service.results(session, principal, review)
    lang = current_language()
    head, rows = service.export_rows(res, lang)
    title = f"{res.year} 述职评议" if lang == "zh" else f"{res.year} review"
    body = await export.workbook(title, head, rows)
    return Response(
        body,
        media_type=export.XLSX_MIME,
        headers={
            "Content-Disposition": f'attachment; filename="review-{res.year}-{review.id}.xlsx"'
        },
    )
