"""The route class every router uses: one transaction per request, committed before the response
is sent, and the request-shape checks FastAPI leaves to us (JSON content type)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import idempotency
from app.core.errors import AppError, UnsupportedMediaType

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
BODY_METHODS = {"POST", "PUT", "PATCH"}


def _wants_json(route: APIRoute) -> bool:
    field = route.body_field
    if field is None:
        return False
    info = getattr(field, "field_info", None)
    # Form and File bodies declare their own media type; everything else is JSON.
    return getattr(info, "media_type", "application/json") == "application/json"


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class UnitOfWorkRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        wants_json = _wants_json(self)

        async def run(request: Request) -> Response:
            if wants_json and request.method in BODY_METHODS:
                has_body = request.headers.get("content-length", "0") != "0" or (
                    "transfer-encoding" in request.headers
                )
                if has_body and not _is_json(request.headers.get("content-type", "")):
                    raise UnsupportedMediaType(
                        "请求体须为 application/json", "The body must be application/json"
                    )
            try:
                response = await handler(request)
            except idempotency.IdempotentReplay as replay:
                await _finish(request, ok=False)
                return replay.response
            except AppError as exc:
                await _finish(request, ok=False, commit=exc.commit)
                raise
            except BaseException:
                await _finish(request, ok=False)
                raise
            await _finish(request, ok=True, response=response)
            return response

        return run


async def _finish(
    request: Request, *, ok: bool, response: Response | None = None, commit: bool = False
) -> None:
    session: AsyncSession | None = getattr(request.state, "session", None)
    claimed = getattr(request.state, "idempotency", None)
    try:
        if session is not None and (ok or commit):
            if ok and claimed is not None and response is not None:
                await idempotency.complete(session, claimed, response)
            await session.commit()
        elif session is not None:
            await session.rollback()
    except BaseException:
        if session is not None:
            await session.rollback()
        ok = False
        raise
    finally:
        if session is not None:
            await session.close()  # gives back SQLite's write lock too, if it was taken
            request.state.session = None
        request.state.idempotency = None
