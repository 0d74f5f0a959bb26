"""Open311 GeoReport v2 under `/open311/v2`: `{resource}.{json|xml}`.

Public: discovery, services, service definitions, and (while `GRID_OPEN311_PUBLIC_READS` is on,
the default) GET requests / requests/{id} / tokens/{token} / servicerequestupdates without an
`api_key`: the public fields of the district's public-space cases. With an `api_key` (query
string or form body) those reads are scoped to the client's org subtree and carry our photos;
a key that is sent but wrong is 403. POST requests always needs a key. `jurisdiction_id` is
checked when `GRID_OPEN311_JURISDICTION` is configured (an unknown one is 404) and may always
be left out.

The routes parse their arguments themselves, so nothing here answers with FastAPI's 422 or the
API's problem+json: every error is Open311's `[{"code", "description"}]` (or `<errors>`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException

from app.cases.calendar import WorkCalendar
from app.core import abuse, idempotency
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.errors import RETRY_AFTER_SECONDS, AppError, outage_of
from app.core.i18n import t
from app.core.inputs import Id
from app.core.ratelimit import RateLimits
from app.core.routing import UnitOfWorkRoute
from app.core.security import Principal
from app.open311 import inputs, mapping, service
from app.open311.auth import api_client, reader
from app.open311.errors import Open311Error, not_found, open311_status
from app.open311.formats import Format, guess_format, parse_format, render, render_error
from app.open311.params import Params

PREFIX = "/open311/v2"
log = logging.getLogger("gridapi.errors")
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _error_format(request: Request) -> Format:
    fmt = request.path_params.get("fmt")
    return Format(fmt) if fmt in set(Format) else guess_format(request.url.path)


class Open311Route(UnitOfWorkRoute):
    """One transaction per request (rolled back on any error), errors in Open311's dialect."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            headers: dict[str, str] = {}
            try:
                return await handler(request)
            except Open311Error as exc:
                error = exc
            except AppError as exc:
                error = Open311Error(open311_status(exc.status), t(exc.zh_detail, exc.en_detail))
                headers = exc.headers
            except (RequestValidationError, HTTPException) as exc:
                status = getattr(exc, "status_code", 400)
                error = Open311Error(status if status in (404, 405, 413) else 400,
                                     t("请求无效", "Invalid request"))
            except Exception as exc:
                if outage_of(exc) is None:
                    log.exception("unhandled error in open311")
                    error = Open311Error(500, t("服务器内部错误", "Internal server error"))
                else:  # the database or Redis does not answer: retry later, not a bug
                    error = Open311Error(503, t("服务暂不可用，请稍后重试",
                                                "Service unavailable; retry shortly"))
                    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            response = render_error(_error_format(request), error)
            response.headers.update(headers)
            return response

        return run


router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=Open311Route,
                   include_in_schema=False)


@dataclass
class Call:
    fmt: Format
    params: Params


async def _call(request: Request, *, form: bool = False) -> Call:
    fmt = parse_format(request.path_params["fmt"])
    params = Params(request.query_params, await request.form() if form else None)
    settings: Settings = request.app.state.settings
    wanted = settings.open311_jurisdiction
    given = params.text("jurisdiction_id")
    if wanted and given is not None and given != wanted:
        raise not_found(f"jurisdiction_id {given} 不存在", f"Unknown jurisdiction_id {given!r}")
    return Call(fmt, params)


async def _form_call(request: Request) -> Call:
    return await _call(request, form=True)


async def _reader(request: Request, session: AsyncSession, call: Call) -> Principal | None:
    """The client of the key sent, or None: anyone, without a key (public reads)."""
    settings: Settings = request.app.state.settings
    return await reader(session, call.params.text("api_key"),
                        public_reads=settings.open311_public_reads)


def _media_link(request: Request) -> service.MediaLink:
    def link(case_id: Id, attachment_id: Id) -> str:
        return str(request.url_for("download_case_attachment", case_id=case_id,
                                   attachment_id=attachment_id))

    return link


def _requests(fmt: Format, records: list[service.Record]) -> Response:
    return render(fmt, records, root="service_requests", item="request")


@router.get("/discovery.{fmt}")
async def discovery(request: Request) -> Response:
    """Where this endpoint is, what it speaks and how to get a key."""
    call = await _call(request)
    settings: Settings = request.app.state.settings
    doc = {
        "changeset": mapping.CHANGESET,
        "contact": settings.open311_contact
        or t(f"{settings.default_district_name}网格化管理指挥中心",
             f"{settings.default_district_name} grid management command center"),
        "key_service": t("API key 由区网格化管理指挥中心为第三方应用开通",
                         "API keys are issued to third-party apps by the district command center"),
        "endpoints": [{
            "specification": mapping.SPECIFICATION,
            "url": str(request.base_url).rstrip("/") + PREFIX,
            "changeset": mapping.CHANGESET,
            "type": "production" if settings.env == "production" else "test",
            "formats": ["application/json", "text/xml"],
        }],
    }
    return render(call.fmt, doc, root="discovery", item=None)


@router.get("/services.{fmt}")
async def list_services(request: Request, session: SessionDep) -> Response:
    """Leaf case categories; `group` is the parent category."""
    call = await _call(request)
    return render(call.fmt, await service.services(session), root="services", item="service")


@router.get("/services/{service_code}.{fmt}")
async def service_definition(request: Request, session: SessionDep) -> Response:
    """The extra fields a service takes (`attribute[CODE]`); 404 for an unknown code."""
    call = await _call(request)
    doc = await service.definition(session, request.path_params["service_code"])
    return render(call.fmt, doc, root="service_definition", item=None)


@router.post("/requests.{fmt}")
async def create_request(request: Request, session: SessionDep,
                         call: Annotated[Call, Depends(_form_call)],
                         principal: Annotated[Principal, Depends(api_client)]) -> Response:
    """Report a case (form-urlencoded or the query string); answers at once with its id."""
    limits: RateLimits = request.app.state.limits
    await abuse.enforce(limits, limits.case_create, "case_create", principal.key,
                        code="case_rate_limited")
    # A client retrying after a lost answer sends the same Idempotency-Key: one case.
    await idempotency.guard(request, principal.key, request.headers.get("Idempotency-Key"))
    calendar: WorkCalendar = request.app.state.calendar
    records = await service.report(session, principal, calendar, inputs.report(call.params))
    return _requests(call.fmt, records)


@router.get("/requests.{fmt}")
async def list_requests(request: Request, session: SessionDep) -> Response:
    """Newest first; the last 90 days by default, at most 1000 (`page`, `page_size`). Without a
    key: the public fields of the district's public-space cases."""
    call = await _call(request)
    principal = await _reader(request, session, call)
    query = inputs.search(call.params)
    records = await service.find(session, principal, query, _media_link(request))
    return _requests(call.fmt, records)


@router.get("/requests/{service_request_id}.{fmt}")
async def get_request(request: Request, session: SessionDep) -> Response:
    """An array of one; 404 when unknown or outside the client's area (without a key: not a
    public case)."""
    call = await _call(request)
    principal = await _reader(request, session, call)
    code = request.path_params["service_request_id"]
    return _requests(call.fmt, await service.one(session, principal, code, _media_link(request)))


@router.get("/tokens/{token}.{fmt}")
async def get_token(request: Request, session: SessionDep) -> Response:
    """Tokens are never issued (requests are created at once); a service_request_id works."""
    call = await _call(request)
    principal = await _reader(request, session, call)
    return _requests(call.fmt, await service.token(session, principal,
                                                   request.path_params["token"]))


@router.get("/servicerequestupdates.{fmt}")
async def list_updates(request: Request, session: SessionDep) -> Response:
    """FixMyStreet's extension: the cases' timeline within `start_date`..`end_date`."""
    call = await _call(request)
    principal = await _reader(request, session, call)
    window, page = inputs.window(call.params), inputs.page(call.params)
    records = await service.updates(session, principal, window, page)
    return render(call.fmt, records, root="service_requests_updates", item="request_update")


@router.api_route("/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
                                           "OPTIONS"])
async def unknown_resource(request: Request) -> Response:
    """Anything else under the prefix: 404, or 405 for a known resource and another method."""
    fmt = guess_format(request.url.path)
    path = request.url.path
    allowed = sorted({
        method for route in router.routes
        if isinstance(route, APIRoute) and route.endpoint is not unknown_resource
        and route.path_regex.match(path) for method in route.methods or ()
    })
    if allowed:
        error = Open311Error(405, t("不支持该请求方法", "Method not allowed"))
        return render_error(fmt, error, headers={"Allow": ", ".join(allowed)})
    raise not_found("资源不存在", "No such resource")
