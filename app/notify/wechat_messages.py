"""Worker side of WeChat subscription messages (subscribeMessage.send)."""

from __future__ import annotations

from app.auth.wechat import WechatApiError, WechatClient
from app.core.outbox import Permanent, WorkerContext, handles
from app.models import OutboxEvent, User
from app.notify.service import WECHAT_TOPIC, wechat_template

REFUSED = 43101  # the user has not subscribed to (or has used up) this template


def wechat_client(ctx: WorkerContext) -> WechatClient:
    client = ctx.extras.get("wechat")
    if client is None:
        client = ctx.extras["wechat"] = WechatClient(ctx.settings)
    assert isinstance(client, WechatClient)
    return client


@handles(WECHAT_TOPIC)
async def send_case_message(event: OutboxEvent, ctx: WorkerContext) -> None:
    settings = ctx.settings
    # Events queued before templates were named carry none: they were case messages.
    template_id, fields = wechat_template(settings, event.payload.get("template", "case"))
    if not template_id:
        raise Permanent("no WeChat template configured")
    async with ctx.db.reading() as session:
        user = await session.get(User, int(event.payload["user_id"]))
        openid = user.wechat_openid if user else None
    if not openid:
        raise Permanent("user has no WeChat openid")
    data = {fields[k]: v for k, v in event.payload["fields"].items() if k in fields}
    page = f"pages/case/detail?id={event.payload['case_id']}" if event.payload.get(
        "case_id") else None
    try:
        await wechat_client(ctx).send_subscribe_message(
            openid=openid, template_id=template_id, data=data, page=page,
            state=settings.wechat_miniprogram_state)
    except WechatApiError as exc:
        if exc.errcode == REFUSED:
            raise Permanent(f"{exc.errcode} {exc.errmsg}") from exc
        raise
