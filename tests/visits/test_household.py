"""Visits linked to the register's households: `household_id` on create and correction (a
household of the visit's grid that the caller sees, else 422 naming it) and as a list filter."""

from __future__ import annotations

from app.core.permissions import Role
from tests.factories import World
from tests.visits.test_router import VISITS, list_ids, log, patch, worker


async def test_visit_links_a_household_of_its_grid(client, auth, world: World):
    household = world.households[0]
    visit = await log(client, auth, world, household_id=household.id)
    assert visit["household_id"] == household.id
    got = await client.get(f"{VISITS}/{visit['id']}", headers=auth(worker(world)))
    assert got.json()["household_id"] == household.id
    other = await log(client, auth, world)
    assert other["household_id"] is None
    ids = await list_ids(client, auth, worker(world), household_id=household.id)
    assert visit["id"] in ids and other["id"] not in ids


async def test_household_of_another_grid_is_422_naming_it(client, auth, world: World):
    # s1c1g2's household: outside the worker's grid (and out of their sight).
    r = await log(client, auth, world, expect=422, household_id=world.households[1].id)
    assert r["errors"][0]["field"] == "household_id"
    missing = await log(client, auth, world, expect=422, household_id=2_000_000_000)
    assert missing["detail"] == r["detail"]


async def test_household_visible_but_in_another_grid_is_422(client, auth, world: World):
    """The worker also works the neighbouring grid (a second role): its household is visible,
    but a visit's household must be of the visit's own grid."""
    user = worker(world)
    r = await client.post(f"/api/v1/users/{user.id}/roles",
                          headers=auth(world.user(Role.district_admin)),
                          json={"role": Role.grid_worker, "org_id": world.branches[1].id})
    assert r.status_code == 201, r.text
    seen = await client.get(f"/api/v1/households/{world.households[1].id}", headers=auth(user))
    assert seen.status_code == 200
    bad = await log(client, auth, world, expect=422, household_id=world.households[1].id)
    assert bad["errors"][0]["field"] == "household_id"


async def test_correction_links_a_household(client, auth, world: World):
    visit = await log(client, auth, world)
    fixed = await patch(client, auth, worker(world), visit["id"],
                        household_id=world.households[0].id)
    assert fixed["household_id"] == world.households[0].id
    bad = await patch(client, auth, worker(world), visit["id"], expect=422,
                      household_id=world.households[1].id)
    assert bad["errors"][0]["field"] == "household_id"


async def test_household_filter_stays_in_scope(client, auth, world: World):
    theirs = world.visits[1]  # s1c1g2's fixture visit
    ids = await list_ids(client, auth, worker(world), household_id=world.households[1].id)
    assert theirs.id not in ids
