"""The key-task list as .xlsx: import with row-level problems (like the residents import),
export in the same columns, and a round trip."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from tests.factories import World
from tests.tasks.helpers import API, admin, community_admin

HEADER = ["序号", "任务内容", "目标要求", "牵头单位", "责任单位", "完成时限", "状态"]


def workbook(rows: list[list[object]], title: bool = True) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append(["2026 年度重点任务清单"])  # a title line above the header is fine
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(
    client, auth, user, data: bytes, org_id: int, year: int = 2026, name: str = "清单.xlsx"
):
    return await client.post(
        f"{API}/tasks/import",
        headers=auth(user),
        files={"file": (name, data, "application/octet-stream")},
        data={"org_id": str(org_id), "year": str(year)},
    )


class TestImport:
    async def test_valid_rows_created_others_reported(self, client, auth, world: World):
        data = workbook(
            [
                [
                    1,
                    "红色物业全覆盖",
                    "年底全覆盖",
                    "街道1",
                    "街道1、街道2",
                    "2026-06-30",
                    "推进中",
                ],
                [2, "党群服务中心提质", "", "", "街道9", "明年", "推进中"],
                [3, "", "", "", "", "", "差不多"],
                [4, "网格党支部建设", "", "区卫健委", "区卫健委", "2026/09/30", ""],
            ]
        )
        r = await upload(client, auth, admin(world), data, world.root.id)
        assert r.status_code == 201, r.text
        report = r.json()
        assert (report["rows_total"], report["rows_created"]) == (4, 2)
        assert {(p["row"], p["field"]) for p in report["rejected"]} == {
            (4, "responsibles"),
            (4, "deadline"),
            (5, "content"),
            (5, "status"),
        }
        first = (
            await client.get(f"{API}/tasks/{report['task_ids'][0]}", headers=auth(admin(world)))
        ).json()
        assert [x["name"] for x in first["responsibles"]] == ["街道1", "街道2"]
        assert first["lead_org_id"] == world.streets[0].id and first["deadline"] == "2026-06-30"
        unit_task = (
            await client.get(f"{API}/tasks/{report['task_ids'][1]}", headers=auth(admin(world)))
        ).json()
        assert unit_task["lead_unit_id"] == world.units[0].id
        assert unit_task["responsibles"][0]["unit_id"] == world.units[0].id

    async def test_not_a_spreadsheet_is_415(self, client, auth, world: World):
        r = await upload(
            client, auth, admin(world), b"\x89PNG\r\n\x1a\n" + b"\0" * 64, world.root.id
        )
        assert r.status_code == 415

    async def test_no_header_is_422(self, client, auth, world: World):
        book = Workbook()
        book.active.append(["a", "b"])
        out = io.BytesIO()
        book.save(out)
        r = await upload(client, auth, admin(world), out.getvalue(), world.root.id)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"

    async def test_other_community_reads_as_missing(self, client, auth, world: World):
        data = workbook([[1, "x", "", "", "", "", ""]])
        r = await upload(
            client, auth, community_admin(world, "s1c1"), data, world.communities[1].id
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "org_id"

    async def test_names_outside_the_list_subtree_are_not_matched(self, client, auth, world: World):
        # 社区12 is a sibling of the s1c1 list's node: not a unit it may name.
        data = workbook([[1, "x", "", "", world.communities[1].name, "", ""]])
        r = await upload(
            client, auth, community_admin(world, "s1c1"), data, world.communities[0].id
        )
        assert r.json()["rows_created"] == 0
        assert r.json()["rejected"][0]["field"] == "responsibles"


class TestExport:
    async def test_round_trip(self, client, auth, world: World):
        data = workbook(
            [[1, "红色物业全覆盖", "年底全覆盖", "街道1", "街道1、街道2", "2026-06-30", "推进中"]],
            title=False,
        )
        await upload(client, auth, admin(world), data, world.root.id)
        r = await client.get(
            f"{API}/tasks/export.xlsx",
            headers=auth(admin(world)),
            params={"org_id": world.root.id, "year": 2026},
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith(
            "application/vnd.openxmlformats"
        )
        rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
        assert list(rows[0]) == HEADER
        assert list(rows[1]) == [
            1,
            "红色物业全覆盖",
            "年底全覆盖",
            "街道1",
            "街道1、街道2",
            "2026-06-30",
            "推进中",
        ]
        again = await upload(client, auth, admin(world), r.content, world.root.id, year=2027)
        assert again.json()["rows_created"] == len(rows) - 1 and not again.json()["rejected"]

    async def test_export_outside_scope_is_422(self, client, auth, world: World):
        r = await client.get(
            f"{API}/tasks/export.xlsx",
            headers=auth(community_admin(world, "s1c1")),
            params={"org_id": world.communities[2].id, "year": 2026},
        )
        assert r.status_code == 422
