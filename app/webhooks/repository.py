"""SQL for webhook subscriptions: a client sees its own; an admin the clients in scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset
from app.core.permissions import Perm
from app.core.scope import readable
from app.core.security import Principal
from app.models import ApiClient, WebhookDelivery, WebhookSubscription

Row = tuple[WebhookSubscription, ApiClient]


def readable_subscriptions(principal: Principal) -> Select[WebhookSubscription, ApiClient]:
    stmt = select(WebhookSubscription, ApiClient).join(
        ApiClient, ApiClient.id == WebhookSubscription.client_id
    )
    if principal.kind == "client":
        return stmt.where(ApiClient.id == principal.id)
    return stmt.where(readable(principal, ApiClient.org_path, Perm.webhook_manage))


async def get(session: AsyncSession, principal: Principal, sub_id: int) -> Row | None:
    row = (await session.execute(
        readable_subscriptions(principal).where(WebhookSubscription.id == sub_id)
    )).first()
    return (row[0], row[1]) if row else None


async def page(session: AsyncSession, principal: Principal, params: PageParams) -> list[Row]:
    base = cast(Select[Any], readable_subscriptions(principal))  # keyset is typed for 1-tuples
    stmt = keyset(base, [(WebhookSubscription.id, False)], params)
    return [(s, c) for s, c in (await session.execute(stmt)).all()]


async def client_by_client_id(session: AsyncSession, principal: Principal, client_id: str
                              ) -> ApiClient | None:
    stmt = select(ApiClient).where(
        ApiClient.client_id == client_id,
        readable(principal, ApiClient.org_path, Perm.webhook_manage),
    )
    client: ApiClient | None = (await session.execute(stmt)).scalar_one_or_none()
    return client


async def deliveries(session: AsyncSession, sub_id: int, params: PageParams
                     ) -> list[WebhookDelivery]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub_id)
    stmt = keyset(stmt, [(WebhookDelivery.id, True)], params)
    return list((await session.execute(stmt)).scalars())


async def subscribers(session: AsyncSession, event_type: str, org_path: str,
                      published_at: datetime | None) -> list[WebhookSubscription]:
    """Active subscriptions whose client's org covers the object and that existed when the
    event was published (worker side, unscoped)."""
    stmt = (
        select(WebhookSubscription, ApiClient.org_path)
        .join(ApiClient, ApiClient.id == WebhookSubscription.client_id)
        .where(WebhookSubscription.is_active.is_(True), ApiClient.is_active.is_(True))
    )
    if published_at is not None:
        stmt = stmt.where(WebhookSubscription.created_at <= published_at)
    rows = await session.execute(stmt)
    return [s for s, path in rows if event_type in s.events and org_path.startswith(path)]


async def delivered_pairs(session: AsyncSession, event_id: str) -> set[int]:
    rows = await session.execute(
        select(WebhookDelivery.subscription_id).where(WebhookDelivery.event_id == event_id)
    )
    return set(rows.scalars())


