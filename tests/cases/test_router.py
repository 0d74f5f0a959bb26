"""The cases API: categories, reporting, lists, one case.

The workflow (transitions, timeline) is in test_workflow.py, files in test_attachments.py,
duplicates nearby in test_nearby.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.cases import categories, repository
from app.cases.service import CASES_LIST
from app.core.geo import gcj02_to_wgs84, wgs84_to_gcj02
from app.core.pagination import list_tag
from app.core.permissions import Role
from app.core.types import utcnow
from app.files.storage import LocalStorage
from app.models import Case, User
from app.seed.accounts import create_client
from tests.cases.helpers import API, OTHER_LEAF, act, body, centre_of, grid_index, report
from tests.conftest import IS_PG, PRINCIPAL_LOADS
from tests.factories import LEAF, World, attach_photo, give_role, make_case, png_bytes

CLASSES = ("公共设施", "交通设施", "市容环境设施", "园林绿化设施", "其他设施",
           "市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件", "其他",
           "邻里纠纷", "安全隐患", "民生诉求", "重点人群关怀")


async def count_cases(db: Any, **where: Any) -> int:
    async with db.writing() as s:
        stmt = select(func.count()).select_from(Case).filter_by(**where)
        return int(await s.scalar(stmt) or 0)


async def list_ids(client: Any, auth: Any, user: Any, **params: Any) -> list[int]:
    r = await client.get(f"{API}/cases", headers=auth(user), params=params)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["items"]]


class TestCategories:
    async def test_tree_with_codes_names_and_limits(self, client, auth, world: World):
        r = await client.get(f"{API}/case-categories",
                             headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        assert r.status_code == 200
        tree = r.json()
        assert {"code", "name", "kind", "time_limit_hours", "children"} <= set(tree[0])
        assert all(top["time_limit_hours"] is None and top["children"] for top in tree)
        leaves = [leaf for top in tree for leaf in top["children"]]
        assert all(leaf["time_limit_hours"] > 0 and leaf["children"] == [] for leaf in leaves)
        manhole = next(leaf for leaf in leaves if leaf["code"] == LEAF.code)
        assert (manhole["name"], manhole["time_limit_hours"]) == (LEAF.name, LEAF.time_limit_hours)

    async def test_every_class_of_the_issue_is_present(self, client, auth, world: World):
        r = await client.get(f"{API}/case-categories",
                             headers=auth(world.user(Role.member, "s1c1")))
        names = {top["name"] for top in r.json()}
        assert set(CLASSES) <= names
        kinds = {top["kind"] for top in r.json()}
        assert kinds == {"component", "event", "community"}

    async def test_anonymous_is_401(self, client):
        r = await client.get(f"{API}/case-categories")
        assert r.status_code == 401


class TestCreateCase:
    async def test_grid_worker_reports_in_own_grid(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        before = utcnow()
        r = await client.post(f"{API}/cases", headers=auth(worker),
                              json=body(0, address="许昌路 1 号"))
        assert r.status_code == 201, r.text
        case = r.json()
        assert case["status"] == "reported"
        assert case["grid_id"] == world.grids[0].id
        assert case["community_id"] == world.communities[0].id
        assert case["street_id"] == world.streets[0].id
        assert case["category_code"] == LEAF.code
        assert case["category_name"] == LEAF.name
        assert case["code"].startswith("AJ") and str(case["id"]) in case["code"]
        assert case["reporter_id"] == worker.id
        assert case["address"] == "许昌路 1 号"
        assert (case["version"], case["light"], case["overdue"]) == (1, "green", False)
        reported_at = datetime.fromisoformat(case["reported_at"])
        assert datetime.fromisoformat(case["due_at"]) > reported_at >= before
        assert r.headers["etag"] == f'"{case["version"]}"'

    async def test_due_at_is_in_the_future(self, client, auth, world: World):
        case = await report(client, auth, world)
        due = datetime.fromisoformat(case["due_at"])
        assert due > utcnow() + timedelta(hours=LEAF.time_limit_hours or 0) - timedelta(minutes=1)

    async def test_gcj02_finds_the_same_grid_and_stores_wgs84(self, client, auth,
                                                              world: World):
        lng, lat = centre_of(0)
        g_lng, g_lat = wgs84_to_gcj02(lng, lat)
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, lng=g_lng, lat=g_lat, crs="gcj02"))
        assert r.status_code == 201, r.text
        case = r.json()
        assert case["grid_id"] == world.grids[0].id
        assert case["crs"] == "wgs84"
        assert abs(case["lng"] - lng) < 1e-6 and abs(case["lat"] - lat) < 1e-6

    async def test_grid_given_by_the_client_is_kept(self, client, auth, world: World):
        case = await report(client, auth, world, grid_id=world.grids[0].id)
        assert case["grid_id"] == world.grids[0].id

    async def test_unknown_grid_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, grid_id=2_000_000_000))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "grid_id"

    async def test_grid_of_another_area_is_403(self, client, auth, world: World):
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, grid_id=world.grids[1].id))
        assert r.status_code == 403
        assert r.json()["code"] == "case_outside_area"

    async def test_named_grid_far_from_the_location_is_422(self, client, auth, world: World):
        # The community admin may report in both grids; the location is in the first one.
        r = await client.post(f"{API}/cases", headers=auth(world.user(Role.community_admin,
                                                                      "s1c1")),
                              json=body(0, grid_id=world.grids[1].id))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "grid_id"

    async def test_named_grid_a_little_off_its_edge_is_accepted(self, client, auth,
                                                               world: World):
        # ~90 m east of grid 0's edge (a phone's fix near the boundary): within tolerance.
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, grid_id=world.grids[0].id, lng=113.811))
        assert r.status_code == 201, r.text
        assert r.json()["grid_id"] == world.grids[0].id

    async def test_point_in_no_grid_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, lng=114.5, lat=34.5))
        assert r.status_code == 422
        assert r.json()["code"] == "case_outside_grids"

    async def test_point_in_another_grid_is_403(self, client, auth, world: World):
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(grid_index(world, "s1c1g2")))
        assert r.status_code == 403
        assert r.json()["code"] == "case_outside_area"

    async def test_community_admin_reports_in_any_grid_of_the_community(self, client, auth,
                                                                        world: World):
        case = await report(client, auth, world, "s1c1g2",
                            reporter=world.user(Role.community_admin, "s1c1"))
        assert case["grid_id"] == world.grids[1].id

    async def test_auditor_cannot_report(self, client, auth, world: World):
        r = await client.post(f"{API}/cases", headers=auth(world.user(Role.auditor)),
                              json=body(0))
        assert r.status_code == 403

    async def test_unknown_category_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, category_code="X9999"))
        assert r.status_code == 422
        assert r.json()["code"] == "case_unknown_category"
        assert r.json()["errors"][0]["field"] == "category_code"

    async def test_top_level_category_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, category_code=LEAF.parent_code))
        assert r.status_code == 422
        p = r.json()
        assert p["code"] == "case_category_not_leaf"
        # It names the leaves to choose from, in the detail and as codes.
        assert LEAF.code in p["errors"][0]["choices"] and LEAF.code in p["detail"]
        assert "请选择其下的具体类别" in p["detail"] and LEAF.name in p["detail"]
        assert all(c.startswith(LEAF.parent_code) for c in p["errors"][0]["choices"])
        en = await client.post(f"{API}/cases", json=body(0, category_code=LEAF.parent_code),
                               headers=auth(world.user(Role.grid_worker, "s1c1g1"),
                                            **{"Accept-Language": "en"}))
        assert "report under one of its leaves" in en.json()["detail"]

    async def test_captured_in_the_future_is_422(self, client, auth, world: World):
        later = (utcnow() + timedelta(hours=1)).isoformat()
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, captured_at=later))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "captured_at"

    async def test_captured_forty_days_ago_is_422(self, client, auth, world: World):
        long_ago = (utcnow() - timedelta(days=40)).isoformat()
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, captured_at=long_ago))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "captured_at"

    async def test_naive_captured_at_is_422(self, client, auth, world: World):
        naive = (utcnow() - timedelta(hours=1)).replace(tzinfo=None).isoformat()
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, captured_at=naive))
        assert r.status_code == 422
        assert "captured_at" in r.json()["errors"][0]["field"]

    async def test_offline_capture_time_is_kept(self, client, auth, world: World):
        captured = utcnow().replace(microsecond=0) - timedelta(days=2)
        case = await report(client, auth, world, captured_at=captured.isoformat())
        assert datetime.fromisoformat(case["captured_at"]) == captured
        assert datetime.fromisoformat(case["reported_at"]) > captured

    async def test_unknown_field_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, status="closed"))
        assert r.status_code == 422

    async def test_same_client_ref_returns_the_first_case(self, client, auth, world: World, db):
        worker = world.user(Role.grid_worker, "s1c1g1")
        first = await client.post(f"{API}/cases", headers=auth(worker),
                                  json=body(0, client_ref="a1b2c3d4-offline"))
        again = await client.post(f"{API}/cases", headers=auth(worker),
                                  json=body(0, client_ref="a1b2c3d4-offline",
                                            description="重试"))
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["description"] == "井盖缺失"
        assert await count_cases(db, client_ref="a1b2c3d4-offline") == 1

    async def test_client_ref_race_returns_the_winner(self, client, auth, world: World, db,
                                                      monkeypatch):
        # A retry that passed the client_ref check before the first submit committed.
        worker = world.user(Role.grid_worker, "s1c1g1")
        first = await report(client, auth, world, client_ref="racing-ref")
        real = repository.by_client_ref
        calls: list[str] = []

        async def too_early(session, reporter_key, client_ref):
            calls.append(client_ref)
            return None if len(calls) == 1 else await real(session, reporter_key, client_ref)

        monkeypatch.setattr(repository, "by_client_ref", too_early)
        again = await client.post(f"{API}/cases", headers=auth(worker),
                                  json=body(0, client_ref="racing-ref"))
        assert again.status_code == 200, again.text
        assert again.json()["id"] == first["id"]
        assert len(calls) == 2
        assert await count_cases(db, client_ref="racing-ref") == 1

    async def test_reporter_with_a_long_id(self, client, auth, world: World, db):
        # Ids grow: nothing about the report may depend on how many digits the reporter's has.
        async with db.writing() as s:
            user = User(id=123_456_789_012, username="long_id_worker", display_name="x")
            s.add(user)
            await s.flush()
            await give_role(s, user, Role.grid_worker, world.branches[0])
            await s.commit()
        case = await report(client, auth, world, reporter=user, client_ref="c" * 64)
        assert case["reporter_id"] == user.id

    async def test_code_is_the_day_and_the_id(self, client, auth, world: World):
        case = await report(client, auth, world)
        day = datetime.fromisoformat(case["reported_at"]).astimezone(UTC)
        assert case["code"] == f"AJ{day:%Y%m%d}{case['id']:07d}"

    async def test_code_of_an_eight_digit_id_keeps_every_digit(self, client, auth,
                                                               world: World, db):
        # The statement pads to seven digits; a longer id must not be cut to fit.
        async with db.writing() as s:
            conn = await s.connection()
            if conn.dialect.name == "postgresql":
                await conn.execute(text(
                    "SELECT setval(pg_get_serial_sequence('cases', 'id'), 12345678)"))
            else:
                await make_case(s, world.grids[0], world.user(Role.grid_worker, "s1c1g1"),
                                id=12_345_678)
            await s.commit()
        case = await report(client, auth, world)
        assert case["id"] == 12_345_679
        assert case["code"].endswith("12345679") and len(case["code"]) == 2 + 8 + 8

    async def test_statements_of_a_report(self, client, auth, world: World, db, statements):
        # Principal (unless the cache is on: PRINCIPAL_LOADS), key claim, grid placement, the
        # case (id and code in its INSERT), its timeline entry, outbox event and audit entry,
        # key completion: no UPDATE of the code, and no boundary read once the grid's polygon
        # is cached; the reporter's name and roles for the answer. On PostgreSQL the three side
        # rows and the key's completion are one statement.
        worker = world.user(Role.grid_worker, "s1c1g1")
        await report(client, auth, world)  # categories and the grid's polygon
        with statements:
            r = await client.post(f"{API}/cases", json=body(0),
                                  headers=auth(worker, **{"Idempotency-Key": "count-1"}))
        assert r.status_code == 201, r.text
        assert statements.count == PRINCIPAL_LOADS + (5 if IS_PG else 8)

    async def test_an_edited_boundary_places_reports_by_the_new_one(self, client, auth,
                                                                    world: World):
        # Same bounding box, smaller polygon: only the parsed polygon tells the two apart,
        # so a cached one must not outlive the edit.
        lng, lat = 113.807, 34.007  # grid 0's square, outside the triangle below
        worker = world.user(Role.grid_worker, "s1c1g1")
        first = await client.post(f"{API}/cases", json=body(0, lng=lng, lat=lat),
                                  headers=auth(worker))
        assert first.status_code == 201 and first.json()["grid_id"] == world.grids[0].id
        triangle = [[113.80, 34.00], [113.81, 34.00], [113.80, 34.01], [113.80, 34.00]]
        r = await client.patch(f"{API}/grids/{world.grids[0].id}",
                               json={"boundary": {"type": "Polygon", "coordinates": [triangle]}},
                               headers=auth(world.user(Role.community_admin, "s1c1")))
        assert r.status_code == 200, r.text
        again = await client.post(f"{API}/cases", json=body(0, lng=lng, lat=lat),
                                  headers=auth(worker))
        assert again.status_code == 422
        assert again.json()["code"] == "case_outside_grids"
        inside = await client.post(f"{API}/cases", json=body(0, lng=113.802, lat=34.002),
                                   headers=auth(worker))
        assert inside.status_code == 201 and inside.json()["grid_id"] == world.grids[0].id

    async def test_client_ref_is_per_reporter(self, client, auth, world: World, db):
        a = await report(client, auth, world, client_ref="same-ref")
        b = await report(client, auth, world, reporter=world.user(Role.grid_head, "s1c1g1"),
                         client_ref="same-ref")
        assert a["id"] != b["id"]
        assert await count_cases(db, client_ref="same-ref") == 2

    async def test_idempotency_key_replays_the_first_response(self, client, auth,
                                                              world: World, db):
        headers = auth(world.user(Role.grid_worker, "s1c1g1"),
                       **{"Idempotency-Key": "case-retry-1"})
        data = body(0, description="幂等重试")
        first = await client.post(f"{API}/cases", headers=headers, json=data)
        again = await client.post(f"{API}/cases", headers=headers, json=data)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["etag"] == first.headers["etag"]
        assert await count_cases(db, description="幂等重试") == 1

    async def test_uploaded_photos_are_attached(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        ids = []
        for colour in ("red", "blue"):
            r = await client.post(f"{API}/attachments", headers=auth(worker),
                                  files={"file": ("p.png", png_bytes(colour), "image/png")})
            assert r.status_code == 201, r.text
            assert r.json()["case_id"] is None
            ids.append(r.json()["id"])
        case = await report(client, auth, world, attachment_ids=ids)
        assert case["attachment_ids"] == ids
        got = await client.get(f"{API}/cases/{case['id']}", headers=auth(worker))
        assert got.json()["attachment_ids"] == ids

    async def test_someone_elses_upload_is_422(self, client, auth, world: World, db, settings):
        other = world.user(Role.grid_head, "s1c1g1")
        async with db.writing() as s:
            att = await attach_photo(s, LocalStorage(Path(settings.upload_dir)), None,
                                     owner=f"user:{other.id}")
            await s.commit()
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, attachment_ids=[att.id]))
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "attachment_ids"

    async def test_attachment_already_on_a_case_is_422(self, client, auth, world: World):
        # The world's photo of case 0 was uploaded by its reporter, but it is bound already.
        r = await client.post(f"{API}/cases",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              json=body(0, attachment_ids=[world.attachments[0].id]))
        assert r.status_code == 422

    async def test_failed_report_leaves_the_upload_unbound(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        up = await client.post(f"{API}/attachments", headers=auth(worker),
                               files={"file": ("p.png", png_bytes(), "image/png")})
        att_id = up.json()["id"]
        bad = await client.post(f"{API}/cases", headers=auth(worker),
                                json=body(0, lng=114.5, attachment_ids=[att_id]))
        assert bad.status_code == 422
        case = await report(client, auth, world, attachment_ids=[att_id])
        assert case["attachment_ids"] == [att_id]


class TestThirdPartyReport:
    """A third-party app reporting through client credentials (a hotline system, say)."""

    async def token(self, client, db, world: World, scopes: str) -> dict[str, str]:
        async with db.writing() as s:
            creds = await create_client(s, name="12345 热线", org_id=world.communities[0].id,
                                        scopes=scopes.split())
            await s.commit()
        r = await client.post(f"{API}/auth/token",
                              data={"grant_type": "client_credentials",
                                    "client_id": creds["client_id"],
                                    "client_secret": creds["client_secret"], "scope": scopes})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def test_client_reports_and_sees_its_own(self, client, db, world: World):
        headers = await self.token(client, db, world, "cases:report")
        r = await client.post(f"{API}/cases", headers=headers,
                              json=body(0, client_ref="hotline-1"))
        assert r.status_code == 201, r.text
        case = r.json()
        assert (case["source"], case["reporter_id"]) == ("client", None)
        listed = await client.get(f"{API}/cases", headers=headers)
        assert [c["id"] for c in listed.json()["items"]] == [case["id"]]
        again = await client.post(f"{API}/cases", headers=headers,
                                  json=body(0, client_ref="hotline-1"))
        assert (again.status_code, again.json()["id"]) == (200, case["id"])

    async def test_client_outside_its_org_is_403(self, client, db, world: World):
        headers = await self.token(client, db, world, "cases:report")
        r = await client.post(f"{API}/cases", headers=headers,
                              json=body(grid_index(world, "s2c1g1")))
        assert r.status_code == 403
        assert r.json()["code"] == "case_outside_area"


class TestListCases:
    async def test_newest_first(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        new = await report(client, auth, world)
        ids = await list_ids(client, auth, admin, limit=100)
        assert ids[0] == new["id"]
        assert ids == sorted(ids, reverse=True)
        assert {c.id for c in world.cases} <= set(ids)

    async def test_cursor_walks_every_case_once(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        everything = await list_ids(client, auth, admin, limit=100)
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            r = await client.get(f"{API}/cases", headers=auth(admin), params=params)
            seen += [c["id"] for c in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == everything

    async def test_grid_worker_sees_only_own_grid(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        mine = await report(client, auth, world)
        ids = await list_ids(client, auth, worker, limit=100)
        assert set(ids) == {mine["id"], world.cases[0].id}

    async def test_grid_worker_filtering_other_grid_gets_nothing(self, client, auth,
                                                                 world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        assert await list_ids(client, auth, worker, grid_id=world.grids[1].id) == []

    async def test_street_admin_sees_own_street(self, client, auth, world: World):
        ids = await list_ids(client, auth, world.user(Role.street_admin, "s2"), limit=100)
        assert set(ids) == {c.id for c in world.cases[4:]}

    async def test_member_sees_only_own_reports(self, client, auth, world: World):
        member = world.user(Role.member, "s1c1")
        assert await list_ids(client, auth, member) == []
        mine = await report(client, auth, world, reporter=member)
        assert await list_ids(client, auth, member) == [mine["id"]]

    async def test_status_filter_is_repeatable(self, client, auth, world: World):
        operator = world.user(Role.command_operator)
        case = await report(client, auth, world)
        await act(client, auth, operator, case["id"], "accept")
        accepted = await list_ids(client, auth, operator, status="accepted")
        assert accepted == [case["id"]]
        both = await list_ids(client, auth, operator, status=["accepted", "reported"], limit=100)
        assert case["id"] in both and world.cases[0].id in both
        reported = await list_ids(client, auth, operator, status="reported", limit=100)
        assert case["id"] not in reported

    async def test_status_filter_takes_commas(self, client, auth, world: World):
        operator = world.user(Role.command_operator)
        case = await report(client, auth, world)
        await act(client, auth, operator, case["id"], "accept")
        both = await list_ids(client, auth, operator, status="accepted,reported", limit=100)
        assert case["id"] in both and world.cases[0].id in both

    async def test_unknown_status_is_422(self, client, auth, world: World):
        r = await client.get(f"{API}/cases", headers=auth(world.user(Role.command_operator)),
                             params={"status": "lost"})
        assert r.status_code == 422

    async def test_grid_filter(self, client, auth, world: World):
        ids = await list_ids(client, auth, world.user(Role.district_admin),
                             grid_id=world.grids[3].id)
        assert ids == [world.cases[3].id]

    async def test_community_filter(self, client, auth, world: World):
        ids = await list_ids(client, auth, world.user(Role.district_admin),
                             community_id=world.communities[1].id)
        assert ids == [world.cases[3].id, world.cases[2].id]

    async def test_category_filter(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        other = await report(client, auth, world, category_code=OTHER_LEAF)
        assert await list_ids(client, auth, admin, category_code=OTHER_LEAF) == [other["id"]]
        manholes = await list_ids(client, auth, admin, category_code=LEAF.code, limit=100)
        assert other["id"] not in manholes and world.cases[0].id in manholes

    async def test_overdue_filter(self, client, auth, world: World, db):
        async with db.writing() as s:
            late = await make_case(s, world.grids[0], world.user(Role.grid_worker, "s1c1g1"),
                                   due_at=utcnow() - timedelta(hours=1))
            late_closed = await make_case(s, world.grids[0],
                                          world.user(Role.grid_worker, "s1c1g1"),
                                          status="closed", closed_at=utcnow(),
                                          due_at=utcnow() - timedelta(hours=1))
            await s.commit()
        admin = world.user(Role.district_admin)
        assert await list_ids(client, auth, admin, overdue="true") == [late.id]
        on_time = await list_ids(client, auth, admin, overdue="false", limit=100)
        assert late.id not in on_time and late_closed.id in on_time
        r = await client.get(f"{API}/cases/{late.id}", headers=auth(admin))
        assert (r.json()["light"], r.json()["overdue"]) == ("red", True)

    async def test_overdue_flag_agrees_with_the_filter(self, client, auth, world: World, db):
        # A resolved case waiting for verification past its deadline: whichever the answer,
        # the item's `overdue` and the `overdue=` filter must say the same.
        async with db.writing() as s:
            case = await make_case(s, world.grids[0], world.user(Role.grid_worker, "s1c1g1"),
                                   status="resolved", resolved_at=utcnow(),
                                   due_at=utcnow() - timedelta(hours=1))
            await s.commit()
        admin = world.user(Role.district_admin)
        r = await client.get(f"{API}/cases/{case.id}", headers=auth(admin))
        flagged = r.json()["overdue"]
        assert (case.id in await list_ids(client, auth, admin, overdue="true")) == flagged

    async def test_gcj02_converts_coordinates(self, client, auth, world: World):
        admin = world.user(Role.district_admin)
        r = await client.get(f"{API}/cases", headers=auth(admin),
                             params={"grid_id": world.grids[0].id, "crs": "gcj02"})
        item = r.json()["items"][0]
        assert item["crs"] == "gcj02"
        lng, lat = centre_of(0)
        g_lng, g_lat = wgs84_to_gcj02(lng, lat)
        assert abs(item["lng"] - g_lng) < 1e-9 and abs(item["lat"] - g_lat) < 1e-9
        back = gcj02_to_wgs84(item["lng"], item["lat"])
        assert abs(back[0] - lng) < 1e-7 and abs(back[1] - lat) < 1e-7

    async def test_statements_do_not_grow_with_page_size(self, client, auth, world: World, db,
                                                         statements, settings):
        worker = world.user(Role.grid_worker, "s1c1g1")
        async with db.writing() as s:
            storage = LocalStorage(Path(settings.upload_dir))
            for _ in range(30):
                case = await make_case(s, world.grids[0], worker)
                await attach_photo(s, storage, case)
            await s.commit()
        await client.get(f"{API}/cases", headers=auth(worker))  # category names now cached
        counts = []
        for limit in (10, 100):
            with statements:
                r = await client.get(f"{API}/cases", params={"limit": limit},
                                     headers=auth(world.user(Role.district_admin)))
            assert r.status_code == 200
            assert len(r.json()["items"]) == min(limit, 30 + len(world.cases))
            assert all(item["attachment_ids"] for item in r.json()["items"])
            counts.append(statements.count)
        # principal (see PRINCIPAL_LOADS) + page (attachment ids in its rows) + the page's
        # reporters and assignees (names and roles)
        assert counts[0] == counts[1] == PRINCIPAL_LOADS + 2

    async def test_bad_cursor_is_422(self, client, auth, world: World):
        r = await client.get(f"{API}/cases", params={"cursor": "!!"},
                             headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 422

    @pytest.mark.parametrize("value", ["x", "1.5", "true", str(10**30), "1.2", "null", "0"])
    @pytest.mark.parametrize("status", [None, "reported"])
    async def test_a_cursor_we_did_not_make_is_422(self, client, auth, world: World, value,
                                                   status):
        # The list's tag, but not an id after it: refused before it reaches the driver (a
        # string for an integer column was a 500 on PostgreSQL, a huge number one on SQLite).
        params = ({"cursor": f"{list_tag(CASES_LIST)}.{value}"}
                  | ({"status": status} if status else {}))
        r = await client.get(f"{API}/cases", params=params,
                             headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "invalid_cursor"


class TestGetCase:
    async def test_returns_case_with_etag(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        r = await client.get(f"{API}/cases/{world.cases[0].id}", headers=auth(worker))
        assert r.status_code == 200
        case = r.json()
        assert case["id"] == world.cases[0].id
        assert case["attachment_ids"] == [world.attachments[0].id]
        assert r.headers["etag"] == f'"{case["version"]}"'

    async def test_other_grid_is_404(self, client, auth, world: World):
        r = await client.get(f"{API}/cases/{world.cases[1].id}",
                             headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        assert r.status_code == 404
        assert r.json()["code"] == "case_not_found"

    async def test_member_not_the_reporter_is_404(self, client, auth, world: World):
        r = await client.get(f"{API}/cases/{world.cases[0].id}",
                             headers=auth(world.user(Role.member, "s1c1")))
        assert r.status_code == 404

    async def test_no_such_case_is_404(self, client, auth, world: World):
        r = await client.get(f"{API}/cases/2000000000",
                             headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 404
        assert r.json()["code"] == "case_not_found"

    async def test_statement_count(self, client, auth, world: World, statements):
        await client.get(f"{API}/case-categories", headers=auth(world.user(Role.district_admin)))
        categories.forget_names()
        await client.get(f"{API}/cases/{world.cases[1].id}",
                         headers=auth(world.user(Role.district_admin)))  # warms the names
        with statements:
            r = await client.get(f"{API}/cases/{world.cases[0].id}",
                                 headers=auth(world.user(Role.district_admin)))
        assert r.status_code == 200
        # principal (see PRINCIPAL_LOADS) + case + attachments + its people (category names
        # are cached)
        assert statements.count == PRINCIPAL_LOADS + 3
