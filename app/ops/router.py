"""Liveness, readiness and metrics (outside /api/v1; /metrics behind its own token)."""

from __future__ import annotations

import asyncio
import hmac
import json
import os

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from sqlalchemy import text

from app.core.config import Settings
from app.core.db import Database
from app.core.errors import RETRY_AFTER_SECONDS, problem_response, problems
from app.core.i18n import t
from app.core.observability import REGISTRY
from app.core.ratelimit import RateLimits

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """进程存活。"""
    return {"status": "ok"}


async def _select_one(db: Database) -> None:
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def _database_ok(db: Database, seconds: float) -> bool:
    """Whether the database answers within `seconds`. The probe runs as a task that is left
    to finish on its own: cancelling it would wait for its connection's close, which on a
    server that does not answer is longer than a load balancer's probe."""
    probe = asyncio.ensure_future(_select_one(db))
    done, _ = await asyncio.wait({probe}, timeout=seconds)
    if not done:
        probe.add_done_callback(_consume)
        probe.cancel()
        return False
    return probe.exception() is None


def _consume(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved


@router.get("/readyz", responses={503: {}})
async def readyz(request: Request) -> Response:
    """数据库在 `GRID_READYZ_TIMEOUT_SECONDS`（默认 1.5 秒）内应答时就绪（否则 503）。同时报告
    Redis：不可用时限流退回进程内存，服务仍就绪（`"redis": "unavailable"`）。"""
    settings: Settings = request.app.state.settings
    limits: RateLimits = request.app.state.limits
    database, redis = await asyncio.gather(
        _database_ok(request.app.state.db, settings.readyz_timeout_seconds), limits.available()
    )
    checks = {
        "database": "ok" if database else "unavailable",
        "redis": {None: "not_configured", True: "ok", False: "unavailable"}[redis],
    }
    if not database:
        return problem_response(
            503,
            "not_ready",
            t("数据库不可用", "Database unavailable"),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            extra={"checks": checks},
        )
    return Response(
        json.dumps({"status": "ready", "checks": checks}), media_type="application/json"
    )


def _metrics_refusal(request: Request) -> Response | None:
    """None when the caller may read the metrics: they name routes, traffic and error rates,
    which is nobody's business but the operator's (GRID_METRICS_TOKEN)."""
    settings: Settings = request.app.state.settings
    token = settings.metrics_token
    if token is None:
        if settings.env != "production":
            return None
        return problem_response(403, "metrics_token_unset", t(
            "生产模式下须设置 GRID_METRICS_TOKEN 才能读取指标",
            "Set GRID_METRICS_TOKEN to read the metrics in production"))
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    return problem_response(401, "metrics_unauthorized", t(
        "读取指标须携带 Authorization: Bearer <GRID_METRICS_TOKEN>",
        "Reading the metrics needs Authorization: Bearer <GRID_METRICS_TOKEN>"),
        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})


@router.get("/metrics", response_class=Response, responses=problems(401, 403))
async def metrics(request: Request) -> Response:
    """Prometheus 文本格式指标。

    须携带 `Authorization: Bearer <GRID_METRICS_TOKEN>`（未设置令牌时仅在非生产模式开放）；
    `gridapi serve --workers N` 时汇总全部工作进程（PROMETHEUS_MULTIPROC_DIR）。"""
    refused = _metrics_refusal(request)
    if refused is not None:
        return refused
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
