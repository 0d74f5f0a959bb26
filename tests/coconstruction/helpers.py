"""Shared steps for the co-construction tests: callers, requests, and an agency unit with its
own liaison (the world's unit sits under the district, where no liaison is assigned)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.permissions import Role
from app.models import User
from tests.factories import World

API = "/api/v1"


def admin(world: World) -> User:
    return world.user(Role.district_admin)


def community_admin(world: World, key: str = "s1c1") -> User:
    return world.user(Role.community_admin, key)


async def post(client: Any, auth: Any, user: User, path: str, body: dict[str, Any],
               expect: int = 201, **headers: str) -> dict[str, Any]:
    r = await client.post(f"{API}{path}", headers=auth(user, **headers), json=body)
    assert r.status_code == expect, r.text
    return dict(r.json())


async def patch(client: Any, auth: Any, user: User, path: str, body: dict[str, Any],
                expect: int = 200, **headers: str) -> dict[str, Any]:
    r = await client.patch(f"{API}{path}", headers=auth(user, **headers), json=body)
    assert r.status_code == expect, r.text
    return dict(r.json())


async def get(client: Any, auth: Any, user: User, path: str, expect: int = 200,
              **params: Any) -> dict[str, Any]:
    r = await client.get(f"{API}{path}", headers=auth(user), params=params)
    assert r.status_code == expect, r.text
    return dict(r.json())


async def ids(client: Any, auth: Any, user: User, path: str, **params: Any) -> list[int]:
    page = await get(client, auth, user, path, limit=100, **params)
    return [i["id"] for i in page["items"]]


def fields(problem: dict[str, Any]) -> list[str]:
    return [e["field"] for e in problem["errors"]]


@dataclass
class AgencyUnit:
    agency_id: int
    unit_id: int
    liaison: User


async def agency_unit(client: Any, auth: Any, world: World, *, code: str = "JYJ",
                      communities: tuple[int, ...] = (0,)) -> AgencyUnit:
    """An `agency` node under the district, a unit on it registered with the given communities,
    and the s1c1 liaison user assigned `unit_liaison` on the agency node as well."""
    boss = admin(world)
    agency = await post(client, auth, boss, "/orgs",
                        {"parent_id": world.root.id, "kind": "agency", "name": f"{code}党组"})
    unit = await post(client, auth, boss, "/units",
                      {"org_id": agency["id"], "name": "区教育局", "code": code,
                       "contact_name": "孙丽", "contact_phone": "13912345678"})
    for i in communities:
        await post(client, auth, boss, f"/units/{unit['id']}/registrations",
                   {"community_id": world.communities[i].id})
    liaison = world.user(Role.unit_liaison, "s1c1")
    await post(client, auth, boss, f"/users/{liaison.id}/roles",
               {"role": Role.unit_liaison, "org_id": agency["id"]})
    return AgencyUnit(agency["id"], unit["id"], liaison)
