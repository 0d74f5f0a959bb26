"""The shared input rules (app/core/inputs.py, app/core/routing.py): ids past the bound, NUL
characters, ISO dates and JSON numbers are 422s — on PostgreSQL they were 500s (asyncpg
overflow, text that cannot hold NUL) — and paths, methods and cursors answer as documented."""

from __future__ import annotations

import logging
import re

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.core.db import Database
from app.core.inputs import ID_MAX, TEXT_PATTERN, Id, Int, IsoDate, Number, Text
from app.core.observability import JsonFormatter, RedactDatabaseDetails
from app.core.permissions import Role
from tests.factories import LEAF, World, id_number

API = "/api/v1"
TOO_BIG = 2**63  # one past BIGINT: asyncpg refused it with an error the app answered 500


def _admin(auth, world: World) -> dict[str, str]:
    return auth(world.user(Role.district_admin))


def _case(world: World, **changes: object) -> dict[str, object]:
    return {
        "category_code": LEAF.code,
        "description": "路灯不亮",
        "lng": 113.8,
        "lat": 34.0,
        **changes,
    }


def _refused(r, location: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(e.get("location") == location for e in r.json()["errors"]), r.text


class TestIds:
    @pytest.mark.parametrize("value", [TOO_BIG, 2**70, ID_MAX + 1, 0])
    async def test_out_of_range_on_a_path_is_422(self, client, auth, world: World, value):
        _refused(await client.get(f"{API}/grids/{value}", headers=_admin(auth, world)), "path")

    async def test_out_of_range_in_a_query_is_422(self, client, auth, world: World):
        r = await client.get(
            f"{API}/cases", params={"grid_id": TOO_BIG}, headers=_admin(auth, world)
        )
        _refused(r, "query")

    @pytest.mark.parametrize("body", [{"grid_id": TOO_BIG}, {"attachment_ids": [TOO_BIG]}])
    async def test_out_of_range_in_a_body_is_422(self, client, auth, world: World, body):
        r = await client.post(
            f"{API}/cases", json=_case(world, **body), headers=_admin(auth, world)
        )
        _refused(r, "body")

    async def test_a_path_id_that_is_not_digits_matches_no_route(self, client, auth, world: World):
        r = await client.get(f"{API}/grids/abc", headers=_admin(auth, world))
        assert r.status_code == 404, r.text

    def test_the_bound_is_exact(self):
        adapter = TypeAdapter(Id)
        assert adapter.validate_python(ID_MAX) == ID_MAX
        with pytest.raises(ValidationError):
            adapter.validate_python(ID_MAX + 1)


class TestNul:
    async def test_in_a_query_is_422(self, client, auth, world: World):
        r = await client.get(
            f"{API}/cases", params={"category_code": "\x00"}, headers=_admin(auth, world)
        )
        _refused(r, "query")

    async def test_in_a_query_of_nearby_is_422(self, client, auth, world: World):
        r = await client.get(
            f"{API}/cases/nearby",
            params={"lng": 113.8, "lat": 34.0, "category_code": "A\x00"},
            headers=_admin(auth, world),
        )
        _refused(r, "query")

    async def test_in_a_case_description_is_422(self, client, auth, world: World):
        r = await client.post(
            f"{API}/cases", json=_case(world, description="灯\u0000坏"), headers=_admin(auth, world)
        )
        _refused(r, "body")

    async def test_in_a_resident_name_is_422(self, client, auth, world: World):
        body = {
            "household_id": world.households[0].id,
            "name": "张\u0000三",
            "gender": "male",
            "id_number": id_number(900),
        }
        r = await client.post(f"{API}/residents", json=body, headers=_admin(auth, world))
        assert r.status_code == 422, r.text

    async def test_an_escaped_backslash_is_not_nul(self, client, auth, world: World):
        # `\\u0000` in JSON is a backslash and "u0000": text, not NUL.
        body = b'{"grid_id": 0, "description": "x\\\\u0000"}'
        r = await client.post(
            f"{API}/cases",
            content=body,
            headers={**_admin(auth, world), "content-type": "application/json"},
        )
        assert r.status_code == 422, r.text
        assert all(e.get("type") != "nul_character" for e in r.json()["errors"]), r.text


class TestTypes:
    @pytest.mark.parametrize("value", ["", " ", "\t\n", "\x1c", "\u3000", "a\x00", "\x00"])
    def test_text_refuses_blank_and_nul_and_its_pattern_agrees(self, value):
        with pytest.raises(ValidationError):
            TypeAdapter(Text).validate_python(value)
        assert not re.match(TEXT_PATTERN, value)

    @pytest.mark.parametrize("value", ["a", " a ", "\u3000字", "x\ny"])
    def test_text_keeps_the_rest_and_its_pattern_agrees(self, value):
        assert TypeAdapter(Text).validate_python(value) == value.strip()
        assert re.match(TEXT_PATTERN, value)

    @pytest.mark.parametrize("value", [True, False, "5", "1.5"])
    def test_json_numbers_are_numbers(self, value):
        for kind in (Int, Number):
            with pytest.raises(ValidationError):
                TypeAdapter(kind).validate_python(value)

    @pytest.mark.parametrize("value", [0, 0.5, "0.5", "0", "20261203"])
    def test_dates_are_iso(self, value):
        with pytest.raises(ValidationError):
            TypeAdapter(IsoDate).validate_python(value)

    async def test_a_number_for_a_time_in_a_query_is_422(self, client, auth, world: World):
        r = await client.get(
            f"{API}/audit", params={"to": "0.5"}, headers=auth(world.user(Role.auditor))
        )
        _refused(r, "query")


class TestMethods:
    async def test_405_lists_every_method_of_the_path(self, client, auth, world: World):
        r = await client.request(
            "OPTIONS", f"{API}/grids/{world.grids[0].id}", headers=_admin(auth, world)
        )
        assert r.status_code == 405
        assert r.headers["allow"] == "DELETE, GET, PATCH"

    async def test_a_word_where_an_id_goes_is_405_not_a_validation_error(
        self, client, auth, world: World
    ):
        r = await client.patch(f"{API}/grids/locate", headers=_admin(auth, world))
        assert r.status_code == 405, r.text
        assert r.headers["allow"] == "GET"


class TestLogs:
    async def test_a_failed_insert_logs_no_values(self, db: Database, caplog):
        """A statement's parameters and PostgreSQL's DETAIL line (the row's values) never reach
        a log line: the engine hides parameters (on both databases), the filter on the log
        handlers drops DETAIL (PostgreSQL)."""
        secret = "张秘密三"
        caplog.set_level(logging.ERROR, logger="gridapi.errors")
        async with db.writing() as session:
            await session.execute(text("CREATE TEMPORARY TABLE fuzz_secret (name TEXT UNIQUE)"))
            insert = text("INSERT INTO fuzz_secret (name) VALUES (:name)")
            await session.execute(insert, {"name": secret})
            with pytest.raises(IntegrityError) as failed:
                await session.execute(insert, {"name": secret})
            logging.getLogger("gridapi.errors").error("unhandled error", exc_info=failed.value)
            await session.rollback()
        (record,) = [r for r in caplog.records if r.getMessage() == "unhandled error"]
        RedactDatabaseDetails().filter(record)  # as on every handler (configure_logging)
        line = JsonFormatter().format(record)
        assert "IntegrityError" in line
        assert secret not in line and "Key (name)" not in line, line
