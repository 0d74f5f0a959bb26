"""Liveness, readiness and metrics (outside /api/v1, no authentication)."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from sqlalchemy import text

from app.core.db import Database
from app.core.errors import problem_response
from app.core.i18n import t
from app.core.observability import REGISTRY

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """进程存活。"""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {}})
async def readyz(request: Request) -> Response:
    """数据库可达时就绪。"""
    db: Database = request.app.state.db
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return problem_response(503, "not_ready", t("数据库不可用", "Database unavailable"))
    return Response('{"status":"ready"}', media_type="application/json")


@router.get("/metrics", response_class=Response)
async def metrics() -> Response:
    """Prometheus 文本格式指标（多进程时设置 PROMETHEUS_MULTIPROC_DIR）。"""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
