"""Year-end review (述职评议). A node holding assessment:write (the district, a street) opens a
review of every org of one kind under it for a year, with a rating window. Each org's secretary
files its report: the caller must hold assessment:report on that very node (a community's
admin, a street's admin, a grid branch's head), not merely above it. Reviewers holding
assessment:write over the org rate each report once, only inside [opens_at, closes_at): before
→ 409 review_not_open, after → 409 review_closed.

The published formula (also in GET /reviews/{id}/results):
    R = mean of the ratings' points: 好 good 100, 较好 fairly_good 80, 一般 average 60, 差 poor 40
    Q = mean over the year's quarterly rounds of that kind of the org's total / maximum × 100
    result = 0.6 × Q + 0.4 × R; with only one of them, that one; with neither, no result.
Orgs are ranked by result, highest first, equal results sharing a rank; orgs with no result
come last, unranked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment.assessed import assessed_under
from app.assessment.errors import (
    AlreadyRated,
    NotSecretary,
    ReportExists,
    ReportNotFound,
    ReviewClosed,
    ReviewNotFound,
    ReviewNotOpen,
)
from app.assessment.reviews import repository as repo
from app.assessment.reviews.schemas import (
    ReviewCreate,
    ReviewGrade,
    ReviewRatingCreate,
    ReviewRatingRead,
    ReviewRead,
    ReviewReportCreate,
    ReviewReportRead,
    ReviewResult,
    ReviewResults,
)
from app.assessment.rounds import service as rounds
from app.core import audit
from app.core.errors import Forbidden, field_error
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize, covers, holds_on_node, scope_paths, sees
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Review, ReviewRating, ReviewReport
from app.models.scoped import scope_from
from app.orgs import service as orgs
from app.orgs.errors import OrgNotFound

GRADE_POINTS: dict[ReviewGrade, float] = {
    ReviewGrade.good: 100.0,
    ReviewGrade.fairly_good: 80.0,
    ReviewGrade.average: 60.0,
    ReviewGrade.poor: 40.0,
}
QUARTERLY_WEIGHT, RATING_WEIGHT = 0.6, 0.4
FORMULA = (
    "result = 0.6 × Q + 0.4 × R; Q = mean of the year's quarterly totals as % of the "
    "maximum; R = mean rating points (good 100, fairly_good 80, average 60, poor 40); "
    "with only one of Q and R, that one"
)


async def get(
    session: AsyncSession,
    principal: Principal,
    review_id: int,
    permission: Perm = Perm.assessment_read,
) -> Review:
    review = await repo.by_id(session, review_id)
    if review is None:
        raise ReviewNotFound()
    if not sees(principal, review.org_path) and await assessed_under(
        session, principal, review.org_path, review.org_kind
    ):
        # An assessed org's own staff: they read it (results and lists cut to their subtree)
        # and may do nothing else with it.
        if permission != Perm.assessment_read:
            raise Forbidden()
        return review
    authorize(principal, permission, review.org_path, not_found=ReviewNotFound())
    return review


async def create(session: AsyncSession, principal: Principal, data: ReviewCreate) -> Review:
    try:
        org = await orgs.get(session, principal, data.org_id)
    except OrgNotFound as exc:
        raise field_error("org_id", "组织不存在", "No such organisation") from exc
    authorize(principal, Perm.assessment_write, org.path)
    review = Review(
        org_id=org.id,
        **scope_from(org, Review),
        year=data.year,
        org_kind=data.org_kind,
        title=data.title,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        created_by=principal.id,
    )
    session.add(review)
    await session.flush()
    await audit.record(
        session, principal, "review.create", "review", review.id, org_path=review.org_path
    )
    return review


def _reviewee(principal: Principal, review: Review) -> bool:
    """The caller files reports somewhere under the review: it may reach the review to file."""
    return any(
        covers(review.org_path, g.org_path)
        and g.org_path != review.org_path
        and Perm.assessment_report in g.permissions
        for g in principal.grants
    )


async def file_report(
    session: AsyncSession, principal: Principal, review_id: int, data: ReviewReportCreate
) -> ReviewReport:
    review = await repo.by_id(session, review_id)
    if review is None or not (sees(principal, review.org_path) or _reviewee(principal, review)):
        raise ReviewNotFound()
    try:
        org = await orgs.get(session, principal, data.org_id)
    except OrgNotFound as exc:
        raise field_error("org_id", "组织不存在", "No such organisation") from exc
    if not covers(review.org_path, org.path) or org.kind != review.org_kind:
        raise field_error("org_id", "该组织不在本次评议范围内", "The org is not under review here")
    if not holds_on_node(principal, Perm.assessment_report, org.path):
        raise NotSecretary()
    if utcnow() >= review.closes_at:
        raise ReviewClosed()
    if await repo.report_of(session, review.id, org.id) is not None:
        raise ReportExists()
    report = ReviewReport(
        review_id=review.id,
        org_id=org.id,
        **scope_from(org, ReviewReport),
        author_id=principal.id,
        content=data.content,
    )
    session.add(report)
    try:
        await session.flush()
    except IntegrityError as exc:  # filed by a concurrent request
        raise ReportExists() from exc
    await audit.record(
        session,
        principal,
        "review.file_report",
        "review",
        review.id,
        org_path=report.org_path,
        detail={"report_id": report.id},
    )
    return report


async def rate(
    session: AsyncSession,
    principal: Principal,
    review: Review,
    report_id: int,
    data: ReviewRatingCreate,
) -> ReviewRating:
    report = await repo.report_by_id(session, review.id, report_id)
    if report is None:
        raise ReportNotFound()
    authorize(principal, Perm.assessment_write, report.org_path, not_found=ReportNotFound())
    now = utcnow()
    if now < review.opens_at:
        raise ReviewNotOpen()
    if now >= review.closes_at:
        raise ReviewClosed()
    if await repo.rating_of(session, report.id, principal.id) is not None:
        raise AlreadyRated()
    rating = ReviewRating(
        report_id=report.id,
        reviewer_id=principal.id,
        grade=data.grade,
        comment=data.comment,
        org_path=report.org_path,
        street_id=report.street_id,
        community_id=report.community_id,
    )
    session.add(rating)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same reviewer, in a concurrent request
        raise AlreadyRated() from exc
    await audit.record(
        session,
        principal,
        "review.rate",
        "review",
        review.id,
        org_path=report.org_path,
        detail={"report_id": report.id, "grade": data.grade},
    )
    return rating


async def page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[Review]:
    return await repo.page(session, principal, filters=filters, params=params)


async def reviewing_page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[Review]:
    return await repo.reviewing_page(session, principal, filters=filters, params=params)


async def reports_page(
    session: AsyncSession, principal: Principal, review: Review, params: PageParams
) -> list[ReviewReport]:
    return await repo.reports_page(session, principal, review.id, params)


def combine(quarterly: float | None, rating: float | None) -> float | None:
    if quarterly is None or rating is None:
        return quarterly if rating is None else rating
    return round(QUARTERLY_WEIGHT * quarterly + RATING_WEIGHT * rating, 2)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


async def results(session: AsyncSession, principal: Principal, review: Review) -> ReviewResults:
    targets = await rounds.orgs_of_kind(session, review.org_path, review.org_kind)
    reports = {r.org_id: r for r in await repo.reports_of(session, review.id)}
    grades: dict[int, dict[str, int]] = {}
    for report_id, grade, n in await repo.grade_counts(session, review.id):
        grades.setdefault(report_id, {})[grade] = n
    quarterly = await rounds.year_percentages(
        session, review.org_path, review.year, review.org_kind
    )
    out = []
    for org in targets:
        report = reports.get(org.id)
        votes = grades.get(report.id, {}) if report else {}
        points = [GRADE_POINTS[ReviewGrade(g)] for g, n in votes.items() for _ in range(n)]
        q, r = _mean(quarterly.get(org.id, [])), _mean(points)
        out.append(
            ReviewResult(
                org_id=org.id,
                org_name=org.name,
                org_path=org.path,
                report_id=report.id if report else None,
                grades={g.value: votes.get(g.value, 0) for g in ReviewGrade},
                rating_score=r,
                quarterly_score=q,
                result=combine(q, r),
                rank=None,
            )
        )
    _rank(out)
    paths = scope_paths(principal, Perm.assessment_read)
    shown = [r for r in out if any(covers(p, r.org_path) for p in paths)]
    return ReviewResults(
        review_id=review.id,
        year=review.year,
        org_kind=review.org_kind,
        formula=FORMULA,
        items=shown,
    )


def _rank(results: list[ReviewResult]) -> None:
    results.sort(key=lambda r: (r.result is None, -(r.result or 0.0), r.org_path))
    for i, r in enumerate(results):
        if r.result is None:
            continue
        same = i and results[i - 1].result == r.result
        r.rank = results[i - 1].rank if same else i + 1


def read(review: Review) -> ReviewRead:
    return ReviewRead(
        id=review.id,
        org_id=review.org_id,
        org_path=review.org_path,
        year=review.year,
        org_kind=review.org_kind,
        title=review.title,
        opens_at=review.opens_at,
        closes_at=review.closes_at,
        version=review.version,
        created_at=review.created_at,
    )


def read_report(r: ReviewReport) -> ReviewReportRead:
    return ReviewReportRead(
        id=r.id,
        review_id=r.review_id,
        org_id=r.org_id,
        org_path=r.org_path,
        author_id=r.author_id,
        content=r.content,
        filed_at=r.filed_at,
    )


def read_rating(r: ReviewRating) -> ReviewRatingRead:
    return ReviewRatingRead(
        id=r.id,
        report_id=r.report_id,
        org_path=r.org_path,
        reviewer_id=r.reviewer_id,
        grade=ReviewGrade(r.grade),
        comment=r.comment,
        rated_at=r.rated_at,
    )


GRADE_LABELS = {
    "zh": ["好", "较好", "一般", "差"],
    "en": ["Good", "Fairly good", "Average", "Poor"],
}


def export_rows(res: ReviewResults, lang: str) -> tuple[list[str], list[list[Any]]]:
    head = (
        ["名次", "组织", "季度考核得分", "评议得分", *GRADE_LABELS["zh"], "综合得分"]
        if lang == "zh"
        else ["Rank", "Org", "Quarterly score", "Rating score", *GRADE_LABELS["en"], "Result"]
    )
    rows = [
        [
            r.rank,
            r.org_name,
            r.quarterly_score,
            r.rating_score,
            *(r.grades[g.value] for g in ReviewGrade),
            r.result,
        ]
        for r in res.items
    ]
    return head, rows
