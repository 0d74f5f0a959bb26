"""SQL for volunteer profiles (one row per person)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import VolunteerProfile


async def of_user(session: AsyncSession, user_id: int) -> VolunteerProfile | None:
    stmt = select(VolunteerProfile).where(VolunteerProfile.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()
