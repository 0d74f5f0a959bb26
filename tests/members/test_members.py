"""Party members: registration with ID checks, masking, encryption at rest, resident and account
links, scoped lists with filters, reclassification with If-Match, "me", and the audited reveal."""

from __future__ import annotations

from limits import parse
from sqlalchemy import select

from app.core.permissions import Role
from app.models import AuditEntry, Member
from tests.factories import World, id_number, member_id_number, phone_number
from tests.members.helpers import (
    admin,
    call,
    fields,
    head,
    ids,
    instructor,
    member_body,
    new_id,
    worker,
)

MEMBERS = "/members"


class TestCreate:
    async def test_created_masked(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST", MEMBERS, 201, member_body(world))
        m = r.json()
        assert m["name"] == "张**" and m["id_number"] == "411***********" + new_id(100)[-4:]
        assert m["phone"] == "138****" + phone_number(400)[-4:]
        assert (m["gender"], m["status"], m["category"]) == ("female", "full", "regular")
        assert m["category_label"] == "正常党员" and m["age"] >= 56
        assert m["org_path"] == world.branches[0].path
        assert m["community_id"] == world.communities[0].id
        assert r.headers["etag"] == f'"{m["version"]}"'

    async def test_gender_comes_from_the_id(self, client, auth, world: World):
        female = [s for s in range(120, 140) if int(new_id(s)[16]) % 2 == 0]
        r = await call(client, auth, admin(world), "POST", MEMBERS, 201,
                       member_body(world, seq=female[0]))
        assert r.json()["gender"] == "female"
        r = await call(client, auth, admin(world), "POST", MEMBERS, 422,
                       member_body(world, seq=female[1], gender="male"))
        assert fields(r) == ["gender"]

    async def test_numbers_are_encrypted_at_rest(self, client, auth, world: World, db):
        r = await call(client, auth, admin(world), "POST", MEMBERS, 201,
                       member_body(world, seq=102))
        async with db.writing() as s:
            row = (await s.execute(select(Member).where(Member.id == r.json()["id"]))).scalar_one()
        assert new_id(102) not in row.id_number_cipher and row.id_number_cipher.startswith("d1:")
        assert phone_number(402) not in (row.phone_cipher or "")
        assert len(row.id_number_index) == 64

    async def test_bad_checksum_names_id_number(self, client, auth, world: World):
        bad = new_id(103)[:-1] + ("0" if new_id(103)[-1] != "0" else "1")
        r = await call(client, auth, admin(world), "POST", MEMBERS, 422,
                       member_body(world, id_number=bad))
        assert fields(r) == ["id_number"]

    async def test_bad_phone_names_phone(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST", MEMBERS, 422,
                       member_body(world, phone="12345"))
        assert fields(r) == ["phone"]

    async def test_joined_before_birth_names_joined_on(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST", MEMBERS, 422,
                       member_body(world, joined_on="1960-01-01"))
        assert fields(r) == ["joined_on"]

    async def test_duplicate_id_in_the_district_is_409(self, client, auth, world: World):
        # The world's member of s2c2g2 has this number: outside this admin's scope, still taken.
        r = await call(client, auth, admin(world), "POST", MEMBERS, 409,
                       member_body(world, id_number=member_id_number(7)))
        assert r.json()["code"] == "member_exists"

    async def test_district_node_is_not_a_party_org(self, client, auth, world: World):
        r = await call(client, auth, world.user(Role.district_admin), "POST", MEMBERS, 422,
                       member_body(world, org_id=world.root.id))
        assert fields(r) == ["org_id"]

    async def test_org_outside_scope_reads_as_missing(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST", MEMBERS, 422,
                       member_body(world, grid=2))
        assert fields(r) == ["org_id"]

    async def test_english_detail(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST", MEMBERS, 422,
                       member_body(world, grid=2), headers={"Accept-Language": "en"})
        assert r.json()["detail"] == "No such organisation: org_id"

    async def test_grid_worker_may_not_register(self, client, auth, world: World):
        await call(client, auth, worker(world), "POST", MEMBERS, 403, member_body(world))

    async def test_instructor_registers_in_own_branch(self, client, auth, world: World):
        await call(client, auth, instructor(world), "POST", MEMBERS, 201,
                   member_body(world, seq=104))

    async def test_resident_with_the_same_id_is_linked(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "POST", MEMBERS, 201,
                       member_body(world, id_number=id_number(0)))
        assert r.json()["resident_id"] == world.residents[0].id

    async def test_resident_outside_scope_is_not_linked(self, client, auth, world: World):
        # residents[2] lives in s1c2: this admin cannot see it, so it is not linked either.
        r = await call(client, auth, admin(world), "POST", MEMBERS, 201,
                       member_body(world, id_number=id_number(2)))
        assert r.json()["resident_id"] is None

    async def test_resident_of_another_person_names_resident_id(self, client, auth,
                                                                world: World):
        r = await call(client, auth, admin(world), "POST", MEMBERS, 422,
                       member_body(world, seq=105, resident_id=world.residents[0].id))
        assert fields(r) == ["resident_id"]

    async def test_user_link_and_second_link_is_409(self, client, auth, world: World):
        user = world.user(Role.volunteer, "s1c1")
        r = await call(client, auth, admin(world), "POST", MEMBERS, 201,
                       member_body(world, seq=106, user_id=user.id))
        assert r.json()["user_id"] == user.id
        r = await call(client, auth, admin(world), "POST", MEMBERS, 409,
                       member_body(world, seq=107, user_id=user.id))
        assert r.json()["code"] == "member_user_linked"

    async def test_user_outside_scope_names_user_id(self, client, auth, world: World):
        user = world.user(Role.volunteer, "s2c1")
        r = await call(client, auth, admin(world), "POST", MEMBERS, 422,
                       member_body(world, seq=108, user_id=user.id))
        assert fields(r) == ["user_id"]

    async def test_idempotency_key_replays(self, client, auth, world: World):
        h = {"Idempotency-Key": "member-create-1"}
        body = member_body(world, seq=109)
        first = await call(client, auth, admin(world), "POST", MEMBERS, 201, body, headers=h)
        again = await call(client, auth, admin(world), "POST", MEMBERS, 201, body, headers=h)
        assert again.json()["id"] == first.json()["id"]


class TestList:
    async def test_grid_worker_sees_only_own_grid(self, client, auth, world: World):
        assert await ids(client, auth, worker(world), MEMBERS) == [world.members[0].id]
        assert await ids(client, auth, worker(world, "s1c1g2"), MEMBERS) == [world.members[1].id]

    async def test_community_admin_does_not_see_other_community(self, client, auth,
                                                                 world: World):
        seen = set(await ids(client, auth, admin(world), MEMBERS))
        assert {world.members[0].id, world.members[1].id} <= seen
        assert not seen & {m.id for m in world.members[2:]}
        assert world.reg_members[1].id not in seen

    async def test_roles_without_members_read_see_nothing(self, client, auth, world: World):
        assert await ids(client, auth, world.user(Role.volunteer, "s1c1"), MEMBERS) == []

    async def test_filters(self, client, auth, world: World):
        a = admin(world)
        made = await call(client, auth, a, "POST", MEMBERS, 201,
                          member_body(world, seq=110, category="mobile", status="probationary",
                                      badge_posted=True, grid=1))
        mid = made.json()["id"]
        assert await ids(client, auth, a, MEMBERS, category="mobile") == [mid]
        assert await ids(client, auth, a, MEMBERS, status="probationary") == [mid]
        assert await ids(client, auth, a, MEMBERS, badge_posted="true") == [mid]
        assert await ids(client, auth, a, MEMBERS, id_number=new_id(110)) == [mid]
        assert await ids(client, auth, a, MEMBERS, id_number=new_id(110).lower()) == [mid]
        assert await ids(client, auth, a, MEMBERS, org_id=world.branches[1].id) == [
            world.members[1].id, mid]

    async def test_id_number_of_someone_outside_finds_nothing(self, client, auth, world: World):
        assert await ids(client, auth, admin(world), MEMBERS,
                         id_number=member_id_number(7)) == []

    async def test_org_filter_outside_finds_nothing(self, client, auth, world: World):
        assert await ids(client, auth, admin(world), MEMBERS, org_id=world.branches[2].id) == []

    async def test_pages(self, client, auth, world: World):
        d = world.user(Role.district_admin)
        r = await call(client, auth, d, "GET", MEMBERS, 200, limit=3)
        page = r.json()
        r2 = await call(client, auth, d, "GET", MEMBERS, 200, limit=3, cursor=page["next_cursor"])
        got = [i["id"] for i in page["items"] + r2.json()["items"]]
        assert got == sorted(got) and len(set(got)) == 6

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World,
                                                        statements):
        d = world.user(Role.district_admin)
        counts = []
        for limit in (2, 100):
            with statements:
                r = await call(client, auth, d, "GET", MEMBERS, 200, limit=limit)
            assert len(r.json()["items"]) == min(limit, 12)  # 8 grid members + 4 registered
            counts.append(statements.count)
        assert counts[0] == counts[1]


class TestGet:
    async def test_in_scope(self, client, auth, world: World):
        r = await call(client, auth, worker(world), "GET", f"{MEMBERS}/{world.members[0].id}", 200)
        assert "*" in r.json()["id_number"] and "*" in r.json()["phone"]

    async def test_other_grid_is_404(self, client, auth, world: World):
        r = await call(client, auth, worker(world), "GET", f"{MEMBERS}/{world.members[1].id}", 404)
        assert r.json()["code"] == "member_not_found"

    async def test_visible_without_right_is_403(self, client, auth, world: World):
        # A volunteer's grant covers the community's members but carries no members:read.
        await call(client, auth, world.user(Role.volunteer, "s1c1"), "GET",
                   f"{MEMBERS}/{world.members[0].id}", 403)


class TestPatch:
    async def test_reclassify_with_if_match(self, client, auth, world: World):
        url = f"{MEMBERS}/{world.members[0].id}"
        got = await call(client, auth, admin(world), "GET", url, 200)
        r = await call(client, auth, admin(world), "PATCH", url, 200,
                       {"category": "pocket", "badge_posted": True, "education": "本科"},
                       headers={"If-Match": got.headers["etag"]})
        m = r.json()
        assert (m["category"], m["badge_posted"], m["education"]) == ("pocket", True, "本科")
        assert m["version"] == got.json()["version"] + 1
        r = await call(client, auth, admin(world), "PATCH", url, 412, {"category": "regular"},
                       headers={"If-Match": got.headers["etag"]})
        assert r.json()["code"] == "version_mismatch"

    async def test_probationary_becomes_full_not_back(self, client, auth, world: World):
        made = await call(client, auth, admin(world), "POST", MEMBERS, 201,
                          member_body(world, seq=111, status="probationary"))
        url = f"{MEMBERS}/{made.json()['id']}"
        r = await call(client, auth, admin(world), "PATCH", url, 200, {"status": "full"})
        assert r.json()["status"] == "full"
        r = await call(client, auth, admin(world), "PATCH", url, 422, {"status": "probationary"})
        assert fields(r) == ["status"]

    async def test_move_within_scope_updates_scope_columns(self, client, auth, world: World):
        url = f"{MEMBERS}/{world.members[0].id}"
        r = await call(client, auth, admin(world), "PATCH", url, 200,
                       {"org_id": world.communities[0].id})
        assert r.json()["org_path"] == world.communities[0].path
        # Now the grid worker no longer sees it.
        await call(client, auth, worker(world), "GET", url, 404)

    async def test_move_outside_scope_names_org_id(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "PATCH", f"{MEMBERS}/{world.members[0].id}",
                       422, {"org_id": world.communities[1].id})
        assert fields(r) == ["org_id"]

    async def test_null_category_names_it(self, client, auth, world: World):
        r = await call(client, auth, admin(world), "PATCH", f"{MEMBERS}/{world.members[0].id}",
                       422, {"category": None})
        assert fields(r) == ["category"]

    async def test_grid_worker_may_not_patch(self, client, auth, world: World):
        await call(client, auth, worker(world), "PATCH", f"{MEMBERS}/{world.members[0].id}",
                   403, {"badge_posted": True})

    async def test_link_user_taken_is_409(self, client, auth, world: World):
        taken = world.reg_users[0]  # linked to the registered member of s1c1
        r = await call(client, auth, admin(world), "PATCH", f"{MEMBERS}/{world.members[0].id}",
                       409, {"user_id": taken.id})
        assert r.json()["code"] == "member_user_linked"


class TestMe:
    async def test_linked_user_sees_own_member(self, client, auth, world: World):
        user = world.user(Role.volunteer, "s1c1")
        made = await call(client, auth, admin(world), "POST", MEMBERS, 201,
                          member_body(world, seq=112, user_id=user.id))
        r = await call(client, auth, user, "GET", f"{MEMBERS}/me", 200)
        assert r.json()["id"] == made.json()["id"] and "*" in r.json()["id_number"]

    async def test_registered_member_account(self, client, auth, world: World):
        r = await call(client, auth, world.reg_users[0], "GET", f"{MEMBERS}/me", 200)
        assert r.json()["id"] == world.reg_members[0].id and r.headers["etag"]

    async def test_unlinked_is_404(self, client, auth, world: World):
        r = await call(client, auth, worker(world), "GET", f"{MEMBERS}/me", 404)
        assert r.json()["code"] == "member_not_linked"


class TestReveal:
    async def test_head_reveals_with_audit_and_no_store(self, client, auth, world: World, db):
        user = head(world)
        r = await call(client, auth, user, "POST", f"{MEMBERS}/{world.members[0].id}/reveal",
                       200, {"purpose": "核实党员身份"})
        assert r.headers["cache-control"] == "no-store"
        assert r.json()["id_number"] == member_id_number(0)
        assert r.json()["phone"] == phone_number(700) and r.json()["name"] == "刘红梅"
        async with db.writing() as s:
            entry = (await s.execute(select(AuditEntry).where(
                AuditEntry.action == "member.reveal").order_by(AuditEntry.id.desc()))
            ).scalars().first()
        assert entry is not None and entry.detail == {"purpose": "核实党员身份"}
        assert entry.actor == f"user:{user.id}" and entry.object_id == str(world.members[0].id)

    async def test_worker_is_403(self, client, auth, world: World):
        await call(client, auth, worker(world), "POST", f"{MEMBERS}/{world.members[0].id}/reveal",
                   403, {"purpose": "核实党员身份"})

    async def test_other_grid_is_404(self, client, auth, world: World):
        await call(client, auth, head(world), "POST", f"{MEMBERS}/{world.members[1].id}/reveal",
                   404, {"purpose": "核实党员身份"})

    async def test_purpose_required(self, client, auth, world: World):
        r = await call(client, auth, head(world), "POST",
                       f"{MEMBERS}/{world.members[0].id}/reveal", 422, {"purpose": " "})
        assert fields(r) == ["purpose"]

    async def test_limit_is_shared_with_resident_reveals(self, client, auth, world: World, app):
        limits = app.state.limits
        original = limits.reveal
        limits.reveal = parse("2/hour")
        try:
            user = head(world, "s2c2g1")
            await call(client, auth, user, "POST", f"/residents/{world.residents[6].id}/reveal",
                       200, {"purpose": "走访核实"})
            await call(client, auth, user, "POST", f"{MEMBERS}/{world.members[6].id}/reveal",
                       200, {"purpose": "走访核实"})
            r = await call(client, auth, user, "POST", f"{MEMBERS}/{world.members[6].id}/reveal",
                           429, {"purpose": "走访核实"})
            assert r.json()["code"] == "reveal_rate_limited" and r.headers["retry-after"]
        finally:
            limits.reveal = original
