"""Accounts and role assignments."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.permissions import Role
from app.models import AuditEntry, RoleAssignment, User
from app.users import service as users
from app.users.errors import LastRootAdmin
from tests.factories import World

API = "/api/v1"


def _new(name: str, **extra: object) -> dict:
    return {"username": name, "password": "Secret#2026", "display_name": "王小明", **extra}


class TestCreateUser:
    async def test_created_with_masked_phone_and_encrypted_at_rest(self, client, auth,
                                                                   world: World, db):
        r = await client.post(f"{API}/users", headers=auth(world.user(Role.community_admin,
                                                                       "s1c1")),
                              json=_new("wangxm", phone="13912345678"))
        assert r.status_code == 201, r.text
        assert r.json()["phone"] == "139****5678"
        assert r.json()["org_id"] == world.communities[0].id
        async with db.writing() as s:
            user = (await s.execute(select(User).where(User.username == "wangxm"))).scalar_one()
        assert user.phone_cipher and "13912345678" not in user.phone_cipher
        assert user.password_hash and user.password_hash.startswith("$argon2")

    async def test_duplicate_username_is_409(self, client, auth, world: World):
        h = auth(world.user(Role.community_admin, "s1c1"))
        await client.post(f"{API}/users", headers=h, json=_new("dup1"))
        r = await client.post(f"{API}/users", headers=h, json=_new("dup1"))
        assert r.status_code == 409 and r.json()["code"] == "username_taken"

    async def test_bad_phone_is_422_naming_field(self, client, auth, world: World):
        r = await client.post(f"{API}/users", headers=auth(world.user(Role.district_admin)),
                              json=_new("badphone", phone="12345"))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "phone"

    async def test_home_org_outside_scope_is_404(self, client, auth, world: World):
        r = await client.post(f"{API}/users", headers=auth(world.user(Role.community_admin,
                                                                       "s1c1")),
                              json=_new("outside", org_id=world.communities[1].id))
        assert r.status_code == 404

    async def test_grid_worker_cannot_create_users(self, client, auth, world: World):
        r = await client.post(f"{API}/users", headers=auth(world.user(Role.grid_worker,
                                                                       "s1c1g1")),
                              json=_new("nope"))
        assert r.status_code == 403


class TestRoles:
    async def _user(self, client, h, name: str) -> int:
        r = await client.post(f"{API}/users", headers=h, json=_new(name))
        return int(r.json()["id"])

    async def test_assign_and_remove(self, client, auth, world: World, db):
        h = auth(world.user(Role.community_admin, "s1c1"))
        uid = await self._user(client, h, "newworker")
        r = await client.post(f"{API}/users/{uid}/roles", headers=h,
                              json={"role": "grid_worker", "org_id": world.branches[0].id})
        assert r.status_code == 201, r.text
        assert r.json()["org_path"] == world.branches[0].path
        got = await client.get(f"{API}/users/{uid}", headers=h)
        assert [x["role"] for x in got.json()["roles"]] == ["grid_worker"]
        d = await client.delete(f"{API}/users/{uid}/roles/{r.json()['id']}", headers=h)
        assert d.status_code == 204
        async with db.writing() as s:
            actions = (await s.execute(select(AuditEntry.action).where(
                AuditEntry.object_id == str(uid)))).scalars().all()
        assert {"user.create", "role.grant", "role.revoke"} <= set(actions)

    async def test_cannot_grant_more_than_you_hold(self, client, auth, world: World):
        h = auth(world.user(Role.community_admin, "s1c1"))
        uid = await self._user(client, h, "wannabe")
        r = await client.post(f"{API}/users/{uid}/roles", headers=h,
                              json={"role": "auditor", "org_id": world.communities[0].id})
        assert r.status_code in (403, 422)

    async def test_role_on_wrong_kind_of_node_is_422(self, client, auth, world: World):
        h = auth(world.user(Role.district_admin))
        uid = await self._user(client, h, "misplaced")
        r = await client.post(f"{API}/users/{uid}/roles", headers=h,
                              json={"role": "grid_head", "org_id": world.communities[0].id})
        assert r.status_code == 422 and r.json()["code"] == "role_org_kind_mismatch"

    async def test_assign_outside_scope_is_404(self, client, auth, world: World):
        h = auth(world.user(Role.community_admin, "s1c1"))
        uid = await self._user(client, h, "faraway")
        r = await client.post(f"{API}/users/{uid}/roles", headers=h,
                              json={"role": "member", "org_id": world.communities[1].id})
        assert r.status_code == 404

    async def test_twice_is_409(self, client, auth, world: World):
        h = auth(world.user(Role.community_admin, "s1c1"))
        uid = await self._user(client, h, "twice")
        body = {"role": "member", "org_id": world.communities[0].id}
        await client.post(f"{API}/users/{uid}/roles", headers=h, json=body)
        r = await client.post(f"{API}/users/{uid}/roles", headers=h, json=body)
        assert r.status_code == 409


class TestMe:
    async def test_roles_listed(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.get(f"{API}/me", headers=auth(worker))
        assert r.status_code == 200
        assert r.json()["roles"] == [{"id": r.json()["roles"][0]["id"], "role": "grid_worker",
                                      "org_id": world.branches[0].id,
                                      "org_path": world.branches[0].path}]

    async def test_other_users_invisible_to_worker(self, client, auth, world: World):
        r = await client.get(f"{API}/users/{world.user(Role.grid_head, 's1c1g1').id}",
                             headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        assert r.status_code == 404


class TestNoLockout:
    """Removing roles must not lock the deployment out (the fuzzer revoked the last district
    admin's own role, and nobody could manage anything until `gridapi create-admin`)."""

    async def _own_grant(self, db, user: User, role: Role) -> int:
        async with db.reading() as s:
            return int((await s.execute(select(RoleAssignment.id).where(
                RoleAssignment.user_id == user.id, RoleAssignment.role == role))).scalar_one())

    async def test_last_district_admin_cannot_remove_own_role(self, client, auth, db,
                                                            world: World):
        admin = world.user(Role.district_admin)
        grant = await self._own_grant(db, admin, Role.district_admin)
        r = await client.delete(f"{API}/users/{admin.id}/roles/{grant}", headers=auth(admin))
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "role_self_lockout"
        en = await client.delete(f"{API}/users/{admin.id}/roles/{grant}",
                                 headers=auth(admin, **{"Accept-Language": "en"}))
        assert "your own access depends on" in en.json()["detail"]
        assert (await client.get(f"{API}/users/{admin.id}", headers=auth(admin))).json()["roles"]

    async def test_street_admin_cannot_remove_own_role(self, client, auth, db, world: World):
        admin = world.user(Role.street_admin, "s1")
        grant = await self._own_grant(db, admin, Role.street_admin)
        r = await client.delete(f"{API}/users/{admin.id}/roles/{grant}", headers=auth(admin))
        assert r.status_code == 409 and r.json()["code"] == "role_self_lockout"

    async def test_own_grant_covered_by_another_may_go(self, client, auth, db, world: World):
        admin = world.user(Role.district_admin)
        h = auth(admin)
        extra = await client.post(f"{API}/users/{admin.id}/roles", headers=h,
                                  json={"role": "street_admin", "org_id": world.streets[0].id})
        assert extra.status_code == 201, extra.text
        r = await client.delete(f"{API}/users/{admin.id}/roles/{extra.json()['id']}", headers=h)
        assert r.status_code == 204, r.text

    async def test_another_admin_may_be_removed_while_one_remains(self, client, auth, db,
                                                                 world: World):
        admin = world.user(Role.district_admin)
        h = auth(admin)
        uid = int((await client.post(f"{API}/users", headers=h, json=_new("second"))).json()["id"])
        g = await client.post(f"{API}/users/{uid}/roles", headers=h,
                              json={"role": "district_admin", "org_id": world.root.id})
        assert g.status_code == 201, g.text
        r = await client.delete(f"{API}/users/{uid}/roles/{g.json()['id']}", headers=h)
        assert r.status_code == 204

    async def test_last_active_root_admin_is_kept_whoever_removes_it(self, db, world: World):
        """Every way a role goes (grid staff changes, registrations, the API) ends in
        `revoke`: the root's last active administrator stays even when the caller is not
        that user. An inactive second holder does not count."""
        admin = world.user(Role.district_admin)
        async with db.writing() as s:
            ghost = User(username="ghost_admin", display_name="停用", org_id=world.root.id,
                         org_path=world.root.path, is_active=False)
            s.add(ghost)
            await s.flush()
            s.add(RoleAssignment(user_id=ghost.id, role=Role.district_admin,
                                 org_id=world.root.id, org_path=world.root.path))
        grant = await self._own_grant(db, admin, Role.district_admin)
        with pytest.raises(LastRootAdmin):
            async with db.writing() as s:
                await users.revoke(s, None, await s.get(RoleAssignment, grant))
        async with db.reading() as s:
            assert await s.get(RoleAssignment, grant) is not None
