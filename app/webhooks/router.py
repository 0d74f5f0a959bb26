"""Webhook subscriptions for third-party clients (case events, signed)."""

from __future__ import annotations

from fastapi import Response, status

from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep
from app.core.deps import CipherDep, SettingsDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.pagination import Page, PageDep, page_of
from app.core.routing import DomainRouter
from app.webhooks import service
from app.webhooks.schemas import DeliveryRead, WebhookCreate, WebhookRead

router = DomainRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent],
             responses=problems(403, 404, 422))
async def create_webhook(body: WebhookCreate, principal: CurrentPrincipal, session: SessionDep,
                         cipher: CipherDep, settings: SettingsDep) -> WebhookRead:
    """订阅案件事件（case.created / case.status_changed / case.overdue）。接收地址须在公网：
    内网、回环、链路本地等地址（任何写法）与带用户名密码的 URL 返回 422 `webhook_url_refused`；
    每次投递前解析域名并再次检查，只连接检查过的地址。返回的 secret 仅此一次：
    投递带 X-Grid-Signature: t=<时间戳>,v1=HMAC-SHA256(secret, "<时间戳>.<请求体>") 与
    X-Grid-Event-Id（据此去重）。"""
    return await service.create(session, principal, body, cipher,
                                production=settings.env == "production",
                                allow=service.policy(settings))


@router.get("", responses=problems(400))
async def list_webhooks(principal: CurrentPrincipal, session: SessionDep,
                        page: PageDep) -> Page[WebhookRead]:
    rows = await service.page(session, principal, page)
    return page_of(rows, page, lambda r: [r[0].id], lambda r: service.read(*r))


@router.get("/{webhook_id}", responses=problems(404))
async def get_webhook(webhook_id: Id, principal: CurrentPrincipal, session: SessionDep
                      ) -> WebhookRead:
    sub, client = await service.get(session, principal, webhook_id)
    return service.read(sub, client)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(404))
async def delete_webhook(webhook_id: Id, principal: CurrentPrincipal, session: SessionDep
                         ) -> Response:
    await service.delete(session, principal, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", responses=problems(400, 404))
async def list_webhook_deliveries(webhook_id: Id, principal: CurrentPrincipal,
                                  session: SessionDep,
                                  page: PageDep
                                  ) -> Page[DeliveryRead]:
    """最近的投递记录（状态、尝试次数、最后的响应码）。"""
    rows = await service.deliveries(session, principal, webhook_id, page)
    return page_of(rows, page, lambda d: [d.id], DeliveryRead.model_validate)
