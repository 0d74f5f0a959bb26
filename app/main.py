"""The application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from app.api import include_api
from app.auth.wechat import WechatClient
from app.cases.calendar import calendar_for
from app.core.auth import PrincipalCache
from app.core.bodylimit import BodyLimitMiddleware
from app.core.config import Settings, get_settings
from app.core.crypto import FieldCipher
from app.core.db import Database, make_engine
from app.core.errors import install_error_handlers
from app.core.observability import RequestContextMiddleware, configure_logging
from app.core.openapi import build_openapi, operation_id
from app.core.ratelimit import RateLimits
from app.core.security import PasswordWork
from app.files.storage import LocalStorage
from app.open311.router import router as open311_router
from app.ops.router import router as ops_router

DOCS_ASSETS = "/docs-assets"
DESCRIPTION = """
城市基层党建与网格化管理平台后端 API。

- 认证：`POST /api/v1/auth/login` 取得 `access_token`，以 `Authorization: Bearer <token>` 调用；
  第三方应用用 `POST /api/v1/auth/token`（client credentials）。
- 错误统一为 RFC 9457 `application/problem+json`，含稳定的 `code`；`Accept-Language: en` 返回英文。
- 列表为游标分页：`limit` (1..100) 与 `cursor`，响应含 `next_cursor`。
- 创建类 POST 支持 `Idempotency-Key`；可变资源带 `version`/`ETag`，写入时可发 `If-Match`。
"""


def _docs_last(app: FastAPI) -> None:
    """FastAPIOffline adds the docs pages (as API routes) and their assets when the app is
    made, so before the API; every request is matched against the routes in order, and an API
    call should not try the docs first."""
    docs = {"/docs", "/docs/oauth2-redirect", "/redoc", DOCS_ASSETS}
    routes = app.router.routes
    routes[:] = [r for r in routes if getattr(r, "path", None) not in docs] + [
        r for r in routes if getattr(r, "path", None) in docs
    ]


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.gc_freeze:
            # What the app is built from (routes, models, metadata: ~220,000 objects) lives as
            # long as the process; frozen, a full collection no longer walks it (~150 ms on
            # these machines, a request's worth of latency spikes every few hundred requests).
            gc.collect()
            gc.freeze()
        yield
        await app.state.wechat.aclose()
        if db is None:
            await app.state.db.dispose()

    # Swagger UI and ReDoc from the service itself (the package ships their JS and CSS, served
    # under DOCS_ASSETS): the default pages load them from a public CDN, which offices and
    # phones here often cannot reach, and /docs stays blank.
    app = FastAPIOffline(
        static_url=DOCS_ASSETS,
        title="Grid API · 党建网格化管理平台",
        version="1.0.0",
        description=DESCRIPTION,
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
        # Our own access log and Prometheus metrics cover every request; FastAPI's OpenTelemetry
        # layer would otherwise look up three global providers on every request to find out
        # that none is configured.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.db = db or Database(make_engine(settings))
    app.state.cipher = FieldCipher.from_settings(settings)
    app.state.limits = RateLimits(settings)
    app.state.passwords = PasswordWork(settings.password_hash_concurrency)
    app.state.principals = PrincipalCache(settings.principal_cache_seconds)
    app.state.wechat = WechatClient(settings)
    app.state.calendar = calendar_for(settings)
    app.state.storage = LocalStorage(Path(settings.upload_dir))
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    # Matched in this order, router by router: the API (hot paths first, app/api.py) before
    # Open311 and the operator probes.
    include_api(app)
    app.include_router(open311_router)
    app.include_router(ops_router)
    _docs_last(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_json=settings.max_json_bytes,
        max_upload=settings.max_upload_bytes,
    )
    app.add_middleware(RequestContextMiddleware)
    return app
