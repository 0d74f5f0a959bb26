"""The router and route class every domain uses: one transaction per request, committed before
the response is sent; the request-shape checks FastAPI leaves to us (JSON content type); and
route matching that skips a whole domain by the path's first segment."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from app.core import idempotency, rows
from app.core.errors import AppError, Unprocessable, UnsupportedMediaType
from app.core.i18n import t

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
BODY_METHODS = {"POST", "PUT", "PATCH"}
API_PREFIX = "/api/v1"


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
            # A NUL reaches a query string only escaped: most requests skip the check at once.
            if (wants_json and request.method in BODY_METHODS) or b"%00" in request.scope.get(
                    "query_string", b""):
                await _refuse_nul(request, json_body=wants_json)
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


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


async def _refuse_nul(request: Request, *, json_body: bool) -> None:
    """422 for a NUL character in a query parameter or anywhere in a JSON body, whatever the
    field: PostgreSQL text cannot hold one (the write or the comparison would fail with a 500).
    The OpenAPI document says so (every plain string's pattern excludes it, app/core/openapi.py);
    `Text` fields refuse it in their own validation too."""
    where = None
    if any("\x00" in k or "\x00" in v for k, v in request.query_params.multi_items()):
        where = "query"
    elif json_body and request.method in BODY_METHODS:
        body = await request.body()
        if b"\\u0000" in body:  # a JSON string can only carry NUL escaped
            with contextlib.suppress(ValueError):
                if _has_nul(json.loads(body)):
                    where = "body"
    if where is not None:
        raise Unprocessable(errors=[{"field": where, "location": where, "type": "nul_character",
                                     "message": t("不能包含 NUL 字符",
                                                  "must not contain a NUL character")}])


async def _finish(
    request: Request, *, ok: bool, response: Response | None = None, commit: bool = False
) -> None:
    session: AsyncSession | None = getattr(request.state, "session", None)
    claimed = getattr(request.state, "idempotency", None)
    try:
        if session is not None and (ok or commit) and _nothing_to_commit(request, session):
            pass  # autocommit reads: closing below is all there is to do
        elif session is not None and (ok or commit):
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


def _nothing_to_commit(request: Request, session: AsyncSession) -> bool:
    """A read session on PostgreSQL runs in autocommit: what it executed is committed already,
    and an ORM commit would only walk the session's transaction machinery (a tenth of a
    `GET /me`). Objects added but not flushed, or side rows deferred to the end, still need
    the commit to write them."""
    return bool(getattr(request.state, "session_autocommits", False)) and not (
        session.new or session.dirty or session.deleted or rows.has_pending(session)
    )


class DomainRouter(APIRouter):
    """A domain's router (`UnitOfWorkRoute` by default) that answers "no match" at once for a
    path under `API_PREFIX` whose first segment none of its routes has.

    FastAPI tries every route of every router in turn, and each try costs a regex and some
    scope bookkeeping: `GET /api/v1/me` was 164 tries (~15% of its Python time) before the
    users router's turn came. With this check a router whose routes all start with, say,
    `/grids` costs one set lookup for any other path. Routers whose first segment is a path
    parameter, or that hold nested routers, are tried as before."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", UnitOfWorkRoute)
        super().__init__(*args, **kwargs)
        self._segments: frozenset[str] | None = None
        self._segments_of = -1

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().add_api_route(_int_ids(path), endpoint, **kwargs)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        rest = get_route_path(scope).removeprefix(API_PREFIX)
        if rest.startswith("/"):
            segments = self._first_segments()
            if segments is not None and rest[1:].split("/", 1)[0] not in segments:
                return Match.NONE, {}
        return super().matches(scope)

    def _first_segments(self) -> frozenset[str] | None:
        if self._segments_of != len(self.routes):
            self._segments = _first_segments(self.routes)
            self._segments_of = len(self.routes)
        return self._segments


_ID_PARAM = re.compile(r"\{(\w+_id)\}")


def _int_ids(path: str) -> str:
    """`{grid_id}` → `{grid_id:int}`: a path whose id segment is not digits matches no route
    (404, or 405 listing the methods the path has), instead of matching `/grids/{grid_id}` with
    "locate" and failing validation. The OpenAPI document shows the path without converters,
    and the id's bounds still come from its `Id` annotation (a 422 past 2^63-1)."""
    return _ID_PARAM.sub(r"{\1:int}", path)


def _first_segments(routes: list[BaseRoute]) -> frozenset[str] | None:
    """The static first path segments of `routes`, or None when one cannot be known ahead
    (a parameter there, or something that is not a plain route)."""
    found = set()
    for route in routes:
        path = getattr(route, "path", None)
        if not isinstance(route, APIRoute) or not isinstance(path, str):
            return None
        first = path.split("/", 2)[1] if path.startswith("/") else ""
        if not first or "{" in first:
            return None
        found.add(first)
    return frozenset(found)
