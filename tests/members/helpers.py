"""Shared helpers for the party-member tests."""

from __future__ import annotations

from typing import Any

from app.core.permissions import Role
from tests.factories import World, id_number, phone_number

API = "/api/v1"


def new_id(seq: int) -> str:
    """A valid ID number nobody in the world has (born 1970)."""
    return id_number(seq, born="19700101")


def member_body(world: World, seq: int = 100, grid: int = 0, **changes: Any) -> dict[str, Any]:
    return {"name": "张建华", "id_number": new_id(seq), "phone": phone_number(300 + seq),
            "org_id": world.branches[grid].id, "status": "full", "category": "regular",
            "joined_on": "2001-07-01", "work_unit": "许昌市第一中学", **changes}


def admin(world: World, key: str = "s1c1") -> Any:
    return world.user(Role.community_admin, key)


def instructor(world: World, key: str = "s1c1g1") -> Any:
    return world.user(Role.party_instructor, key)


def worker(world: World, key: str = "s1c1g1") -> Any:
    return world.user(Role.grid_worker, key)


def head(world: World, key: str = "s1c1g1") -> Any:
    return world.user(Role.grid_head, key)


async def call(client: Any, auth: Any, user: Any, method: str, path: str, expect: int,
               body: Any = None, headers: dict[str, str] | None = None, **params: Any
               ) -> Any:
    r = await client.request(method, f"{API}{path}", json=body, params=params or None,
                             headers={**auth(user), **(headers or {})})
    assert r.status_code == expect, r.text
    return r


async def ids(client: Any, auth: Any, user: Any, path: str, **params: Any) -> list[int]:
    r = await call(client, auth, user, "GET", path, 200, limit=100, **params)
    return [i["id"] for i in r.json()["items"]]


def fields(r: Any) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]
