"""Open311's error dialect everywhere under the prefix: never problem+json, never 422."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models import Case
from app.open311 import service
from tests.factories import World
from tests.open311.helpers import (
    BASE,
    error_of,
    ok_xml,
    post_report,
    report_form,
    reported_id,
    xml_error_of,
)


class TestUnknown:
    async def test_resource_is_404(self, client):
        error_of(await client.get(f"{BASE}/nothing.json"), 404)
        error_of(await client.get(f"{BASE}/services/C0101/extra.json"), 404)
        error_of(await client.get(f"{BASE}/"), 404)

    async def test_resource_in_xml_answers_xml(self, client):
        xml_error_of(await client.get(f"{BASE}/nothing.xml"), 404)

    async def test_format_is_404(self, client):
        for path in ("services.yaml", "discovery.html", "requests.JSON", "services/C0101.csv"):
            assert "json" in error_of(await client.get(f"{BASE}/{path}"), 404)

    async def test_format_of_a_post_is_404(self, client, world: World, key: str):
        error_of(await post_report(client, key, report_form(world), fmt="txt"), 404)

    async def test_other_method_is_405_with_allow(self, client):
        r = await client.delete(f"{BASE}/requests.json")
        error_of(r, 405)
        assert r.headers["allow"] == "GET, POST"
        r = await client.post(f"{BASE}/services.xml")
        xml_error_of(r, 405)
        assert r.headers["allow"] == "GET"


class TestBadArguments:
    async def test_are_400_not_422(self, client, key: str):
        r = await client.get(f"{BASE}/requests.json", params={"api_key": key, "page": "x"})
        assert "page" in error_of(r, 400)

    async def test_xml_errors_for_xml_calls(self, client, key: str):
        r = await client.get(f"{BASE}/requests.xml", params={"api_key": key, "status": "new"})
        assert "new" in xml_error_of(r, 400)

    async def test_in_english_on_request(self, client, key: str):
        r = await client.get(f"{BASE}/requests.json", headers={"Accept-Language": "en"},
                             params={"api_key": key, "status": "new"})
        assert error_of(r, 400) == "Unknown status new: use open or closed"

    async def test_a_broken_multipart_body_is_400(self, client, key: str):
        r = await client.post(f"{BASE}/requests.json?api_key={key}", content=b"--x\r\nbroken",
                              headers={"Content-Type": "multipart/form-data; boundary=x"})
        error_of(r, 400)

    async def test_a_failed_report_writes_nothing(self, client, db, world: World, key: str):
        async with db.writing() as s:
            before = await s.scalar(select(func.count()).select_from(Case))
        error_of(await post_report(client, key, report_form(world, 4)), 403)
        async with db.writing() as s:
            assert await s.scalar(select(func.count()).select_from(Case)) == before


class TestUnexpected:
    async def test_a_crash_is_a_500_in_the_dialect_without_details(self, client, monkeypatch):
        async def boom(session: object) -> None:
            raise RuntimeError("secret internals")

        monkeypatch.setattr(service, "services", boom)
        r = await client.get(f"{BASE}/services.xml")
        xml_error_of(r, 500)
        assert "secret" not in r.text


class TestXmlEscaping:
    async def test_markup_and_control_characters_survive_as_text(self, client, world: World,
                                                                 key: str):
        text = 'a <b>&amp; "c"\x01\x1f é 中'
        form = report_form(world, description=text)
        code = await reported_id(client, key, form)
        r = await client.get(f"{BASE}/requests/{code}.xml", params={"api_key": key})
        root = ok_xml(r)
        assert root.findtext("request/description") == 'a <b>&amp; "c" é 中'
        assert b"<b>" not in r.content
        # And JSON keeps everything as sent.
        r = await client.get(f"{BASE}/requests/{code}.json", params={"api_key": key})
        assert r.json()[0]["description"] == text
