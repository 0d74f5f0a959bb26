"""Calls and parsers shared by the Open311 tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import httpx
from sqlalchemy import select, update

from app.models import Case, Grid
from tests.factories import World

BASE = "/open311/v2"
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'


def centre(world: World, k: int) -> tuple[float, float]:
    """(lat, long) of the middle of the world's grid k, in WGS-84."""
    g = world.grids[k]
    assert g.min_lat is not None and g.max_lat is not None
    assert g.min_lng is not None and g.max_lng is not None
    return (g.min_lat + g.max_lat) / 2, (g.min_lng + g.max_lng) / 2


def report_form(world: World, k: int = 0, **changes: Any) -> dict[str, Any]:
    lat, lng = centre(world, k)
    return {"service_code": "C0101", "lat": lat, "long": lng, "description": "井盖缺失",
            **changes}


def ok_json(r: httpx.Response) -> Any:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == JSON_TYPE
    return r.json()


def ok_xml(r: httpx.Response) -> ET.Element:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XML_TYPE
    assert r.content.startswith(XML_DECLARATION)
    return ET.fromstring(r.content)


def error_of(r: httpx.Response, status: int) -> str:
    """The description of a JSON Open311 error with `status`."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == JSON_TYPE
    body = r.json()
    assert isinstance(body, list) and len(body) == 1, body
    assert body[0]["code"] == status and isinstance(body[0]["description"], str), body
    assert body[0]["description"]
    return str(body[0]["description"])


def xml_error_of(r: httpx.Response, status: int) -> str:
    """The description of an XML Open311 error with `status`."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == XML_TYPE
    assert r.content.startswith(XML_DECLARATION)
    root = ET.fromstring(r.content)
    assert root.tag == "errors" and len(root) == 1, r.text
    assert root.findtext("error/code") == str(status)
    description = root.findtext("error/description")
    assert description
    return description


async def post_report(client: httpx.AsyncClient, key: str, form: dict[str, Any],
                      fmt: str = "json") -> httpx.Response:
    return await client.post(f"{BASE}/requests.{fmt}", data={"api_key": key, **form})


async def reported_id(client: httpx.AsyncClient, key: str, form: dict[str, Any]) -> str:
    body = ok_json(await post_report(client, key, form))
    return str(body[0]["service_request_id"])


async def stored(db: Any, code: str) -> Case:
    """The case behind a service_request_id, read straight from the database."""
    async with db.writing() as s:
        case: Case = (await s.execute(select(Case).where(Case.code == code))).scalar_one()
        return case


async def change(db: Any, case: Case, **values: Any) -> None:
    """Set columns of a case behind the API's back (state, times, category)."""
    async with db.writing() as s:
        await s.execute(update(Case).where(Case.id == case.id).values(**values))
        await s.commit()


async def set_grid_code(db: Any, grid: Grid, code: str) -> None:
    async with db.writing() as s:
        await s.execute(update(Grid).where(Grid.id == grid.id).values(code=code))
        await s.commit()
