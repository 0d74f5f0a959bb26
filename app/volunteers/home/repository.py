"""SQL for the home screen: one statement per part, whatever the number of rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Activity, ActivitySignup, Member, Org, PointsAccount, Registration

LIVE = ("accepted", "waitlisted")
ACTIVE = ("pending", "approved")


async def registrations(session: AsyncSession, user_id: int) -> list[Any]:
    """(registration, community name) of the user's member record, pending or approved."""
    stmt = (
        select(Registration, Org.name)
        .join(Member, Member.id == Registration.member_id)
        .join(Org, Org.id == Registration.community_id)
        .where(Member.user_id == user_id, Registration.status.in_(ACTIVE))
        .order_by(Registration.id)
    )
    return list(await session.execute(stmt))


async def upcoming(session: AsyncSession, user_id: int, now: datetime, limit: int) -> list[Any]:
    """(sign-up, activity) for the user's live places on activities not yet over, soonest
    first (ix_activity_signups_user_id finds the user's places)."""
    stmt = (
        select(ActivitySignup, Activity)
        .join(Activity, Activity.id == ActivitySignup.activity_id)
        .where(
            ActivitySignup.user_id == user_id,
            ActivitySignup.status.in_(LIVE),
            Activity.ends_at >= now,
            Activity.status == "open",
        )
        .order_by(Activity.starts_at, ActivitySignup.id)
        .limit(limit)
    )
    return list(await session.execute(stmt))


async def balance(session: AsyncSession, user_id: int) -> int:
    """The account row's running balance (kept with the postings, app/volunteers/points)."""
    stmt = select(PointsAccount.balance).where(PointsAccount.user_id == user_id)
    return int(await session.scalar(stmt) or 0)
