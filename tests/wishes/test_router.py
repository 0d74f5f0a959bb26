"""微心愿: post, claim (registered member or registered unit), fulfil, confirm, release, cancel;
one transition table with 409 and If-Match; scoped lists; the resident always masked."""

from __future__ import annotations

from typing import Any

from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Org, Unit, UnitRegistration
from app.orgs import service as orgs
from app.orgs.schemas import OrgKind
from tests.factories import World, give_role, make_reg_member, make_registration, make_user

API = "/api/v1"
WISHES = f"{API}/wishes"


def worker(world: World, key: str = "s1c1g1") -> Any:
    return world.user(Role.grid_worker, key)


async def post(client: Any, headers: dict[str, str], path: str, body: Any = None,
               expect: int = 200) -> dict[str, Any]:
    r = await client.post(path, headers=headers, json=body)
    assert r.status_code == expect, r.text
    return dict(r.json())


async def make_unit(db: Any, world: World, org: Org, register_with: Org | None = None) -> Unit:
    async with db.writing() as s:
        unit = Unit(org_id=org.id, org_path=org.path, street_id=org.street_id, name="区卫健委")
        s.add(unit)
        await s.flush()
        if register_with is not None:
            s.add(UnitRegistration(unit_id=unit.id, org_path=register_with.path,
                                   street_id=register_with.street_id,
                                   community_id=register_with.id, status="active",
                                   active_key=f"{unit.id}:{register_with.id}",
                                   registered_at=utcnow()))
        await s.commit()
    return unit


class TestPost:
    async def test_worker_posts_for_a_resident_of_the_grid(self, client, auth, world: World):
        w = await post(client, auth(worker(world)), WISHES,
                       {"grid_id": world.grids[0].id, "resident_id": world.residents[0].id,
                        "title": "想学用智能手机"}, expect=201)
        assert (w["status"], w["resident_name"]) == ("posted", "王**")
        assert w["community_id"] == world.communities[0].id

    async def test_resident_of_another_grid_is_422(self, client, auth, world: World):
        p = await post(client, auth(worker(world)), WISHES,
                       {"grid_id": world.grids[0].id, "resident_id": world.residents[1].id,
                        "title": "x"}, expect=422)
        assert [e["field"] for e in p["errors"]] == ["resident_id"]

    async def test_other_grid_is_422(self, client, auth, world: World):
        p = await post(client, auth(worker(world)), WISHES,
                       {"grid_id": world.grids[1].id, "title": "x"}, expect=422)
        assert [e["field"] for e in p["errors"]] == ["grid_id"]

    async def test_member_cannot_post(self, client, auth, world: World):
        await post(client, auth(world.reg_users[0]), WISHES,
                   {"grid_id": world.grids[0].id, "title": "x"}, expect=403)


class TestMemberLifecycle:
    async def test_claim_fulfil_confirm(self, client, auth, world: World):
        url = f"{WISHES}/{world.wishes[0].id}"
        me = auth(world.reg_users[0])
        claimed = await post(client, me, f"{url}/claim")
        assert claimed["status"] == "claimed"
        assert claimed["claimed_by_member_id"] == world.reg_members[0].id
        assert claimed["claimant_name"] == "赵**"
        done = await post(client, me, f"{url}/fulfil", {"evidence": "已送达收音机"})
        assert done["status"] == "fulfilled" and done["fulfilled_at"]
        p = await post(client, me, f"{url}/confirm", expect=403)  # not the grid's staff
        assert p["code"] == "forbidden"
        ok = await post(client, auth(worker(world)), f"{url}/confirm")
        assert ok["status"] == "confirmed" and ok["confirmed_by"] == worker(world).id

    async def test_release_puts_it_back(self, client, auth, world: World):
        url = f"{WISHES}/{world.wishes[0].id}"
        me = auth(world.reg_users[0])
        await post(client, me, f"{url}/claim")
        p = await post(client, auth(worker(world)), f"{url}/release", expect=403)
        assert p["code"] == "wish_not_claimant"
        back = await post(client, me, f"{url}/release")
        assert back["status"] == "posted" and back["claimed_by_member_id"] is None

    async def test_second_claim_is_409(self, client, auth, world: World):
        url = f"{WISHES}/{world.wishes[0].id}/claim"
        await post(client, auth(world.reg_users[0]), url)
        p = await post(client, auth(world.reg_users[0]), url, expect=409)
        assert p["code"] == "wish_invalid_transition"

    async def test_stale_if_match_is_412(self, client, auth, world: World):
        headers = {**auth(world.reg_users[0]), "If-Match": '"7"'}
        await post(client, headers, f"{WISHES}/{world.wishes[0].id}/claim", expect=412)
        headers["If-Match"] = f'"{world.wishes[0].version}"'
        await post(client, headers, f"{WISHES}/{world.wishes[0].id}/claim")

    async def test_fulfil_with_someone_elses_upload_is_422(self, client, auth, world: World):
        url = f"{WISHES}/{world.wishes[0].id}"
        me = auth(world.reg_users[0])
        await post(client, me, f"{url}/claim")
        p = await post(client, me, f"{url}/fulfil",
                       {"evidence": "x", "attachment_ids": [world.attachments[0].id]},
                       expect=422)
        assert [e["field"] for e in p["errors"]] == ["attachment_ids"]


class TestClaimRules:
    async def test_member_role_without_member_record_is_403(self, client, auth, world: World):
        p = await post(client, auth(world.user(Role.member, "s1c1")),
                       f"{WISHES}/{world.wishes[0].id}/claim", expect=403)
        assert p["code"] == "member_not_linked"

    async def test_pending_registration_is_403(self, client, auth, world: World, db):
        community = world.communities[0]
        async with db.writing() as s:
            user = await make_user(s, "pendingmember", community)
            member = await make_reg_member(s, community, seq=720, user=user)
            await make_registration(s, member, community, status="pending")
            await give_role(s, user, Role.member, community)  # e.g. held for another reason
            await s.commit()
        p = await post(client, auth(user), f"{WISHES}/{world.wishes[0].id}/claim", expect=403)
        assert p["code"] == "wish_registration_required"

    async def test_member_of_another_community_gets_404(self, client, auth, world: World):
        p = await post(client, auth(world.reg_users[1]),
                       f"{WISHES}/{world.wishes[0].id}/claim", expect=404)
        assert p["code"] == "wish_not_found"

    async def test_unit_not_registered_is_403(self, client, auth, world: World, db):
        community = world.communities[0]
        unit = await make_unit(db, world, community)
        p = await post(client, auth(world.user(Role.unit_liaison, "s1c1")),
                       f"{WISHES}/{world.wishes[0].id}/claim", {"unit_id": unit.id},
                       expect=403)
        assert p["code"] == "unit_not_registered"

    async def test_registered_unit_claims_from_outside(self, client, auth, world: World, db):
        """The liaison sits at the unit's agency node, outside the community, and still reaches
        the wish through the unit's registration; a stranger's unit_id does not open it."""
        async with db.writing() as s:
            agency = await orgs.add_node(s, None, world.root, OrgKind.agency, "卫健委党组", None)
            liaison = await make_user(s, "liaison1", agency)
            await give_role(s, liaison, Role.unit_liaison, agency)
            await s.commit()
        unit = await make_unit(db, world, agency, register_with=world.communities[0])
        url = f"{WISHES}/{world.wishes[0].id}"
        await post(client, auth(liaison), f"{url}/claim", expect=404)  # as a member: unseen
        other = await post(client, auth(liaison), f"{WISHES}/{world.wishes[2].id}/claim",
                           {"unit_id": unit.id}, expect=404)
        assert other["code"] == "wish_not_found"
        claimed = await post(client, auth(liaison), f"{url}/claim", {"unit_id": unit.id})
        assert claimed["claimed_by_unit_id"] == unit.id and claimed["unit_name"] == "区卫健委"
        r = await client.get(url, headers=auth(liaison))
        assert r.status_code == 200 and r.json()["status"] == "claimed"
        done = await post(client, auth(liaison), f"{url}/fulfil", {"evidence": "已上门安装"})
        assert done["status"] == "fulfilled"


class TestCancel:
    async def test_poster_cancels(self, client, auth, world: World):
        r = await post(client, auth(worker(world)), f"{WISHES}/{world.wishes[0].id}/cancel")
        assert r["status"] == "cancelled"

    async def test_other_worker_of_the_community_cannot(self, client, auth, world: World):
        p = await post(client, auth(world.user(Role.grid_head, "s1c1g1")),
                       f"{WISHES}/{world.wishes[0].id}/cancel", expect=403)
        assert p["code"] == "wish_not_poster"

    async def test_admin_cancels_a_claimed_wish_but_not_a_fulfilled_one(self, client, auth,
                                                                         world: World):
        url = f"{WISHES}/{world.wishes[0].id}"
        await post(client, auth(world.reg_users[0]), f"{url}/claim")
        admin = auth(world.user(Role.community_admin, "s1c1"))
        assert (await post(client, admin, f"{url}/cancel"))["status"] == "cancelled"
        p = await post(client, admin, f"{url}/cancel", expect=409)
        assert p["code"] == "wish_invalid_transition"


class TestReads:
    async def test_grid_a_does_not_see_grid_b(self, client, auth, world: World):
        r = await client.get(WISHES, headers=auth(worker(world)))
        assert [w["id"] for w in r.json()["items"]] == [world.wishes[0].id]
        r = await client.get(f"{WISHES}/{world.wishes[1].id}", headers=auth(worker(world)))
        assert r.status_code == 404

    async def test_filters(self, client, auth, world: World):
        admin = auth(world.user(Role.district_admin))
        r = await client.get(WISHES, headers=admin,
                             params={"community_id": world.communities[1].id})
        assert {w["id"] for w in r.json()["items"]} == {w.id for w in world.wishes[2:4]}
        r = await client.get(WISHES, headers=admin, params={"grid_id": world.grids[3].id,
                                                            "status": "posted"})
        assert [w["id"] for w in r.json()["items"]] == [world.wishes[3].id]
        r = await client.get(WISHES, headers=admin, params={"status": "confirmed"})
        assert r.json()["items"] == []

    async def test_resident_is_masked(self, client, auth, world: World):
        r = await client.get(f"{WISHES}/{world.wishes[0].id}", headers=auth(worker(world)))
        assert r.json()["resident_name"] == "王**" and "王建国" not in r.text
        assert r.headers["ETag"] == f'"{r.json()["version"]}"'

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                        statements):
        counts = []
        for limit in (1, 100):
            with statements:
                r = await client.get(WISHES, params={"limit": limit},
                                     headers=auth(world.user(Role.district_admin)))
            assert r.status_code == 200 and len(r.json()["items"]) == min(limit, 8)
            counts.append(statements.count)
        assert counts[0] == counts[1]
