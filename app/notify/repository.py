"""SQL for the inbox: always the caller's own rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.models import Notification, User


async def page(session: AsyncSession, user_id: int, *, unread: bool | None, params: PageParams
               ) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return list((await session.execute(keyset(stmt, [(Notification.id, True)], params))).scalars())


async def mark_read(session: AsyncSession, user_id: int, ids: list[int] | None, at: datetime
                    ) -> int:
    stmt = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    result = await session.execute(stmt.values(read_at=at))
    return int(getattr(result, "rowcount", 0) or 0)


async def openids(session: AsyncSession, user_ids: list[int]) -> dict[int, str]:
    rows = await session.execute(
        select(User.id, User.wechat_openid).where(
            User.id.in_(user_ids), User.wechat_openid.is_not(None)
        )
    )
    return {uid: oid for uid, oid in rows if oid}
