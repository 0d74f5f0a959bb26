"""`DomainRouter`: a domain whose routes cannot match a path's first segment is skipped whole,
and nothing a client sees changes (404, 405, fixed paths before parameters)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from app.api import DOMAIN_ROUTERS
from app.core.permissions import Role
from app.core.routing import DomainRouter
from app.users.router import router as users_router
from tests.factories import World


def test_every_domain_router_is_skipped_by_its_first_segments() -> None:
    for router in DOMAIN_ROUTERS:
        assert isinstance(router, DomainRouter), router
        # None would mean "try every route": a parameter first, or a nested router.
        assert router._first_segments(), [r.path for r in router.routes]  # type: ignore[attr-defined]


@pytest.fixture
def tries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every route FastAPI tries against a request's path, in order."""
    tried: list[str] = []
    matches = APIRoute.matches

    def counting(self: APIRoute, scope: Any) -> Any:
        tried.append(self.path)
        return matches(self, scope)

    monkeypatch.setattr(APIRoute, "matches", counting)
    return tried


async def test_get_me_tries_only_the_users_routes(client, auth, world: World,
                                                  tries: list[str]) -> None:
    r = await client.get("/api/v1/me", headers=auth(world.user(Role.district_admin)))
    assert r.status_code == 200, r.text
    users_paths = {route.path for route in users_router.routes}  # type: ignore[attr-defined]
    # Every route of the eight routers before it was tried (164 tries) until this router.
    assert set(tries) <= users_paths
    assert len(tries) <= 2 * len(users_router.routes)  # FastAPI matches, then handles


async def test_what_clients_see_is_unchanged(client, auth, world: World) -> None:
    headers = auth(world.user(Role.district_admin))
    r = await client.delete("/api/v1/me", headers=headers)
    assert r.status_code == 405
    r = await client.get("/api/v1/no-such-thing", headers=headers)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.get("/api/v1", headers=headers)
    assert r.status_code == 404
