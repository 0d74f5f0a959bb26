"""Webhook subscriptions, publishing events (in the writer's transaction, via the outbox), and
delivering them from the worker: one outbox row per (subscription, event), so two workers never
send the same delivery at once, and every delivery carries the event id for de-duplication."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit, outbox
from app.core.config import Settings
from app.core.crypto import FieldCipher
from app.core.errors import Forbidden, NotFound, Unprocessable
from app.core.outbox import Permanent, WorkerContext, handles
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.rows import NewRow
from app.core.security import Principal
from app.core.types import utcnow
from app.models import ApiClient, OutboxEvent, WebhookDelivery, WebhookSubscription
from app.webhooks import egress, signing
from app.webhooks import repository as repo
from app.webhooks.errors import WebhookNotFound
from app.webhooks.schemas import EventType, WebhookCreate, WebhookRead

FANOUT_TOPIC = "webhook.fanout"
DELIVER_TOPIC = "webhook.deliver"
SECRET_CONTEXT = "webhook.secret"
USER_AGENT = "GridAPI-Webhooks/1"


def read(sub: WebhookSubscription, client: ApiClient, secret: str | None = None) -> WebhookRead:
    return WebhookRead(id=sub.id, client_id=client.client_id, org_path=client.org_path,
                       url=sub.url, events=[EventType(e) for e in sub.events],
                       is_active=sub.is_active,
                       created_at=sub.created_at, secret=secret)


async def _owner(session: AsyncSession, principal: Principal, data: WebhookCreate) -> ApiClient:
    if principal.kind == "client":
        if Perm.webhook_manage not in principal.grants[0].permissions:
            raise Forbidden("令牌缺少 webhooks:manage 权限", "Token lacks webhooks:manage")
        client = await session.get(ApiClient, principal.id)
    elif data.client_id is None:
        raise Unprocessable(errors=[{"field": "client_id", "message": "required for users"}])
    else:
        client = await repo.client_by_client_id(session, principal, data.client_id)
    if client is None:
        raise NotFound("客户端不存在", "Client not found", code="client_not_found")
    return client


def policy(settings: Settings) -> egress.Policy:
    return egress.Policy.from_entries(settings.webhook_allow_hosts)


async def create(session: AsyncSession, principal: Principal, data: WebhookCreate,
                 cipher: FieldCipher, *, production: bool,
                 allow: egress.Policy | None = None) -> WebhookRead:
    if production and data.url.scheme != "https":
        raise Unprocessable("生产环境的接收地址须为 https", "Use an https URL in production",
                            errors=[{"field": "url", "message": "https required"}])
    refused = egress.refusal(str(data.url), allow or egress.Policy())
    if refused is not None:
        raise Unprocessable("接收地址须为公网地址，且不含用户名密码",
                            "The URL must point to the public internet, without credentials",
                            code="webhook_url_refused",
                            errors=[{"field": "url", "message": refused}])
    client = await _owner(session, principal, data)
    secret = "whsec_" + secrets.token_urlsafe(32)
    sub = WebhookSubscription(client_id=client.id, url=str(data.url),
                              events=sorted({e.value for e in data.events}),
                              secret_cipher=cipher.encrypt(secret, context=SECRET_CONTEXT))
    session.add(sub)
    await session.flush()
    await audit.record(session, principal, "webhook.create", "webhook", sub.id,
                       org_path=client.org_path, detail={"url": sub.url, "events": sub.events})
    return read(sub, client, secret)


async def get(session: AsyncSession, principal: Principal, sub_id: int
              ) -> tuple[WebhookSubscription, ApiClient]:
    row = await repo.get(session, principal, sub_id)
    if row is None:
        raise WebhookNotFound()
    return row


async def delete(session: AsyncSession, principal: Principal, sub_id: int) -> None:
    sub, client = await get(session, principal, sub_id)
    await audit.record(session, principal, "webhook.delete", "webhook", sub.id,
                       org_path=client.org_path)
    await session.delete(sub)
    await session.flush()


async def page(session: AsyncSession, principal: Principal, params: PageParams
               ) -> list[tuple[WebhookSubscription, ApiClient]]:
    return await repo.page(session, principal, params)


async def deliveries(session: AsyncSession, principal: Principal, sub_id: int,
                     params: PageParams) -> list[WebhookDelivery]:
    sub, _ = await get(session, principal, sub_id)
    return await repo.deliveries(session, sub.id, params)


def publish(session: AsyncSession, event_type: str, *, org_path: str, data: dict[str, Any],
            occurred_at: datetime | None = None) -> str:
    """Record an event for subscribers, in the caller's transaction. Returns the event id."""
    payload = _event(event_type, org_path, data, occurred_at)
    outbox.enqueue(session, FANOUT_TOPIC, payload)
    return str(payload["id"])


def event_row(event_type: str, *, org_path: str, data: dict[str, Any]) -> NewRow:
    """The same event as an outbox row for `app.core.rows`."""
    return outbox.row(FANOUT_TOPIC, _event(event_type, org_path, data, None))


def _event(event_type: str, org_path: str, data: dict[str, Any],
           occurred_at: datetime | None) -> dict[str, Any]:
    now = utcnow()
    # `published_at`: which subscriptions get it (those that existed then), however late the
    # worker fans it out; `occurred_at` is what the receiver sees.
    return {"id": str(uuid.uuid4()), "type": event_type, "org_path": org_path,
            "occurred_at": (occurred_at or now).isoformat(), "published_at": now.isoformat(),
            "data": data}


@handles(FANOUT_TOPIC)
async def fan_out(event: OutboxEvent, ctx: WorkerContext) -> None:
    """One delivery (and outbox row) per subscriber; re-running adds none twice."""
    p = event.payload
    async with ctx.db.writing() as session:
        published = p.get("published_at")  # absent from events queued before it existed
        subs = await repo.subscribers(session, p["type"], p["org_path"],
                                      datetime.fromisoformat(published) if published else None)
        done = await repo.delivered_pairs(session, p["id"])
        for sub in subs:
            if sub.id in done:
                continue
            delivery = WebhookDelivery(subscription_id=sub.id, event_id=p["id"],
                                       event_type=p["type"])
            session.add(delivery)
            await session.flush()
            body = {"id": p["id"], "type": p["type"], "occurred_at": p["occurred_at"],
                    "data": p["data"]}
            outbox.enqueue(session, DELIVER_TOPIC, {"delivery_id": delivery.id, "body": body})


@handles(DELIVER_TOPIC)
async def deliver(event: OutboxEvent, ctx: WorkerContext) -> None:
    delivery_id = int(event.payload["delivery_id"])
    async with ctx.db.reading() as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        sub = await session.get(WebhookSubscription, delivery.subscription_id) if delivery else None
    if delivery is None or sub is None or not sub.is_active:
        raise Permanent("subscription gone")
    if delivery.status == "delivered":
        return  # idempotent by state: a re-claimed row after a crash sends nothing twice
    secret = FieldCipher.from_settings(ctx.settings).decrypt(sub.secret_cipher,
                                                            context=SECRET_CONTEXT)
    body = json.dumps(event.payload["body"], ensure_ascii=False, separators=(",", ":")).encode()
    ts = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
        signing.SIGNATURE_HEADER: signing.sign(secret, ts, body),
        signing.TIMESTAMP_HEADER: str(ts), signing.EVENT_ID_HEADER: delivery.event_id,
        signing.EVENT_TYPE_HEADER: delivery.event_type,
    }
    resolve: egress.Resolver = ctx.extras.get("resolve", egress.system_resolve)
    try:
        # Checked again now, after resolution: the name may point inside since it subscribed.
        target = await egress.pin(sub.url, policy(ctx.settings), resolve)
    except egress.EgressRefused as exc:
        await _record_attempt(ctx, delivery_id, None, f"refused: {exc}"[:500], refused=True)
        raise Permanent(str(exc)) from exc
    status, error = await _post(ctx, target, body, headers)
    await _record_attempt(ctx, delivery_id, status, error)
    if error is not None:
        raise RuntimeError(error)


async def _post(ctx: WorkerContext, target: egress.Target, body: bytes,
                headers: dict[str, str]) -> tuple[int | None, str | None]:
    # One connection per delivery: a pooled connection to this address may have been opened
    # (and its certificate checked) for another subscriber's name.
    headers = {**headers, "Host": target.host_header, "Connection": "close"}
    try:
        resp = await ctx.http.post(target.url, content=body, headers=headers,
                                   extensions=target.extensions)
    except Exception as exc:  # network errors, timeouts: retried with backoff by the outbox
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= resp.status_code < 300:
        return resp.status_code, None
    return resp.status_code, f"HTTP {resp.status_code}"


async def _record_attempt(ctx: WorkerContext, delivery_id: int, status: int | None,
                          error: str | None, *, refused: bool = False) -> None:
    async with ctx.db.writing() as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return
        delivery.attempts += 1
        delivery.response_status = status
        delivery.last_error = error
        if error is None:
            delivery.status, delivery.delivered_at = "delivered", utcnow()
        elif refused:
            delivery.status = "refused"
