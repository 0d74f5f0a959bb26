"""What `gridapi worker` runs: every module that registers outbox handlers or periodic sweeps
is imported here, so the worker knows them all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from app.cases import attachments, escalation
from app.core import maintenance
from app.core.config import Settings
from app.core.db import Database
from app.core.outbox import WorkerContext
from app.notify import wechat_messages
from app.webhooks import service as webhooks

# Imported for their @handles / @every registrations.
HANDLER_MODULES = (wechat_messages, webhooks, escalation, maintenance, attachments)
WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@asynccontextmanager
async def context(db: Database, settings: Settings) -> AsyncIterator[WorkerContext]:
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT, follow_redirects=False) as http:
        ctx = WorkerContext(db=db, settings=settings, http=http)
        try:
            yield ctx
        finally:
            for extra in ctx.extras.values():
                closer = getattr(extra, "aclose", None)
                if closer is not None:
                    await closer()
