"""Retention as code: short-lived rows are purged by the worker in small batches; audit
entries after `GRID_AUDIT_RETENTION_DAYS` (at least 183: six months, as China's Cybersecurity
Law asks of network logs)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from app.core import audit
from app.core.db import Database
from app.core.types import utcnow
from app.models import (
    AuditEntry,
    AuditPurgeGate,
    IdempotencyKey,
    OutboxEvent,
    RefreshToken,
    WechatLogin,
)

IDEMPOTENCY_KEEP = timedelta(hours=24)
WECHAT_CODE_KEEP = timedelta(days=1)
REFRESH_KEEP_AFTER_EXPIRY = timedelta(days=7)
OUTBOX_DONE_KEEP = timedelta(days=14)
BATCH = 1000


async def purge(db: Database, *, audit_keep: timedelta | None = None) -> dict[str, int]:
    """Delete expired rows; returns how many of each kind went. Audit entries older than
    `audit_keep` go too (None: kept)."""
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
    if audit_keep is not None:
        removed["audit_log"] = await purge_audit(db, now - audit_keep)
    return removed


async def purge_audit(db: Database, cutoff: datetime) -> int:
    """Delete audit entries older than `cutoff`, in batches, each through a purge gate opened
    and removed in its own transaction (the log is otherwise append-only, migration 0007).
    Each batch leaves an `audit.purge` entry: the log says what retention removed."""
    removed = 0
    while True:
        async with db.writing() as s:
            ids = list((await s.execute(select(AuditEntry.id).where(AuditEntry.at < cutoff)
                                        .order_by(AuditEntry.id).limit(BATCH))).scalars())
            if ids:
                gate = AuditPurgeGate(cutoff=cutoff)
                s.add(gate)
                await s.flush()
                await s.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids)))
                await s.delete(gate)
                await audit.record(s, None, "audit.purge", "audit_log", ids[-1],
                                   detail={"cutoff": cutoff.isoformat(), "rows": len(ids)})
        removed += len(ids)
        if len(ids) < BATCH:
            return removed
