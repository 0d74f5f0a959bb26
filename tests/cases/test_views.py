"""The list page serialised straight from rows (views.page_json) is byte for byte the
`Page[CaseRead]` the model would give, for every kind of value a case can hold."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.cases import categories, views
from app.cases import repository as repo
from app.cases.calendar import DEFAULT_CALENDAR
from app.cases.schemas import CaseRead
from app.core.auth import load_user_principal
from app.core.pagination import Page, PageParams
from app.core.permissions import Role
from app.core.types import utcnow
from app.models import CaseAttachment
from tests.factories import World, make_case


@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
async def test_page_json_equals_the_model(world: World, db, crs: str):
    now = utcnow()
    worker = world.user(Role.grid_worker, "s1c1g1")
    async with db.writing() as s:
        grid = world.grids[0]
        await make_case(s, grid, worker)  # reported, green, no attachments
        await make_case(s, grid, worker, status="closed", closed_at=now - timedelta(hours=1),
                        due_at=now - timedelta(hours=2), client_ref="c-1",
                        captured_at=now.replace(microsecond=0) - timedelta(days=1))
        late = await make_case(s, grid, worker, status="dispatched", due_at=now - timedelta(
            minutes=1), accepted_at=now, dispatched_at=now, address="人民路 1 号",
            rework_count=2, return_count=1)
        await make_case(s, grid, worker, status="suspended", suspended_at=now - timedelta(
            days=3), reported_at=now - timedelta(days=10), due_at=now + timedelta(days=1))
        s.add_all([CaseAttachment(case_id=late.id, uploaded_by=f"user:{worker.id}",
                                  mime="image/png", size=1, sha256="0" * 64,
                                  storage_key=f"k{i}", public_key=f"p{i}") for i in range(3)])
        await s.flush()
        principal = await load_user_principal(s, world.user(Role.district_admin).id)
        rows = await repo.list_rows(s, principal, filters=[],
                                    page=PageParams(limit=100, cursor=None))
        assert len(rows) >= 4
        got = await views.page_json(s, rows, DEFAULT_CALENDAR, crs, "next")
        names = await categories.names(s)
        await s.rollback()
    at = utcnow()  # the light may only differ if a second passes between the two: it won't
    model = Page[CaseRead](items=[
        views.case_read(r, DEFAULT_CALENDAR, names=names, crs=crs, now=at,
                        attachment_ids=repo.split_ids(r.attachment_csv)) for r in rows
    ], next_cursor="next")
    assert got == model.model_dump_json().encode()
    items = json.loads(got)["items"]
    assert {i["light"] for i in items} >= {"green", "red"}
    assert any(len(i["attachment_ids"]) == 3 for i in items)
    assert all(i["category_name"] for i in items)
