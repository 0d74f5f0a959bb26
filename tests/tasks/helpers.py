"""Shared steps for the key-task tests: callers, requests, a district task split to streets."""

from __future__ import annotations

from typing import Any

from app.core.permissions import Role
from app.models import User
from tests.factories import World

API = "/api/v1"
TASKS = f"{API}/tasks"


def admin(world: World) -> User:
    return world.user(Role.district_admin)


def street_admin(world: World, key: str = "s1") -> User:
    return world.user(Role.street_admin, key)


def community_admin(world: World, key: str = "s1c1") -> User:
    return world.user(Role.community_admin, key)


async def call(
    client: Any,
    auth: Any,
    user: User,
    method: str,
    path: str,
    *,
    expect: int,
    json: Any = None,
    params: Any = None,
    **headers: str,
) -> Any:
    r = await client.request(
        method, f"{API}{path}", headers=auth(user, **headers), json=json, params=params
    )
    assert r.status_code == expect, r.text
    return r.json() if r.content and r.headers["content-type"].endswith("json") else r


async def district_task(
    client: Any,
    auth: Any,
    world: World,
    *,
    year: int = 2026,
    deadline: str = "2026-12-31",
    content: str = "红色物业全覆盖",
    streets: tuple[int, ...] = (0, 1),
) -> dict[str, Any]:
    """A task of the district's list naming the given streets as responsible."""
    body = {
        "org_id": world.root.id,
        "year": year,
        "content": content,
        "target": "全覆盖",
        "deadline": deadline,
        "responsibles": [{"org_id": world.streets[i].id} for i in streets],
    }
    return dict(await call(client, auth, admin(world), "POST", "/tasks", expect=201, json=body))


def responsible_of(task: dict[str, Any], org_id: int) -> int:
    return int(next(r["id"] for r in task["responsibles"] if r["org_id"] == org_id))


async def report(
    client: Any,
    auth: Any,
    user: User,
    task: dict[str, Any],
    org_id: int,
    week: str,
    percent: int,
    expect: int = 201,
) -> Any:
    body = {
        "responsible_id": responsible_of(task, org_id),
        "week": week,
        "percent": percent,
        "text": f"进度 {percent}%",
    }
    return await call(
        client, auth, user, "POST", f"/tasks/{task['id']}/reports", expect=expect, json=body
    )
