"""Year-end review (述职评议): the secretary files, reviewers rate inside the window (before and
after → 409), the result combines ratings with the year's quarterly totals by the published
formula, ranked per kind and exported as .xlsx."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from app.assessment.reviews import service as reviews
from app.core.permissions import Role
from app.core.types import utcnow
from tests.factories import World

API = "/api/v1"
REVIEWS = f"{API}/reviews"


def review_body(world: World, street: int = 0, **changes: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "org_id": world.streets[street].id,
        "year": 2026,
        "org_kind": "community",
        "title": "2026年度社区党组织书记述职评议",
        "opens_at": (now - timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=7)).isoformat(),
        **changes,
    }


async def open_review(client: Any, auth: Any, world: World, **changes: Any) -> dict[str, Any]:
    r = await client.post(
        REVIEWS,
        headers=auth(world.user(Role.street_admin, "s1")),
        json=review_body(world, **changes),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def file(client: Any, auth: Any, world: World, review_id: int, community: int = 0) -> Any:
    key = f"s1c{community + 1}"
    return await client.post(
        f"{REVIEWS}/{review_id}/reports",
        headers=auth(world.user(Role.community_admin, key)),
        json={"org_id": world.communities[community].id, "content": "一年来……"},
    )


async def rate(
    client: Any, auth: Any, user: Any, review_id: int, report_id: int, grade: str
) -> Any:
    return await client.post(
        f"{REVIEWS}/{review_id}/reports/{report_id}/ratings",
        headers=auth(user),
        json={"grade": grade},
    )


class TestReports:
    async def test_the_secretary_files_once(self, client, auth, world: World):
        review = await open_review(client, auth, world)
        r = await file(client, auth, world, review["id"])
        assert r.status_code == 201, r.text
        assert r.json()["org_path"] == world.communities[0].path
        again = await file(client, auth, world, review["id"])
        assert (again.status_code, again.json()["code"]) == (409, "review_report_exists")

    async def test_the_street_may_not_file_for_its_community(self, client, auth, world: World):
        review = await open_review(client, auth, world)
        r = await client.post(
            f"{REVIEWS}/{review['id']}/reports",
            headers=auth(world.user(Role.street_admin, "s1")),
            json={"org_id": world.communities[0].id, "content": "代交"},
        )
        assert (r.status_code, r.json()["code"]) == (403, "review_not_secretary")

    async def test_another_communitys_secretary_cannot_file_for_it(
        self, client, auth, world: World
    ):
        review = await open_review(client, auth, world)
        r = await client.post(
            f"{REVIEWS}/{review['id']}/reports",
            headers=auth(world.user(Role.community_admin, "s1c1")),
            json={"org_id": world.communities[1].id, "content": "x"},
        )
        assert r.status_code in (403, 422)

    async def test_an_org_of_another_kind_is_422(self, client, auth, world: World):
        review = await open_review(client, auth, world)
        r = await client.post(
            f"{REVIEWS}/{review['id']}/reports",
            headers=auth(world.user(Role.grid_head, "s1c1g1")),
            json={"org_id": world.branches[0].id, "content": "x"},
        )
        assert r.status_code == 422

    async def test_a_secretary_of_another_street_does_not_find_the_review(
        self, client, auth, world: World
    ):
        review = await open_review(client, auth, world)
        r = await client.post(
            f"{REVIEWS}/{review['id']}/reports",
            headers=auth(world.user(Role.community_admin, "s2c1")),
            json={"org_id": world.communities[2].id, "content": "x"},
        )
        assert (r.status_code, r.json()["code"]) == (404, "review_not_found")

    async def test_filing_after_the_window_is_409(self, client, auth, world: World, monkeypatch):
        review = await open_review(client, auth, world)
        monkeypatch.setattr(reviews, "utcnow", lambda: utcnow() + timedelta(days=8))
        r = await file(client, auth, world, review["id"])
        assert (r.status_code, r.json()["code"]) == (409, "review_closed")


class TestRatings:
    async def test_reviewers_rate_once_inside_the_window(self, client, auth, world: World):
        review = await open_review(client, auth, world)
        report = (await file(client, auth, world, review["id"])).json()
        reviewer = world.user(Role.street_admin, "s1")
        r = await rate(client, auth, reviewer, review["id"], report["id"], "fairly_good")
        assert r.status_code == 201, r.text
        assert (r.json()["grade"], r.json()["reviewer_id"]) == ("fairly_good", reviewer.id)
        again = await rate(client, auth, reviewer, review["id"], report["id"], "good")
        assert (again.status_code, again.json()["code"]) == (409, "review_already_rated")

    @pytest.mark.parametrize(
        ("shift", "code"),
        [(timedelta(days=-1), "review_not_open"), (timedelta(days=8), "review_closed")],
    )
    async def test_before_and_after_the_window_is_409(
        self, client, auth, world: World, monkeypatch, shift, code
    ):
        review = await open_review(client, auth, world)
        report = (await file(client, auth, world, review["id"])).json()
        monkeypatch.setattr(reviews, "utcnow", lambda: utcnow() + shift)
        r = await rate(
            client, auth, world.user(Role.district_admin), review["id"], report["id"], "good"
        )
        assert (r.status_code, r.json()["code"]) == (409, code)

    async def test_a_community_does_not_rate(self, client, auth, world: World):
        review, report = world.reviews[0], world.review_reports[1]
        r = await rate(
            client, auth, world.user(Role.community_admin, "s1c1"), review.id, report.id, "poor"
        )
        assert r.status_code == 404  # the street's review is not the community's to read

    async def test_an_unknown_grade_is_422(self, client, auth, world: World):
        review, report = world.reviews[0], world.review_reports[0]
        r = await rate(
            client, auth, world.user(Role.street_admin, "s1"), review.id, report.id, "好"
        )
        assert r.status_code == 422


class TestResults:
    def test_the_formula(self):
        assert reviews.combine(80.0, 60.0) == 72.0
        assert reviews.combine(None, 60.0) == 60.0
        assert reviews.combine(80.0, None) == 80.0
        assert reviews.combine(None, None) is None

    async def _rate_world(self, client: Any, auth: Any, world: World) -> None:
        review = world.reviews[0]
        first, second = world.review_reports[0], world.review_reports[1]
        street, district = world.user(Role.street_admin, "s1"), world.user(Role.district_admin)
        for user, report, grade in (
            (street, first, "good"),
            (district, first, "fairly_good"),
            (street, second, "poor"),
        ):
            r = await rate(client, auth, user, review.id, report.id, grade)
            assert r.status_code == 201, r.text

    async def test_ratings_and_quarterly_totals_combine(self, client, auth, world: World):
        await self._rate_world(client, auth, world)
        # The world's 2026-Q4 round: 30 of 100 points each (computed 30, manual unscored).
        r = await client.get(
            f"{REVIEWS}/{world.reviews[0].id}/results",
            headers=auth(world.user(Role.street_admin, "s1")),
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert "0.6" in body["formula"]
        first, second = body["items"]
        assert first["org_id"] == world.communities[0].id
        assert (first["quarterly_score"], first["rating_score"]) == (30, 90)
        assert first["result"] == pytest.approx(0.6 * 30 + 0.4 * 90)
        assert first["grades"] == {"good": 1, "fairly_good": 1, "average": 0, "poor": 0}
        assert (second["rating_score"], second["result"], second["rank"]) == (40, 34, 2)
        assert first["rank"] == 1

    async def test_manual_scores_move_the_quarterly_part(self, client, auth, world: World):
        r = await client.post(
            f"{API}/assessment/rounds/{world.assessment_rounds[0].id}/scores",
            headers=auth(world.user(Role.street_admin, "s1")),
            json={
                "org_id": world.communities[1].id,
                "item_id": world.assessment_manual_items[0],
                "score": 70,
                "reason": "满分",
            },
        )
        assert r.status_code == 200, r.text
        res = await client.get(
            f"{REVIEWS}/{world.reviews[0].id}/results",
            headers=auth(world.user(Role.street_admin, "s1")),
        )
        first = res.json()["items"][0]
        assert (first["org_id"], first["quarterly_score"], first["result"]) == (
            world.communities[1].id,
            100,
            100,
        )

    @pytest.mark.parametrize(("lang", "head"), [("zh", "综合得分"), ("en", "Result")])
    async def test_ranking_xlsx(self, client, auth, world: World, lang, head):
        await self._rate_world(client, auth, world)
        r = await client.get(
            f"{REVIEWS}/{world.reviews[0].id}/results.xlsx",
            headers=auth(world.user(Role.street_admin, "s1"), **{"Accept-Language": lang}),
        )
        assert r.status_code == 200, r.text
        rows = list(load_workbook(BytesIO(r.content)).active.iter_rows(values_only=True))
        assert rows[0][-1] == head
        assert [row[0] for row in rows[1:]] == [1, 2]


class TestScope:
    async def test_street_a_does_not_see_street_b(self, client, auth, world: World):
        headers = auth(world.user(Role.street_admin, "s1"))
        items = (await client.get(REVIEWS, headers=headers)).json()["items"]
        assert [r["id"] for r in items] == [world.reviews[0].id]
        other = world.reviews[1].id
        for url in (
            f"{REVIEWS}/{other}",
            f"{REVIEWS}/{other}/reports",
            f"{REVIEWS}/{other}/results",
        ):
            assert (await client.get(url, headers=headers)).status_code == 404, url
        r = await rate(
            client,
            auth,
            world.user(Role.street_admin, "s1"),
            other,
            world.review_reports[2].id,
            "good",
        )
        assert r.status_code == 404

    async def test_reports_list_stays_in_scope(self, client, auth, world: World):
        r = await client.get(
            f"{REVIEWS}/{world.reviews[0].id}/reports",
            headers=auth(world.user(Role.street_admin, "s1")),
        )
        assert [x["org_id"] for x in r.json()["items"]] == [c.id for c in world.communities[:2]]

    async def test_a_window_that_ends_before_it_starts_is_422(self, client, auth, world: World):
        now = utcnow()
        r = await client.post(
            REVIEWS,
            headers=auth(world.user(Role.street_admin, "s1")),
            json=review_body(
                world, opens_at=now.isoformat(), closes_at=(now - timedelta(days=1)).isoformat()
            ),
        )
        assert r.status_code == 422

    async def test_a_community_does_not_open_reviews(self, client, auth, world: World):
        r = await client.post(
            REVIEWS,
            headers=auth(world.user(Role.community_admin, "s1c1")),
            json=review_body(world, org_id=world.communities[0].id, org_kind="grid_branch"),
        )
        assert r.status_code == 403
