"""The traffic light and `overdue` of a case as GET /cases/{id} shows them (the calendar's
arithmetic itself is in test_calendar.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.permissions import Role
from app.core.types import utcnow
from tests.cases.helpers import API
from tests.factories import World, make_case


class TestLight:
    async def light_of(self, client, auth, world: World, db, **changes: Any) -> tuple[str, bool]:
        async with db.writing() as s:
            case = await make_case(s, world.grids[0], world.user(Role.grid_worker, "s1c1g1"),
                                   **changes)
            await s.commit()
        r = await client.get(f"{API}/cases/{case.id}",
                             headers=auth(world.user(Role.district_admin)))
        return r.json()["light"], r.json()["overdue"]

    async def test_green_with_most_of_the_limit_left(self, client, auth, world: World, db):
        assert await self.light_of(client, auth, world, db,
                                   due_at=utcnow() + timedelta(days=30)) == ("green", False)

    async def test_yellow_near_the_deadline(self, client, auth, world: World, db):
        # Reported 100 days ago, due in a minute: far more than 80 % of the working time used.
        assert await self.light_of(client, auth, world, db,
                                   reported_at=utcnow() - timedelta(days=100),
                                   due_at=utcnow() + timedelta(minutes=1)) == ("yellow", False)

    async def test_red_once_overdue(self, client, auth, world: World, db):
        assert await self.light_of(client, auth, world, db,
                                   due_at=utcnow() - timedelta(seconds=1)) == ("red", True)

    async def test_closed_late_stays_red_but_is_not_overdue(self, client, auth, world: World,
                                                             db):
        assert await self.light_of(client, auth, world, db, status="closed",
                                   closed_at=utcnow() - timedelta(hours=1),
                                   due_at=utcnow() - timedelta(hours=2)) == ("red", False)
