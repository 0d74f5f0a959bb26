"""Every route walked: one that does not run in the unit of work (`UnitOfWorkRoute`, which
commits the request's one transaction) or does not authenticate its caller fails here, unless
it is on the public list below with the reason it is public.

Authentication is found in the route's dependency tree (router-level dependencies included): the
bearer-token principal (`app.core.auth.get_principal`), or for Open311 the client's API key
(`app.open311.auth.api_client`). A route that takes the request's session must be a
`UnitOfWorkRoute` wherever it is; every API and Open311 route must be one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from app.core.auth import CurrentPrincipal, get_principal
from app.core.db import SessionDep, get_session
from app.core.routing import UnitOfWorkRoute
from app.open311.auth import api_client

AUTHENTICATES: frozenset[Callable[..., Any]] = frozenset({get_principal, api_client})
TRANSACTIONAL_PREFIXES = ("/api/v1/", "/open311/")
O311 = "/open311/v2"

# (method, path) → why nobody needs to be signed in for it.
PUBLIC: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/login"): "signs in",
    ("POST", "/api/v1/auth/wechat"): "signs in with a WeChat login code",
    ("POST", "/api/v1/auth/refresh"): "the refresh token is the credential",
    ("POST", "/api/v1/auth/token"): "client credentials are the credential",
    ("GET", "/healthz"): "probe",
    ("GET", "/readyz"): "probe",
    ("GET", "/metrics"): "its own bearer token (GRID_METRICS_TOKEN), not a user's",
    ("GET", "/openapi.json"): "docs",
    ("GET", "/docs"): "docs",
    ("GET", "/docs/oauth2-redirect"): "docs",
    ("GET", "/redoc"): "docs",
    ("HEAD", "/openapi.json"): "docs",
    # Swagger UI's and ReDoc's scripts and styles, served by the app (a static mount).
    ("*", "/docs-assets"): "docs",
    ("GET", f"{O311}/discovery.{{fmt}}"): "Open311 public read (OPEN311.md)",
    ("GET", f"{O311}/services.{{fmt}}"): "Open311 public read",
    ("GET", f"{O311}/services/{{service_code}}.{{fmt}}"): "Open311 public read",
    ("GET", f"{O311}/requests.{{fmt}}"): "Open311 public read",
    ("GET", f"{O311}/requests/{{service_request_id}}.{{fmt}}"): "Open311 public read",
    ("GET", f"{O311}/tokens/{{token}}.{{fmt}}"): "Open311 public read",
    ("GET", f"{O311}/servicerequestupdates.{{fmt}}"): "Open311 public read",
    # Answers every other path under the prefix with Open311's 404 or 405 and reads nothing.
    **{(m, f"{O311}/{{rest:path}}"): "Open311 unknown resource"
       for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")},
}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def route_problems(routes: Sequence[BaseRoute],
                   public: dict[tuple[str, str], str]) -> list[str]:
    """One line per (method, path) that breaks the rule, empty when every route keeps it."""
    problems: list[str] = []
    for ctx in iter_route_contexts(routes):
        path = ctx.path or ""
        original = ctx.original_route
        dependant: Dependant | None = getattr(ctx, "dependant", None)
        calls = set(_calls(dependant)) if isinstance(original, APIRoute) and dependant else set()
        for method in sorted(ctx.methods or {"*"}):
            key = f"{method} {path}"
            needs_uow = path.startswith(TRANSACTIONAL_PREFIXES) or get_session in calls
            if needs_uow and not isinstance(original, UnitOfWorkRoute):
                problems.append(f"{key}: not a UnitOfWorkRoute")
            if (method, path) not in public and not calls & AUTHENTICATES:
                problems.append(f"{key}: no authentication and not on the public list")
    return problems


def test_every_route_runs_in_the_unit_of_work_and_authenticates(app: Any) -> None:
    problems = route_problems(app.routes, PUBLIC)
    print("\n".join(problems))
    assert not problems, "routes breaking the rule:\n" + "\n".join(problems)


def test_public_list_names_only_routes_that_exist(app: Any) -> None:
    present = {(m, ctx.path) for ctx in iter_route_contexts(app.routes)
               for m in ctx.methods or {"*"}}
    assert set(PUBLIC) - present == set()


class TestWalkerSelfCheck:
    """The walker itself flags what it should, so the test above cannot pass vacuously."""

    def test_flags_a_route_without_authentication(self) -> None:
        router = APIRouter(route_class=UnitOfWorkRoute)

        @router.get("/api/v1/throwaway")
        async def throwaway(session: SessionDep) -> None: ...

        assert route_problems(router.routes, {}) == [
            "GET /api/v1/throwaway: no authentication and not on the public list"
        ]

    def test_flags_a_route_outside_the_unit_of_work(self) -> None:
        router = APIRouter()

        @router.get("/api/v1/throwaway")
        async def throwaway(principal: CurrentPrincipal) -> None: ...

        assert route_problems(router.routes, {}) == [
            "GET /api/v1/throwaway: not a UnitOfWorkRoute"
        ]

    def test_finds_authentication_in_router_dependencies(self) -> None:
        inner = APIRouter(route_class=UnitOfWorkRoute)

        @inner.get("/throwaway")
        async def throwaway() -> None: ...

        outer = APIRouter()
        outer.include_router(inner, prefix="/api/v1", dependencies=[Depends(get_principal)])
        assert route_problems(outer.routes, {}) == []
