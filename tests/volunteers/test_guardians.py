"""A guardian signs up a child from the register (age from the ID number on the start date), and
activities' audience rules (ages, residents of the community only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.core.permissions import Role
from app.core.types import utcnow
from app.models import Member, Resident
from app.people.idcard import birth_date_of
from tests.factories import CIPHER, World, id_number, make_resident
from tests.volunteers.helpers import ACTIVITIES, body, volunteers

# The reg_user of community 0 is the guardian: their member record is linked to a resident
# (born 1950, as the factories' ID numbers are).


def admin(world: World) -> Any:
    return world.user(Role.community_admin, "s1c1")


def born_years_ago(years: int) -> str:
    """A birth date (YYYYMMDD) `years` years and ~half a year before the activity (3 days on)."""
    day = (utcnow() + timedelta(days=3)).date()
    return f"{day.year - years:04d}0101" if day.month > 6 else f"{day.year - years - 1:04d}0701"


async def family(
    db: Any, world: World, household_index: int = 0, **children: int
) -> dict[str, Resident]:
    """The guardian's resident in household `household_index` (linked to reg_members[0]) and
    children of the given ages in the same household."""
    household = world.households[household_index]
    out: dict[str, Resident] = {}
    async with db.writing() as s:
        out["guardian"] = await make_resident(s, household, 501, name="李家长")
        for i, (name, age) in enumerate(children.items()):
            out[name] = await _child(s, household, 600 + i, age, name)
        member = await s.get(Member, world.reg_members[0].id)
        assert member is not None
        member.resident_id = out["guardian"].id
        await s.commit()
    return out


async def _child(s: Any, household: Any, seq: int, age: int, name: str) -> Resident:
    number = id_number(seq, born=born_years_ago(age))
    child = await make_resident(s, household, seq, name=name)
    child.id_number_cipher = CIPHER.encrypt(number, context="resident.id_number")
    child.id_number_index = CIPHER.blind_index(number, context="resident.id_number")
    child.birth_date = birth_date_of(number)
    await s.flush()
    return child


async def activity(client: Any, auth: Any, world: World, **rules: Any) -> dict[str, Any]:
    r = await client.post(
        ACTIVITIES,
        headers=auth(admin(world)),
        json=body(world, title="暑期书法班", kind="class", capacity=5, **rules),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def sign_up(
    client: Any, auth: Any, user: Any, activity_id: int, json: Any = None, **headers: str
) -> Any:
    return await client.post(
        f"{ACTIVITIES}/{activity_id}/signups", json=json, headers=auth(user, **headers)
    )


class TestGuardianSignsUpAChild:
    async def test_child_of_the_household_takes_a_seat_under_the_childs_name(
        self, client, auth, world: World, db
    ):
        kids = await family(db, world, 小明=9)
        a = await activity(client, auth, world, min_age=7, max_age=12, residents_only=True)
        r = await sign_up(
            client, auth, world.reg_users[0], a["id"], {"for_resident_id": kids["小明"].id}
        )
        assert r.status_code == 201, r.text
        got = r.json()
        assert (got["status"], got["resident_id"], got["user_id"], got["name"]) == (
            "accepted",
            kids["小明"].id,
            world.reg_users[0].id,
            "小*",
        )

    async def test_same_child_twice_is_409(self, client, auth, world: World, db):
        kids = await family(db, world, 小明=9)
        a = await activity(client, auth, world, min_age=7, max_age=12)
        child = {"for_resident_id": kids["小明"].id}
        assert (await sign_up(client, auth, world.reg_users[0], a["id"], child)).status_code == 201
        r = await sign_up(client, auth, world.reg_users[0], a["id"], child)
        assert (r.status_code, r.json()["code"]) == (409, "signup_exists")

    async def test_two_children_and_the_guardian_each_hold_a_place(
        self, client, auth, world: World, db
    ):
        kids = await family(db, world, 小明=9, 小红=10)
        a = await activity(client, auth, world)
        for child in (kids["小明"], kids["小红"]):
            r = await sign_up(
                client, auth, world.reg_users[0], a["id"], {"for_resident_id": child.id}
            )
            assert r.status_code == 201, r.text
        assert (await sign_up(client, auth, world.reg_users[0], a["id"])).status_code == 201
        r = await client.get(f"{ACTIVITIES}/{a['id']}", headers=auth(admin(world)))
        assert r.json()["accepted_count"] == 3

    async def test_cancelled_child_place_may_be_taken_again(self, client, auth, world: World, db):
        kids = await family(db, world, 小明=9)
        a = await activity(client, auth, world)
        child = {"for_resident_id": kids["小明"].id}
        first = (await sign_up(client, auth, world.reg_users[0], a["id"], child)).json()
        r = await client.delete(
            f"{ACTIVITIES}/{a['id']}/signups/{first['id']}", headers=auth(world.reg_users[0])
        )
        assert r.status_code == 204
        assert (await sign_up(client, auth, world.reg_users[0], a["id"], child)).status_code == 201

    async def test_too_young_is_422_audience_age_in_english(self, client, auth, world: World, db):
        kids = await family(db, world, 小明=5)
        a = await activity(client, auth, world, min_age=7, max_age=12)
        r = await sign_up(
            client,
            auth,
            world.reg_users[0],
            a["id"],
            {"for_resident_id": kids["小明"].id},
            **{"Accept-Language": "en"},
        )
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")
        assert (r.json()["code"], r.json()["detail"]) == (
            "audience_age",
            "The participant's age is outside the activity's range",
        )

    async def test_too_old_is_422_audience_age(self, client, auth, world: World, db):
        kids = await family(db, world, 小明=13)
        a = await activity(client, auth, world, min_age=7, max_age=12)
        r = await sign_up(
            client, auth, world.reg_users[0], a["id"], {"for_resident_id": kids["小明"].id}
        )
        assert (r.status_code, r.json()["code"]) == (422, "audience_age")
        assert r.json()["detail"] == "参加者年龄不符合活动要求"

    async def test_resident_of_another_household_is_422_naming_the_field(
        self, client, auth, world: World, db
    ):
        await family(db, world)
        a = await activity(client, auth, world)
        other = world.residents[1]  # household of the community's second grid
        r = await sign_up(client, auth, world.reg_users[0], a["id"], {"for_resident_id": other.id})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["for_resident_id"]

    async def test_an_adult_of_the_household_is_not_a_child(self, client, auth, world: World, db):
        kids = await family(db, world, 大哥=19)
        a = await activity(client, auth, world)
        r = await sign_up(
            client, auth, world.reg_users[0], a["id"], {"for_resident_id": kids["大哥"].id}
        )
        assert r.status_code == 422

    async def test_account_without_a_register_link_is_403(self, client, auth, world: World, db):
        kids = await family(db, world, 小明=9)
        [stranger] = await volunteers(db, world, 1, prefix="noguard")
        a = await activity(client, auth, world)
        r = await sign_up(client, auth, stranger, a["id"], {"for_resident_id": kids["小明"].id})
        assert (r.status_code, r.json()["code"]) == (403, "signup_not_guardian")

    @pytest.mark.parametrize("value", [0, -1, 2**63, "x"])
    async def test_bad_resident_id_is_422(self, client, auth, world: World, value):
        a = await activity(client, auth, world)
        r = await sign_up(client, auth, world.reg_users[0], a["id"], {"for_resident_id": value})
        assert r.status_code == 422


class TestAudienceRules:
    async def test_residents_only_refuses_a_child_living_elsewhere(
        self, client, auth, world: World, db
    ):
        kids = await family(db, world, 2, 小明=9)  # a household of community 1
        a = await activity(client, auth, world, residents_only=True)
        r = await sign_up(
            client, auth, world.reg_users[0], a["id"], {"for_resident_id": kids["小明"].id}
        )
        assert (r.status_code, r.json()["code"]) == (403, "audience_residents_only")

    async def test_residents_only_admits_a_resident_signing_up_themselves(
        self, client, auth, world: World, db
    ):
        await family(db, world)
        a = await activity(client, auth, world, residents_only=True)
        assert (await sign_up(client, auth, world.reg_users[0], a["id"])).status_code == 201

    async def test_unlinked_account_and_an_age_rule_is_403_audience_unknown(
        self, client, auth, world: World, db
    ):
        [vol] = await volunteers(db, world, 1, prefix="unlinked")
        a = await activity(client, auth, world, min_age=7, max_age=12)
        r = await sign_up(client, auth, vol, a["id"])
        assert (r.status_code, r.json()["code"]) == (403, "audience_unknown")

    async def test_adult_signing_up_for_a_childrens_class_is_422(
        self, client, auth, world: World, db
    ):
        await family(db, world)
        a = await activity(client, auth, world, min_age=7, max_age=12)
        r = await sign_up(client, auth, world.reg_users[0], a["id"])
        assert (r.status_code, r.json()["code"]) == (422, "audience_age")

    async def test_min_age_above_max_age_is_422(self, client, auth, world: World):
        r = await client.post(
            ACTIVITIES, headers=auth(admin(world)), json=body(world, min_age=12, max_age=7)
        )
        assert r.status_code == 422

    async def test_residents_only_needs_an_organiser_in_a_community(self, client, auth, world):
        street_admin = world.user(Role.street_admin, "s1")
        r = await client.post(
            ACTIVITIES,
            headers=auth(street_admin),
            json=body(world, org_id=world.streets[0].id, residents_only=True),
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["residents_only"]
        r = await client.post(
            ACTIVITIES, headers=auth(street_admin), json=body(world, org_id=world.streets[0].id)
        )
        assert r.status_code == 201, r.text
        r = await client.patch(
            f"{ACTIVITIES}/{r.json()['id']}",
            headers=auth(street_admin),
            json={"residents_only": True},
        )
        assert r.status_code == 422
