"""The app's own errors and their RFC 9457 problem+json rendering.

Services raise these; one set of handlers renders them. Every error has a stable machine `code`
and a `detail` in the request's language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from limits.errors import StorageError
from redis.exceptions import RedisError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from app.core.i18n import t

log = logging.getLogger("gridapi.errors")
PROBLEM_TYPE = "https://gridapi.readthedocs.io/problems/"
PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    status: int = 400
    code: str = "bad_request"
    zh: str = "请求有误"
    en: str = "Bad request"

    def __init__(
        self,
        zh: str | None = None,
        en: str | None = None,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        commit: bool = False,
    ) -> None:
        # `commit`: keep the request's writes although it fails (e.g. revoking a token family).
        self.commit = commit
        self.zh_detail = zh or self.zh
        self.en_detail = en or self.en
        if code:
            self.code = code
        self.errors = errors
        self.headers = headers or {}
        super().__init__(self.en_detail)


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status, code, zh, en = 401, "unauthorized", "未登录或登录已失效", "Not authenticated"

    def __init__(self, zh: str | None = None, en: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(zh, en, **kw)


class Forbidden(AppError):
    status, code, zh, en = 403, "forbidden", "没有执行此操作的权限", "Not allowed"


class NotFound(AppError):
    status, code, zh, en = 404, "not_found", "资源不存在", "Not found"


class Conflict(AppError):
    status, code, zh, en = 409, "conflict", "与当前状态冲突", "Conflicts with the current state"


class PreconditionFailed(AppError):
    status, code = 412, "version_mismatch"
    zh, en = "数据已被他人修改，请刷新后重试", "The resource was changed; reload and retry"


class PayloadTooLarge(AppError):
    status, code, zh, en = 413, "payload_too_large", "请求体过大", "Request body too large"


class UnsupportedMediaType(AppError):
    status, code = 415, "unsupported_media_type"
    zh, en = "不支持的内容类型", "Unsupported content type"


class Unprocessable(AppError):
    status, code, zh, en = 422, "validation_error", "数据校验未通过", "Validation failed"


class TooManyRequests(AppError):
    status, code, zh, en = 429, "too_many_requests", "请求过于频繁，请稍后再试", "Too many requests"


class ServiceUnavailable(AppError):
    status, code, zh, en = 503, "service_unavailable", "服务暂不可用", "Service unavailable"


def field_error(name: str, zh: str, en: str) -> Unprocessable:
    """422 naming the one field that is wrong."""
    return Unprocessable(zh, en, errors=[{"field": name, "message": t(zh, en)}])


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the error statuses it documents (rendered as problem+json)."""
    return {s: {"description": _title(s)} for s in statuses}


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": title or _title(status),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_PYDANTIC_ZH = {
    "missing": "必填字段",
    "extra_forbidden": "不允许的字段",
    "string_too_short": "长度不足",
    "string_too_long": "长度超出限制",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为布尔值",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "datetime_parsing": "日期时间格式无效",
    "datetime_from_date_parsing": "日期时间格式无效",
    "date_parsing": "日期格式无效",
    "timezone_aware": "日期时间必须带时区",
    "value_error": "取值无效",
    "string_pattern_mismatch": "格式不正确",
    "json_invalid": "JSON 格式错误",
    "limit_range": "每页条数 limit 须在 {min}..{max} 之间",
}
# The bound a number broke, stated in the Chinese text as the English one states it.
_BOUND_ZH = {"greater_than_equal": "（不小于 {ge}）", "less_than_equal": "（不大于 {le}）",
             "greater_than": "（须大于 {gt}）", "less_than": "（须小于 {lt}）"}


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        field_parts = [p for p in loc if p not in ("body", "query", "path", "header", "cookie")]
        etype = str(err.get("type", "value_error"))
        message = str(err.get("msg", ""))
        if etype == "value_error" and message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        elif etype in _PYDANTIC_ZH:
            ctx = err.get("ctx") or {}
            zh = _PYDANTIC_ZH[etype] + _BOUND_ZH.get(etype, "")
            try:
                zh = zh.format(**ctx)
            except (KeyError, IndexError, ValueError):
                zh = _PYDANTIC_ZH[etype]
            message = t(zh, message)
        out.append(
            {
                "field": ".".join(field_parts) or (loc[-1] if loc else ""),
                "location": loc[0] if loc else "",
                "loc": loc,
                "type": etype,
                "message": message,
            }
        )
    return out


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return problem_response(
        exc.status,
        exc.code,
        t(exc.zh_detail, exc.en_detail),
        errors=exc.errors,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        return problem_response(
            400, "malformed_json", t("请求体不是合法的 JSON", "The request body is not valid JSON")
        )
    return problem_response(
        422, "validation_error", t("数据校验未通过", "Validation failed"), errors=errors
    )


_HTTP_CODES = {
    401: ("unauthorized", "未登录或登录已失效", "Not authenticated"),
    403: ("forbidden", "没有执行此操作的权限", "Not allowed"),
    404: ("not_found", "资源不存在", "Not found"),
    405: ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
    406: ("not_acceptable", "无法提供所要求的格式", "Not acceptable"),
    413: ("payload_too_large", "请求体过大", "Request body too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "Unsupported content type"),
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, zh, en = _HTTP_CODES.get(exc.status_code, ("http_error", "请求有误", "Request error"))
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    return problem_response(exc.status_code, code, t(zh, en), headers=headers)


def _flat(routes: list[Any]) -> Iterator[Any]:
    """The routes, with those of included routers (FastAPI keeps them nested) in place."""
    for route in routes:
        nested = getattr(route, "effective_candidates", None)
        if callable(nested):
            yield from _flat(nested())
        else:
            yield route


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route has for this path. Starlette's 405 names only the first route
    whose path matched (`GET /things/1` and `PATCH /things/1` are two routes), so a client told
    `Allow: GET` would never learn it may PATCH."""
    path = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    path = path.removeprefix(root) if root else path
    methods: set[str] = set()
    for route in _flat(request.app.router.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path) and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)


async def _unhandled(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    # Starlette re-raises an unhandled error after this answer and the server then drops the
    # connection: say so, or a keep-alive client's next request on it meets a reset.
    return problem_response(
        500, "internal_error", t("服务器内部错误", "Internal server error"),
        headers={"Connection": "close"},
    )


# An outage is a dependency that does not answer (connection refused or cut, a timeout, no
# pooled connection in time), not a bug: 503 and Retry-After, so clients and load balancers
# back off and retry, instead of 500.
RETRY_AFTER_SECONDS = 5
_DB_MODULES = ("asyncpg", "aiosqlite", "sqlite3", "sqlalchemy", "app.core.sqlite_inline")
_REDIS_MODULES = ("redis", "limits")
# SQLSTATE classes: 08 connection exception, 53 insufficient resources (too many
# connections), 57 operator intervention (statement timeout, shutdown, starting up).
_OUTAGE_SQLSTATES = ("08", "53", "57")
# SQLite has no SQLSTATE: its busy and I/O errors by their text ("no such table" is a bug).
_SQLITE_OUTAGE = re.compile(r"locked|busy|unable to open|disk i/o|readonly", re.IGNORECASE)


def _raised_in(exc: BaseException, modules: tuple[str, ...]) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(modules):
            return True
        tb = tb.tb_next
    return False


def outage_of(exc: BaseException) -> str | None:
    """"database" or "redis" when `exc` means that dependency is unavailable, else None."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection within the pool timeout
        return "database"
    if isinstance(exc, sa_exc.DBAPIError):
        state = str(getattr(exc.orig, "sqlstate", None) or "")
        if (exc.connection_invalidated or state.startswith(_OUTAGE_SQLSTATES)
                or isinstance(exc, sa_exc.InterfaceError)
                or (isinstance(exc, sa_exc.OperationalError)
                    and _SQLITE_OUTAGE.search(str(exc.orig)))):
            return "database"
        return None
    if isinstance(exc, RedisError | StorageError):
        return "redis"
    if isinstance(exc, OSError | TimeoutError):  # raised by the drivers themselves
        if _raised_in(exc, _DB_MODULES):
            return "database"
        if _raised_in(exc, _REDIS_MODULES):
            return "redis"
    return None


_OUTAGE_TEXT = {
    "database": ("database_unavailable", "数据库暂不可用，请稍后重试",
                 "The database is unavailable; retry shortly"),
    "redis": ("rate_limit_store_unavailable", "服务暂不可用，请稍后重试",
              "Service unavailable; retry shortly"),
}


async def _maybe_outage(request: Request, exc: Exception) -> Response:
    kind = outage_of(exc)
    if kind is None:
        return await _unhandled(request, exc)
    log.warning("dependency unavailable", extra={"fields": {
        "dependency": kind, "error": type(exc).__name__, "path": request.url.path}})
    code, zh, en = _OUTAGE_TEXT[kind]
    return problem_response(503, code, t(zh, en),
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Handled inside the app (no re-raise): an outage answers 503 on a connection that stays
    # usable; anything else among these falls through to the 500 below.
    for kind in (sa_exc.SQLAlchemyError, OSError, TimeoutError, RedisError, StorageError):
        app.add_exception_handler(kind, _maybe_outage)
    app.add_exception_handler(Exception, _unhandled)
