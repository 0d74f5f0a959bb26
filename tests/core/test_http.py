"""Request-shape errors, problem+json rendering, request ids, health and metrics."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from app.core.permissions import Role
from app.core.routing import UnitOfWorkRoute
from app.main import create_app
from tests.conftest import make_settings
from tests.factories import World

API = "/api/v1"


def _is_problem(r: httpx.Response) -> bool:
    body = r.json()
    return r.headers["content-type"].startswith("application/problem+json") and {
        "type", "title", "status", "detail", "code"
    } <= set(body) and body["status"] == r.status_code


class TestBadInput:
    async def test_malformed_json_is_400(self, client, auth, world: World):
        r = await client.post(f"{API}/orgs", headers={**auth(world.user(Role.district_admin)),
                                                      "content-type": "application/json"},
                              content=b'{"parent_id": 1, "kind": ')
        assert r.status_code == 400 and _is_problem(r)
        assert r.json()["code"] == "malformed_json"

    async def test_wrong_content_type_is_415(self, client, auth, world: World):
        r = await client.post(f"{API}/orgs", headers={**auth(world.user(Role.district_admin)),
                                                      "content-type": "text/plain"},
                              content=b"parent_id=1")
        assert r.status_code == 415 and _is_problem(r)

    async def test_oversized_body_is_413(self, db):
        app = create_app(make_settings(max_json_bytes=100), db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as c:
            r = await c.post(f"{API}/auth/login", json={"username": "x" * 200, "password": "y"})
        assert r.status_code == 413 and _is_problem(r)

    async def test_oversized_chunked_body_is_413(self, db):
        app = create_app(make_settings(max_json_bytes=100), db)

        async def chunks():
            for _ in range(10):
                yield b'{"username":"' + b"x" * 50

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as c:
            r = await c.post(f"{API}/auth/login", content=chunks(),
                             headers={"content-type": "application/json"})
        assert r.status_code == 413 and _is_problem(r)

    async def test_validation_error_names_fields_in_chinese(self, client, auth, world: World):
        r = await client.post(f"{API}/orgs", headers=auth(world.user(Role.district_admin)),
                              json={"kind": "street", "name": ""})
        assert r.status_code == 422 and _is_problem(r)
        fields = {e["field"]: e["message"] for e in r.json()["errors"]}
        assert fields["parent_id"] == "必填字段"
        assert "name" in fields
        assert r.json()["detail"] == "数据校验未通过"

    async def test_english_on_request(self, client, auth, world: World):
        r = await client.post(f"{API}/orgs", json={"kind": "street"},
                              headers={**auth(world.user(Role.district_admin)),
                                       "Accept-Language": "en-US,en;q=0.9,zh;q=0.5"})
        assert r.json()["detail"] == "Validation failed"
        assert {e["message"] for e in r.json()["errors"]} >= {"Field required"}

    async def test_extra_fields_are_refused(self, client, auth, world: World):
        r = await client.post(f"{API}/orgs", headers=auth(world.user(Role.district_admin)),
                              json={"parent_id": world.root.id, "kind": "street", "name": "x",
                                    "path": "/hack/"})
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "path"

    async def test_unknown_route_is_problem_404(self, client):
        r = await client.get("/api/v1/nope")
        assert r.status_code == 404 and _is_problem(r)

    async def test_wrong_method_is_problem_405(self, client):
        r = await client.put("/healthz")
        assert r.status_code == 405 and _is_problem(r)

    async def test_no_token_is_401(self, client):
        r = await client.get(f"{API}/orgs")
        assert r.status_code == 401 and _is_problem(r)
        assert r.headers["www-authenticate"] == "Bearer"


class TestUnhandled:
    async def test_500_hides_internals(self, db):
        app = create_app(make_settings(), db)
        boom = APIRouter(route_class=UnitOfWorkRoute)

        @boom.get("/boom")
        async def explode() -> None:
            raise RuntimeError("secret connection string postgres://u:p@h")

        app.include_router(boom)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/boom")
        assert r.status_code == 500 and _is_problem(r)
        assert "secret" not in r.text and "RuntimeError" not in r.text


class TestRequestId:
    async def test_generated(self, client):
        r = await client.get("/healthz")
        assert len(r.headers["x-request-id"]) == 32

    async def test_echoed(self, client):
        r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert r.headers["x-request-id"] == "abc-123"

    async def test_unsafe_replaced(self, client):
        r = await client.get("/healthz", headers={"X-Request-ID": "a b\tc"})
        assert r.headers["x-request-id"] != "a b\tc"


class TestOps:
    async def test_healthz(self, client):
        r = await client.get("/healthz")
        assert r.status_code == 200 and r.json() == {"status": "ok"}

    async def test_readyz(self, client):
        r = await client.get("/readyz")
        assert r.status_code == 200 and r.json()["status"] == "ready"
        assert r.json()["checks"]["database"] == "ok"

    async def test_readyz_without_database_is_503(self):
        app = create_app(make_settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/x"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as c:
            r = await c.get("/readyz")
        assert r.status_code == 503 and _is_problem(r)

    async def test_metrics_count_requests(self, client):
        await client.get("/healthz")
        r = await client.get("/metrics")
        assert r.status_code == 200
        assert "gridapi_http_requests_total" in r.text
        assert 'route="ops-healthz"' in r.text
