"""POST /residents/import and its reports: .xlsx and .csv (UTF-8 and GB18030), every rejection
reason, both modes, idempotent retries, scope, the template and the rejected-rows workbook."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.core.permissions import Role
from app.models import AuditEntry, Building, Household, Resident, ResidentImport
from tests.factories import World, id_number, png_bytes
from tests.people.spreadsheets import (
    HEADER,
    XLSX,
    csv_bytes,
    person,
    person_id,
    read_xlsx,
    read_xlsx_sheets,
    unique_id,
    upload,
    xlsx,
)

API = "/api/v1"
IMPORT = f"{API}/residents/import"
WORKER = "s1c1g1"


def worker(world: World, where: str = WORKER) -> Any:
    return world.user(Role.grid_worker, where)


async def count(db_session: Any, model: Any, *where: Any) -> int:
    return int(await db_session.scalar(select(func.count()).select_from(model).where(*where)))


@pytest.fixture
async def session(db: Any) -> Any:
    async with db.writing() as s:
        yield s


async def test_xlsx_import_creates_the_register(client, auth, world: World, session):
    grid = world.grids[0]
    rows = [person(1), person(2, 性别="女", 重点人群="独居老人、残疾人"),
            person(3, building="10栋", unit="", room="202", 重点人群="")]
    r = await upload(client, auth(worker(world)), xlsx(rows), grid_id=grid.id)
    assert r.status_code == 201, r.text
    body = r.json()
    assert {k: body[k] for k in ("status", "rows_total", "rows_created", "rows_rejected",
                                 "mode", "grid_id", "filename")} == {
        "status": "completed", "rows_total": 3, "rows_created": 3, "rows_rejected": 0,
        "mode": "valid_rows", "grid_id": grid.id, "filename": "居民.xlsx"}
    assert body["rejected"] == []
    assert body["report_url"] == f"{API}/residents/imports/{body['id']}/rejected.xlsx"
    # Buildings found or created by name, households by building + unit + room.
    assert await count(session, Building, Building.grid_id == grid.id,
                       Building.name.in_(["9栋", "10栋"])) == 2
    nine = await session.scalar(select(Building.id).where(Building.grid_id == grid.id,
                                                          Building.name == "9栋"))
    assert await count(session, Household, Household.building_id == nine) == 1
    found = await client.get(f"{API}/residents", params={"id_number": person_id(2)},
                             headers=auth(worker(world)))
    item = found.json()["items"][0]
    assert item["gender"] == "female" and item["name"] == "李**"
    assert [t["code"] for t in item["tags"]] == ["elderly_alone", "disabled"]
    assert "*" in item["id_number"] and item["grid_id"] == grid.id
    first = await client.get(f"{API}/residents", params={"id_number": person_id(1)},
                             headers=auth(worker(world)))
    # Gender from the ID's 17th digit when the cell is empty (…001: odd, male).
    assert first.json()["items"][0]["gender"] == "male"
    audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "resident.import",
                                                          AuditEntry.object_id == str(body["id"])))
    assert audit is not None and audit.detail["rows_created"] == 3
    assert person_id(1) not in str(audit.detail)


async def test_existing_building_and_household_are_reused(client, auth, world: World, session):
    # The fixture grid has 1栋 / 1单元 / 101 with one resident.
    r = await upload(client, auth(worker(world)),
                     xlsx([person(4, building="1栋", unit="1单元", room="101")]),
                     grid_id=world.grids[0].id)
    assert r.status_code == 201 and r.json()["rows_created"] == 1, r.text
    resident = await session.scalar(select(Resident).where(Resident.household_id
                                                           == world.households[0].id,
                                                           Resident.id != world.residents[0].id))
    assert resident is not None


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
async def test_csv_in_utf8_or_gbk(client, auth, world: World, encoding: str):
    rows = [person(5), person(6, 重点人群="低保户;退役军人")]
    r = await upload(client, auth(worker(world)), csv_bytes(rows, encoding),
                     grid_id=world.grids[0].id, name="居民.csv", mime="text/csv")
    assert r.status_code == 201, r.text
    assert r.json()["rows_created"] == 2 and r.json()["rejected"] == []


async def test_headers_in_any_order_in_english_under_a_title_line(client, auth, world: World):
    header = ["ID number", "Name", "Room", "Building", "Phone", "序号"]
    row = [person_id(7), "王芳", 301, "5栋", 13912345678, 1]  # numbers as Excel keeps them
    r = await upload(client, auth(worker(world)), xlsx([row], header, title="某社区居民信息表"),
                     grid_id=world.grids[0].id)
    assert r.status_code == 201, r.text
    assert r.json()["rows_created"] == 1


BAD_ROWS: list[tuple[list[Any], str, str]] = [
    (person(10, 身份证号=person_id(10)[:17] + ("0" if person_id(10)[17] != "0" else "1")),
     "id_number", "id_checksum"),
    (person(11, 身份证号="991023199003030117"), "id_number", "id_region"),
    (person(12, 身份证号="41102319901332011X"), "id_number", "id_birth_date"),
    (person(13, 身份证号="4110231990"), "id_number", "id_format"),
    (person(14, 手机号="12345"), "phone", "phone_invalid"),
    (person(15, 性别="未知"), "gender", "gender_invalid"),
    (person(16, 姓名=""), "name", "required"),
    (person(17, 身份证号=""), "id_number", "required"),
    (person(18, 房号="1" * 21), "room", "too_long"),
    (person(19, 重点人群="独居老人、外星人"), "tags", "tag_unknown"),
    (person(20, 身份证号=id_number(0)), "id_number", "id_registered"),  # the fixture resident
]


def _lost_digits(seq: int) -> str:
    """What a number cell keeps of an ID number: 15 significant digits, then zeros."""
    return person_id(seq)[:15] + "000"


@pytest.mark.parametrize("cell", [
    int(person_id(50)),  # typed into a number cell: a double in the file, whatever it shows
    float(person_id(50)),
    4.11023199003030e17,
])
async def test_an_id_kept_as_a_number_in_a_workbook_says_store_it_as_text(client, auth,
                                                                         world: World, cell):
    r = await upload(client, auth(worker(world)), xlsx([person(50, 身份证号=cell)]),
                     grid_id=world.grids[0].id)
    assert r.status_code == 201, r.text
    [item] = r.json()["rejected"]
    assert (item["field"], item["code"]) == ("id_number", "id_stored_as_number")
    assert "文本格式" in item["reason"]


@pytest.mark.parametrize("cell", ["4.11023E+17", "4.11023199003030E+17", "4.1102319900303e17",
                                  "411023199003030000.0", "LOST"])
async def test_an_id_saved_as_a_number_in_a_csv_says_store_it_as_text(client, auth,
                                                                     world: World, cell):
    cell = _lost_digits(51) if cell == "LOST" else cell
    r = await upload(client, auth(worker(world), **{"Accept-Language": "en"}),
                     csv_bytes([person(51, 身份证号=cell)]), grid_id=world.grids[0].id,
                     name="r.csv", mime="text/csv")
    assert r.status_code == 201, r.text
    [item] = r.json()["rejected"]
    assert item["code"] == "id_stored_as_number", item
    assert "store the ID column as text" in item["reason"]


async def test_a_wrong_check_digit_is_still_a_checksum_error(client, auth, world: World):
    """Only an ID whose last digits are zeros is taken for a mangled number."""
    wrong = person_id(52)[:17] + ("1" if person_id(52)[17] != "1" else "2")
    r = await upload(client, auth(worker(world)), csv_bytes([person(52, 身份证号=wrong)]),
                     grid_id=world.grids[0].id, name="r.csv", mime="text/csv")
    assert r.json()["rejected"][0]["code"] == "id_checksum"


async def test_every_rejection_reason(client, auth, world: World):
    rows = [person(30), *[row for row, _, _ in BAD_ROWS], person(30, 姓名="重复")]
    r = await upload(client, auth(worker(world)), xlsx(rows), grid_id=world.grids[0].id)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["rows_total"] == len(rows) and body["rows_created"] == 1
    assert body["rows_rejected"] == len(BAD_ROWS) + 1
    got = [(x["row"], x["field"], x["code"]) for x in body["rejected"]]
    # Row numbers as the spreadsheet shows them: the header is row 1, the good row is row 2.
    want = [(i + 3, f, c) for i, (_, f, c) in enumerate(BAD_ROWS)]
    want.append((len(rows) + 1, "id_number", "id_duplicate_in_file"))
    assert got == want
    by_code = {x["code"]: x for x in body["rejected"]}
    assert by_code["id_checksum"]["reason"] == "身份证号校验位错误"
    assert by_code["id_checksum"]["column"] == "身份证号"
    assert by_code["id_duplicate_in_file"]["reason"] == "与第 2 行的身份证号重复"
    assert by_code["id_registered"]["reason"] == "该身份证号已登记"
    # Never a value from the file: no ID, phone or name in the report.
    for row, _, _ in BAD_ROWS:
        for cell in (row[5], row[6]):
            assert not cell or cell not in r.text
    assert "李秀英" not in r.text


async def test_reasons_in_english(client, auth, world: World):
    r = await upload(client, auth(worker(world), **{"Accept-Language": "en"}),
                     xlsx([person(40, 手机号="123")]), grid_id=world.grids[0].id)
    item = r.json()["rejected"][0]
    assert item["reason"] == "Not a valid mobile number" and item["column"] == "Phone"
    again = await client.get(f"{API}/residents/imports/{r.json()['id']}",
                             headers=auth(worker(world)))
    assert again.json()["rejected"][0]["reason"] == "手机号格式不正确"


async def test_all_or_nothing_creates_nothing_when_a_row_is_bad(client, auth, world: World,
                                                                 session):
    rows = [person(50), person(51, building="11栋"), person(52, 手机号="1")]
    r = await upload(client, auth(worker(world)), xlsx(rows), grid_id=world.grids[0].id,
                     mode="all_or_nothing")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["status"], body["rows_created"], body["rows_rejected"]) == ("rejected", 0, 1)
    assert [x["row"] for x in body["rejected"]] == [4]
    assert await count(session, Building, Building.name == "11栋") == 0
    found = await client.get(f"{API}/residents", params={"id_number": person_id(50)},
                             headers=auth(worker(world)))
    assert found.json()["items"] == []
    ok = await upload(client, auth(worker(world)), xlsx(rows[:2]), grid_id=world.grids[0].id,
                      mode="all_or_nothing")
    assert ok.json()["status"] == "completed" and ok.json()["rows_created"] == 2


async def test_idempotent_retry_replays_the_report(client, auth, world: World, session):
    headers = auth(worker(world), **{"Idempotency-Key": "import-1"})
    content = xlsx([person(60)])
    first = await upload(client, headers, content, grid_id=world.grids[0].id)
    again = await upload(client, headers, content, grid_id=world.grids[0].id)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert await count(session, ResidentImport, ResidentImport.grid_id == world.grids[0].id,
                       ResidentImport.id >= first.json()["id"]) == 1
    other = await upload(client, headers, xlsx([person(61)]), grid_id=world.grids[0].id)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


async def test_scope_other_grid_is_404_and_without_write_403(client, auth, world: World):
    content = xlsx([person(70)])
    r = await upload(client, auth(worker(world)), content, grid_id=world.grids[1].id)
    assert r.status_code == 404 and r.json()["code"] == "grid_not_found"
    r = await upload(client, auth(world.user(Role.party_instructor, WORKER)), content,
                     grid_id=world.grids[0].id)
    assert r.status_code == 403
    r = await upload(client, auth(world.user(Role.community_admin, "s1c1")), content,
                     grid_id=world.grids[1].id)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(("content", "name"), [
    (png_bytes(), "photo.xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "old.xls"),
    (b"PK\x03\x04not really a zip", "broken.xlsx"),
])
async def test_not_a_spreadsheet_is_415(client, auth, world: World, content: bytes, name: str):
    r = await upload(client, auth(worker(world)), content, grid_id=world.grids[0].id, name=name)
    assert r.status_code == 415 and r.json()["code"] == "import_unsupported_file", r.text


async def test_too_large_is_413(client, auth, world: World, settings):
    content = b"a" * (settings.max_upload_bytes + 1)
    r = await upload(client, auth(worker(world)), content, grid_id=world.grids[0].id,
                     name="big.csv", mime="text/csv")
    assert r.status_code == 413


@pytest.mark.parametrize(("header", "column"), [
    ([h for h in HEADER if h != "身份证号"], "身份证号"),
    ([*HEADER, "身高"], "身高"),
    ([*HEADER, "姓名"], "姓名"),
])
async def test_bad_header_is_422_naming_the_column(client, auth, world: World,
                                                   header: list[str], column: str):
    r = await upload(client, auth(worker(world)), csv_bytes([], header=header),
                     grid_id=world.grids[0].id, name="r.csv", mime="text/csv")
    assert r.status_code == 422 and r.json()["code"] == "import_header_invalid", r.text
    assert r.json()["errors"][0]["column"] == column
    assert column in r.json()["detail"]


async def test_bad_form_fields_are_422(client, auth, world: World):
    r = await upload(client, auth(worker(world)), xlsx([]), grid_id=world.grids[0].id,
                     mode="sometimes")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "mode"
    r = await client.post(IMPORT, headers=auth(worker(world)),
                          data={"grid_id": str(world.grids[0].id)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"


async def test_template_downloads_and_imports_as_empty(client, auth, world: World):
    r = await client.get(f"{API}/residents/import/template", headers=auth(worker(world)))
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    rows = read_xlsx(r.content)
    assert rows[0] == HEADER and all(not any(row) for row in rows[1:])
    back = await upload(client, auth(worker(world)), r.content, grid_id=world.grids[0].id)
    assert back.status_code == 201 and back.json()["rows_total"] == 0
    en = await client.get(f"{API}/residents/import/template",
                          headers=auth(worker(world), **{"Accept-Language": "en"}))
    assert read_xlsx(en.content)[0][:3] == ["Building", "Unit", "Room"]
    c = await client.get(f"{API}/residents/import/template", params={"format": "csv"},
                         headers=auth(worker(world)))
    assert c.status_code == 200 and c.content.decode("utf-8-sig").strip() == ",".join(HEADER)


async def test_rejected_rows_workbook(client, auth, world: World):
    r = await upload(client, auth(worker(world)), xlsx([person(80), person(81, 性别="x")]),
                     grid_id=world.grids[0].id)
    url = r.json()["report_url"]
    got = await client.get(url, headers=auth(worker(world)))
    assert got.status_code == 200 and got.headers["content-type"] == XLSX
    assert got.headers["cache-control"] == "no-store"
    fix, reasons = read_xlsx_sheets(got.content)
    # One line per rejected row: its number, what is wrong, and its own cells as they were.
    assert fix == [["原行号", "问题", *HEADER],
                   [3, "性别：性别应为“男”或“女”", *(str(c) for c in person(81, 性别="x"))]]
    assert reasons == [["行号", "列", "字段", "原因代码", "原因"],
                       [3, "性别", "gender", "gender_invalid", "性别应为“男”或“女”"]]
    other = await client.get(url, headers=auth(worker(world, "s1c1g2")))
    assert other.status_code == 404


async def test_rejected_rows_fixed_in_place_import_again(client, auth, world: World):
    """Rows with several problems and a registered person; the ID column stays text; the
    first sheet, corrected, is a file the import takes as it is."""
    bad = [person(82, 性别="x", 手机号="123"), person(83, 身份证号=id_number(0)),
           person(84, 身份证号=4.11023199003030e17)]
    r = await upload(client, auth(worker(world), **{"Accept-Language": "en"}),
                     xlsx([person(85), *bad]), grid_id=world.grids[0].id)
    assert r.json()["rows_rejected"] == 3
    got = await client.get(r.json()["report_url"],
                           headers=auth(worker(world), **{"Accept-Language": "en"}))
    book = load_workbook(io.BytesIO(got.content))
    sheet = book.worksheets[0]
    lines = [[c.value for c in row] for row in sheet.iter_rows()]
    assert lines[0] == ["Original row", "Problems", *HEADER]
    assert [line[0] for line in lines[1:]] == [3, 4, 5]
    assert lines[1][1] == ("Phone: Not a valid mobile number; "
                           "Gender: Gender must be 男/女 (male/female)")
    assert lines[2][1].startswith("ID number: A resident with this ID number is already")
    assert lines[2][2 + HEADER.index("身份证号")] == id_number(0)
    assert "store the ID column as text" in lines[3][1]
    id_cell = sheet.cell(row=3, column=3 + HEADER.index("身份证号"))
    assert id_cell.number_format == "@" and isinstance(id_cell.value, str)
    # Fixed in place: the good values typed over the bad ones, then that sheet imported.
    fixed = {3: {"性别": "女", "手机号": "13900000082"}, 4: {"身份证号": person_id(86)},
             5: {"身份证号": person_id(84)}}
    for row, changes in fixed.items():
        for name, value in changes.items():
            sheet.cell(row=row - 1, column=3 + HEADER.index(name)).value = value
    book.remove(book.worksheets[1])
    out = io.BytesIO()
    book.save(out)
    again = await upload(client, auth(worker(world)), out.getvalue(), grid_id=world.grids[0].id)
    assert again.status_code == 201, again.text
    assert (again.json()["rows_created"], again.json()["rejected"]) == (3, [])


async def test_rejected_cells_are_stored_encrypted(client, auth, world: World, session):
    r = await upload(client, auth(worker(world)), xlsx([person(87, 性别="x")]),
                     grid_id=world.grids[0].id)
    stored = await session.get(ResidentImport, r.json()["id"])
    assert stored.rejected_rows_cipher and person_id(87) not in stored.rejected_rows_cipher
    assert "李秀英" not in stored.rejected_rows_cipher


async def test_report_and_list_are_scoped(client, auth, world: World):
    mine = world.resident_imports[0]
    r = await client.get(f"{API}/residents/imports/{mine.id}", headers=auth(worker(world)))
    assert r.status_code == 200 and r.json()["rejected"][0]["code"] == "id_checksum"
    r = await client.get(f"{API}/residents/imports/{world.resident_imports[1].id}",
                         headers=auth(worker(world)))
    assert r.status_code == 404 and r.json()["code"] == "resident_import_not_found"
    listed = await client.get(f"{API}/residents/imports", headers=auth(worker(world)))
    assert [i["id"] for i in listed.json()["items"]] == [mine.id]
    community = await client.get(f"{API}/residents/imports",
                                 headers=auth(world.user(Role.community_admin, "s1c1")))
    assert {i["grid_id"] for i in community.json()["items"]} == {g.id for g in world.grids[:2]}


async def test_statements_grow_with_batches_not_rows(client, auth, world: World, statements):
    rows = [person(0, 身份证号=unique_id(k), building=f"{k % 7 + 20}栋", room=str(k % 300),
                   手机号="") for k in range(2_500)]
    content = xlsx(rows)
    with statements:
        r = await upload(client, auth(worker(world)), content, grid_id=world.grids[0].id)
    assert r.status_code == 201 and r.json()["rows_created"] == 2_500, r.text[:300]
    # 3 batches of at most 1,000 rows: per batch one existence query and three INSERTs; plus
    # the request's fixed statements (auth, grid, idempotency, report, audit).
    assert statements.count <= 12 + 4 * 3, statements.count
