"""SQL for identity: users by login handle, refresh tokens, clients, WeChat logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.types import utcnow
from app.models import ApiClient, RefreshToken, User, WechatLogin


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    stmt = select(User).where(User.username == username)
    return (await session.execute(stmt)).scalar_one_or_none()


async def user_by_openid(session: AsyncSession, openid: str) -> User | None:
    stmt = select(User).where(User.wechat_openid == openid)
    return (await session.execute(stmt)).scalar_one_or_none()


async def user_by_phone_index(session: AsyncSession, index: str) -> User | None:
    stmt = select(User).where(User.phone_index == index)
    return (await session.execute(stmt)).scalar_one_or_none()


async def refresh_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    stmt = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    return (await session.execute(stmt)).scalar_one_or_none()


async def mark_replaced(session: AsyncSession, token_id: int) -> bool:
    """Atomically consume a refresh token; False when someone else already did."""
    result = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == token_id,
            RefreshToken.replaced_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(replaced_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


async def revoke_family(session: AsyncSession, family_id: str) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def client_by_client_id(session: AsyncSession, client_id: str) -> ApiClient | None:
    stmt = select(ApiClient).where(ApiClient.client_id == client_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def recent_wechat_login(
    session: AsyncSession, code_hash: str, since: datetime
) -> WechatLogin | None:
    stmt = select(WechatLogin).where(
        WechatLogin.code_hash == code_hash, WechatLogin.created_at >= since
    )
    return (await session.execute(stmt)).scalar_one_or_none()
