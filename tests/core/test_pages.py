"""Paging errors that say what to do: `limit` out of range names 1..100, and a cursor handed
to a list other than the one that made it is a 400."""

from __future__ import annotations

import pytest

from app.core.permissions import Role
from tests.factories import World

API = "/api/v1"


class TestLimit:
    @pytest.mark.parametrize("path", ["/orgs", "/cases", "/buildings"])
    @pytest.mark.parametrize("limit", [0, 101, -5])
    async def test_out_of_range_states_the_range(self, client, auth, world: World, path, limit):
        headers = auth(world.user(Role.district_admin))
        r = await client.get(f"{API}{path}", params={"limit": limit}, headers=headers)
        assert r.status_code == 422, r.text
        [error] = r.json()["errors"]
        assert error["field"] == "limit" and error["type"] == "limit_range"
        assert "1..100" in error["message"] and "limit" in error["message"]
        r = await client.get(
            f"{API}{path}", params={"limit": limit}, headers={**headers, "Accept-Language": "en"}
        )
        assert r.json()["errors"][0]["message"] == "limit must be between 1 and 100 (1..100)"

    async def test_the_schema_keeps_its_bounds(self, app):
        [limit] = [
            p
            for p in app.openapi()["paths"]["/api/v1/orgs"]["get"]["parameters"]
            if p["name"] == "limit"
        ]
        assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)

    async def test_in_range_is_fine(self, client, auth, world: World):
        r = await client.get(
            f"{API}/orgs", params={"limit": 100}, headers=auth(world.user(Role.district_admin))
        )
        assert r.status_code == 200


class TestForeignCursor:
    async def _cursor(self, client, headers, path: str) -> str:
        r = await client.get(f"{API}{path}", params={"limit": 1}, headers=headers)
        assert r.status_code == 200 and r.json()["next_cursor"], r.text
        return str(r.json()["next_cursor"])

    @pytest.mark.parametrize(
        ("made_by", "given_to"),
        [
            ("/orgs", "/grids"),
            ("/grids", "/orgs"),
            ("/orgs", "/cases"),
            ("/cases", "/orgs"),
            ("/registrations", "/registrations/mine"),
        ],
    )
    async def test_a_cursor_from_another_list_is_422(
        self, client, auth, world: World, made_by, given_to
    ):
        headers = auth(world.user(Role.district_admin))
        cursor = await self._cursor(client, headers, made_by)
        r = await client.get(f"{API}{given_to}", params={"cursor": cursor}, headers=headers)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "invalid_cursor"
        assert "另一个列表" in r.json()["detail"]

    @pytest.mark.parametrize("path", ["/orgs", "/cases"])
    async def test_its_own_cursor_pages_on(self, client, auth, world: World, path):
        headers = auth(world.user(Role.district_admin))
        cursor = await self._cursor(client, headers, path)
        r = await client.get(f"{API}{path}", params={"cursor": cursor, "limit": 1}, headers=headers)
        assert r.status_code == 200 and r.json()["items"]
