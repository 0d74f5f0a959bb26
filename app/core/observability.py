"""Request ids, structured access logs and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from contextvars import ContextVar
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.i18n import pick_language, set_language
from app.core.openapi import operation_id

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
access_log = logging.getLogger("gridapi.access")

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "gridapi_http_requests_total", "HTTP requests", ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "gridapi_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


# A database error's text can carry the row's values: PostgreSQL's DETAIL line ("Key (id_hash)=
# (…) already exists") and, unless the engine hides them (it does, app/core/db.py), the
# statement's parameters — a resident's name, ciphertexts, blind indexes. Neither reaches a log.
_DB_DETAIL = re.compile(r"^\s*(DETAIL|HINT):.*$|^\s*\[parameters: .*$", re.MULTILINE)


def redact(text: str) -> str:
    return _DB_DETAIL.sub(lambda m: m.group(0).split(":", 1)[0] + ": [redacted]", text)


class RedactDatabaseDetails(logging.Filter):
    """On a handler: formats the record's exception once, without the values above (a
    formatter then prints `exc_text` as it is)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
        if record.args:
            record.msg, record.args = redact(record.getMessage()), None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Every request writes one (the access log): the timestamp text
    is made once per second and orjson encodes (a fifth of the stdlib encoder's time)."""

    _second = -1
    _stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:
            self._second, self._stamp = second, self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z")
        data: dict[str, Any] = {
            "ts": self._stamp,
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid:
            data["request_id"] = rid
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            data.update(extra)
        if record.exc_info:
            data["exc"] = record.exc_text or redact(self.formatException(record.exc_info))
        try:
            return orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # what orjson refuses outright (an integer beyond 64 bits)
            return json.dumps(data, ensure_ascii=False, default=str)


def configure_logging(json_logs: bool = True, level: int = logging.INFO) -> None:
    # Every request writes an access line: skip what no line of ours shows (the Logging HOWTO's
    # "Optimization" settings) — walking the stack for the caller's file and line, and the
    # thread, process and asyncio task names looked up for each record.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactDatabaseDetails())
    root = logging.getLogger("gridapi")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # The server's own "Exception in ASGI application" lines print the same exceptions.
    for name in ("uvicorn.error", "uvicorn", ""):
        for other in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactDatabaseDetails) for f in other.filters):
                other.addFilter(RedactDatabaseDetails())


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return str(v.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Outermost layer: request id, language, access log and metrics for every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        set_language(pick_language(_header(scope, b"accept-language")))
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            matched = scope.get("route")
            # The operation id names the endpoint the same way the OpenAPI document does.
            route = operation_id(matched) if matched is not None else "unmatched"
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            access_log.info(
                "request",
                extra={"fields": {
                    "method": scope["method"], "path": scope["path"], "route": route,
                    "status": status, "ms": round(elapsed * 1000, 2),
                    "client": (scope.get("client") or ("", 0))[0],
                }},
            )
            request_id_var.reset(token)
