"""SQL for reviews, reports and ratings: lists start from the caller's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment.assessed import assessing
from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import readable
from app.core.security import Principal
from app.models import Review, ReviewRating, ReviewReport


async def by_id(session: AsyncSession, review_id: int) -> Review | None:
    return await session.get(Review, review_id)


async def report_by_id(
    session: AsyncSession, review_id: int, report_id: int
) -> ReviewReport | None:
    report = await session.get(ReviewReport, report_id)
    return report if report is not None and report.review_id == review_id else None


async def report_of(session: AsyncSession, review_id: int, org_id: int) -> ReviewReport | None:
    stmt = select(ReviewReport).where(
        ReviewReport.review_id == review_id, ReviewReport.org_id == org_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def rating_of(session: AsyncSession, report_id: int, reviewer_id: int) -> ReviewRating | None:
    stmt = select(ReviewRating).where(
        ReviewRating.report_id == report_id, ReviewRating.reviewer_id == reviewer_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[Review]:
    stmt = select(Review).where(
        readable(principal, Review.org_path, Perm.assessment_read), *filters
    )
    return list((await session.execute(keyset(stmt, [(Review.id, True)], params))).scalars())


async def reviewing_page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[Review]:
    """Reviews run above the caller's nodes that review the caller's kind of org."""
    stmt = select(Review).where(assessing(principal, Review.org_path, Review.org_kind), *filters)
    return list((await session.execute(keyset(stmt, [(Review.id, True)], params))).scalars())


async def reports_page(
    session: AsyncSession, principal: Principal, review_id: int, params: PageParams
) -> list[ReviewReport]:
    stmt = select(ReviewReport).where(
        ReviewReport.review_id == review_id,
        readable(principal, ReviewReport.org_path, Perm.assessment_read),
    )
    return list((await session.execute(keyset(stmt, [(ReviewReport.id, False)], params))).scalars())


async def reports_of(session: AsyncSession, review_id: int) -> list[ReviewReport]:
    stmt = select(ReviewReport).where(ReviewReport.review_id == review_id)
    return list((await session.execute(stmt)).scalars())


async def grade_counts(session: AsyncSession, review_id: int) -> list[tuple[int, str, int]]:
    """(report id, grade, votes) for every report of the review."""
    stmt = (
        select(ReviewRating.report_id, ReviewRating.grade, func.count())
        .join(ReviewReport, ReviewReport.id == ReviewRating.report_id)
        .where(ReviewReport.review_id == review_id)
        .group_by(ReviewRating.report_id, ReviewRating.grade)
    )
    return [(int(r), str(g), int(n)) for r, g, n in await session.execute(stmt)]
