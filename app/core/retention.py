"""Retention as code: short-lived rows are purged by the worker in small batches."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from app.core.db import Database
from app.core.types import utcnow
from app.models import IdempotencyKey, OutboxEvent, RefreshToken, WechatLogin

IDEMPOTENCY_KEEP = timedelta(hours=24)
WECHAT_CODE_KEEP = timedelta(days=1)
REFRESH_KEEP_AFTER_EXPIRY = timedelta(days=7)
OUTBOX_DONE_KEEP = timedelta(days=14)
BATCH = 1000


async def purge(db: Database) -> dict[str, int]:
    """Delete expired rows; returns how many of each kind went."""
    now = utcnow()
    targets = {
        "idempotency_keys": (IdempotencyKey.id, IdempotencyKey.created_at < now - IDEMPOTENCY_KEEP),
        "wechat_logins": (WechatLogin.code_hash, WechatLogin.created_at < now - WECHAT_CODE_KEEP),
        "refresh_tokens": (RefreshToken.id,
                           RefreshToken.expires_at < now - REFRESH_KEEP_AFTER_EXPIRY),
        "outbox_events": (OutboxEvent.id, (OutboxEvent.status == "done")
                          & (OutboxEvent.processed_at < now - OUTBOX_DONE_KEEP)),
    }
    removed: dict[str, int] = {}
    for name, (key, cond) in targets.items():
        removed[name] = 0
        while True:
            async with db.writing() as s:
                ids = list((await s.execute(select(key).where(cond).limit(BATCH))).scalars())
                if ids:
                    await s.execute(delete(key.class_).where(key.in_(ids)))
            removed[name] += len(ids)
            if len(ids) < BATCH:
                break
    return removed
