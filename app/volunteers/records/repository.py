"""SQL for a member's service record: one statement per part (activities, wishes, cases,
points, the issuing community and its person in charge), none per row."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    Activity,
    ActivitySignup,
    Case,
    Member,
    Org,
    PointsEntry,
    PointsPosting,
    Registration,
    RoleAssignment,
    ServiceCertificate,
    User,
    Wish,
)

EARNED = ("service", "correction", "rule")


async def member(session: AsyncSession, member_id: int) -> Member | None:
    """Unscoped: the service decides who may read the record (404 for the unseen)."""
    return await session.get(Member, member_id)


async def registered_community(session: AsyncSession, member_id: int) -> Org | None:
    """The community the member is registered with (approved 双报到), if any."""
    stmt = (
        select(Org)
        .join(Registration, Registration.community_id == Org.id)
        .where(Registration.member_id == member_id, Registration.status == "approved")
        .order_by(Registration.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def org(session: AsyncSession, org_id: int | None) -> Org | None:
    return await session.get(Org, org_id) if org_id is not None else None


async def served(session: AsyncSession, user_id: int, start: datetime, end: datetime) -> list[Any]:
    """(activity, minutes, organiser name) for the user's own credited places in the period."""
    stmt = (
        select(Activity, ActivitySignup.minutes, Org.name)
        .join(ActivitySignup, ActivitySignup.activity_id == Activity.id)
        .join(Org, Org.id == Activity.org_id)
        .where(
            ActivitySignup.user_id == user_id,
            ActivitySignup.resident_id.is_(None),
            ActivitySignup.status == "accepted",
            ActivitySignup.minutes > 0,
            Activity.starts_at >= start,
            Activity.starts_at < end,
        )
        .order_by(Activity.starts_at, Activity.id)
    )
    return list(await session.execute(stmt))


async def wishes_fulfilled(
    session: AsyncSession, member_id: int, start: datetime, end: datetime
) -> int:
    stmt = (
        select(func.count())
        .select_from(Wish)
        .where(
            Wish.claimed_by_member_id == member_id,
            Wish.status.in_(("fulfilled", "confirmed")),
            Wish.fulfilled_at >= start,
            Wish.fulfilled_at < end,
        )
    )
    return int(await session.scalar(stmt) or 0)


async def cases_reported(
    session: AsyncSession, user_id: int, start: datetime, end: datetime
) -> int:
    stmt = (
        select(func.count())
        .select_from(Case)
        .where(Case.reporter_id == user_id, Case.reported_at >= start, Case.reported_at < end)
    )
    return int(await session.scalar(stmt) or 0)


async def points(
    session: AsyncSession, user_id: int, start: datetime, end: datetime
) -> tuple[int, int]:
    """(earned in the period, balance now) from the user's postings, in one statement."""
    earned = func.sum(PointsPosting.amount).filter(
        PointsEntry.kind.in_(EARNED), PointsEntry.created_at >= start, PointsEntry.created_at < end
    )
    stmt = (
        select(func.coalesce(earned, 0), func.coalesce(func.sum(PointsPosting.amount), 0))
        .select_from(PointsPosting)
        .join(PointsEntry, PointsEntry.id == PointsPosting.entry_id)
        .where(PointsPosting.user_id == user_id)
    )
    got, balance = (await session.execute(stmt)).one()
    return int(got), int(balance)


async def person_in_charge(session: AsyncSession, org_id: int) -> tuple[str, str | None] | None:
    """(name, phone ciphertext) of the first community admin assigned on the node."""
    stmt = (
        select(User.display_name, User.phone_cipher)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.org_id == org_id, RoleAssignment.role == "community_admin")
        .order_by(RoleAssignment.id)
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


async def certificate_of(session: AsyncSession, member_id: int, start: date, end: date
                         ) -> ServiceCertificate | None:
    """The certificate registered for exactly this member and period, if issued."""
    stmt = select(ServiceCertificate).where(ServiceCertificate.member_id == member_id,
                                            ServiceCertificate.period_from == start,
                                            ServiceCertificate.period_to == end)
    return (await session.execute(stmt)).scalar_one_or_none()


async def certificate_by_number(session: AsyncSession, number: str
                                ) -> tuple[ServiceCertificate, Member, Org] | None:
    """Unscoped: the service decides who may verify it (404 for the unseen)."""
    stmt = (select(ServiceCertificate, Member, Org)
            .join(Member, Member.id == ServiceCertificate.member_id)
            .join(Org, Org.id == ServiceCertificate.issuer_org_id)
            .where(ServiceCertificate.number == number))
    row = (await session.execute(stmt)).first()
    return (row[0], row[1], row[2]) if row else None
