"""Shared pieces of the volunteers tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Activity, ActivitySignup, User
from tests.factories import World, give_role, make_activity, make_user

API = "/api/v1"
ACTIVITIES = f"{API}/activities"


def body(world: World, index: int = 0, **changes: Any) -> dict[str, Any]:
    starts = utcnow() + timedelta(days=3)
    grid = world.grids[2 * index]
    out: dict[str, Any] = {
        "org_id": world.communities[index].id, "title": "道德讲堂", "kind": "lecture",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 2, "lng": (grid.min_lng or 0) + 0.005, "lat": (grid.min_lat or 0) + 0.005,
        "radius_m": 200, "points_per_hour": 10, "address": "社区党群服务中心",
    }
    out.update(changes)
    return out


async def activity_now(db: Any, world: World, index: int = 0, *, before: timedelta,
                       after: timedelta, **kw: Any) -> Activity:
    """An activity of community `index` that started `before` ago and ends `after` from now."""
    async with db.writing() as s:
        a = await make_activity(s, world.communities[index], starts_in=-before,
                                hours=(before + after).total_seconds() / 3600, **kw)
        a.signup_deadline = utcnow() + after
        await s.commit()
    return a


async def volunteers(db: Any, world: World, n: int, index: int = 0, prefix: str = "vol"
                     ) -> list[User]:
    """`n` accounts holding `volunteer` at community `index`."""
    out = []
    async with db.writing() as s:
        for i in range(n):
            user = await make_user(s, f"{prefix}{index}_{i}", world.communities[index])
            await give_role(s, user, Role.volunteer, world.communities[index])
            out.append(user)
        await s.commit()
    return out


async def set_signup(db: Any, signup_id: int, **values: Any) -> None:
    async with db.writing() as s:
        row = await s.get(ActivitySignup, signup_id)
        assert row is not None
        for k, v in values.items():
            setattr(row, k, v)
        await s.commit()
