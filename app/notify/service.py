"""Telling people: an in-app inbox row (same transaction as the change) and, when configured and
the user signed in with WeChat, a subscription message delivered by the worker."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import outbox
from app.core.config import Settings
from app.core.pagination import PageParams
from app.core.security import Principal
from app.core.types import utcnow
from app.models import Notification
from app.notify import repository as repo

WECHAT_TOPIC = "wechat.subscribe_message"


WechatTemplate = Literal["case", "bulletin"]


def wechat_template(settings: Settings, template: str) -> tuple[str | None, dict[str, str]]:
    """A subscribeMessage template's id (None: not configured) and its field names."""
    if template == "bulletin":
        return settings.wechat_bulletin_template_id, settings.wechat_bulletin_template_fields
    return settings.wechat_case_template_id, settings.wechat_case_template_fields


async def notify(session: AsyncSession, settings: Settings, user_ids: set[int], *, kind: str,
                 title: str, body: str = "", case_id: int | None = None,
                 data: dict[str, Any] | None = None,
                 wechat: dict[str, str] | None = None,
                 template: WechatTemplate = "case") -> None:
    """Inbox rows for every user; a WeChat message too when `wechat` fields are given and
    `template` is configured (unset: inbox only)."""
    if not user_ids:
        return
    for uid in sorted(user_ids):
        session.add(Notification(user_id=uid, kind=kind, title=title, body=body,
                                 case_id=case_id, data=data or {}))
    if wechat and wechat_template(settings, template)[0]:
        for uid in sorted((await repo.openids(session, sorted(user_ids))).keys()):
            outbox.enqueue(session, WECHAT_TOPIC, {"user_id": uid, "fields": wechat,
                                                   "case_id": case_id, "template": template})


async def inbox(session: AsyncSession, principal: Principal, *, unread: bool | None,
                params: PageParams) -> list[Notification]:
    return await repo.page(session, _user_id(principal), unread=unread, params=params)


async def mark_read(session: AsyncSession, principal: Principal, ids: list[int] | None) -> int:
    return await repo.mark_read(session, _user_id(principal), ids, utcnow())


def _user_id(principal: Principal) -> int:
    # Clients have no inbox; id -1 matches no row, so they simply see an empty one.
    return principal.id if principal.kind == "user" else -1
