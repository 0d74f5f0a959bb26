"""Shared helpers of the patrol API tests: the fixture world's geometry and the calls every test
makes (start a patrol, send fixes)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.core.permissions import Role
from app.core.types import utcnow
from app.models import User
from tests.factories import World

API = "/api/v1"
PATROLS = f"{API}/patrols"


def grid_index(key: str) -> int:
    """"s2c1g2" → its position in `world.grids` / `world.patrols`."""
    si, ci, gi = int(key[1]), int(key[3]), int(key[5])
    return 4 * (si - 1) + 2 * (ci - 1) + (gi - 1)


def west_edge(key: str) -> float:
    """Longitude of the western edge of the grid's 0.01° square (tests/factories.py)."""
    return 113.80 + 0.02 * grid_index(key)


def fix(at: datetime, lng: float, lat: float = 34.005, **extra: Any) -> dict[str, Any]:
    return {"lng": lng, "lat": lat, "at": at.isoformat(), **extra}


def walk(start: datetime, key: str = "s1c1g1", n: int = 5, *, step_s: int = 60,
         step_deg: float = 0.001) -> list[dict[str, Any]]:
    """n fixes walking east through the grid, one every `step_s` seconds."""
    return [fix(start + timedelta(seconds=i * step_s), west_edge(key) + i * step_deg)
            for i in range(n)]


async def start(client: Any, auth: Any, world: World, key: str = "s1c1g1",
                who: User | None = None, expect: int = 201, **body: Any) -> dict[str, Any]:
    """A patrol started through the API by the grid worker of `key` (started 30 minutes ago
    unless `started_at` is given, so fixes of the last half hour fit its window)."""
    user = who or world.user(Role.grid_worker, key)
    payload = {"grid_id": world.grids[grid_index(key)].id,
               "started_at": (utcnow() - timedelta(minutes=30)).isoformat(), **body}
    r = await client.post(PATROLS, headers=auth(user), json=payload)
    assert r.status_code == expect, r.text
    return dict(r.json())


async def send(client: Any, auth: Any, user: User, patrol_id: int, points: list[dict[str, Any]],
               expect: int = 200, **body: Any) -> dict[str, Any]:
    r = await client.post(f"{PATROLS}/{patrol_id}/points", headers=auth(user),
                          json={"points": points, **body})
    assert r.status_code == expect, r.text
    return dict(r.json())


async def end(client: Any, auth: Any, user: User, patrol_id: int, expect: int = 200,
              **body: Any) -> dict[str, Any]:
    r = await client.post(f"{PATROLS}/{patrol_id}/end", headers=auth(user), json=body)
    assert r.status_code == expect, r.text
    return dict(r.json())


async def detail(client: Any, auth: Any, user: User, patrol_id: int, **params: Any
                 ) -> dict[str, Any]:
    r = await client.get(f"{PATROLS}/{patrol_id}", headers=auth(user), params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def fields(r: Any) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


def ago(**kw: float) -> datetime:
    return utcnow() - timedelta(**kw)
