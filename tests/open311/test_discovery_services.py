"""Public resources: discovery, the service list (leaf case categories) and definitions."""

from __future__ import annotations

from app.cases.categories_data import CATEGORIES
from tests.open311.helpers import BASE, error_of, ok_json, ok_xml, xml_error_of

LEAVES = {c.code: c for c in CATEGORIES if c.time_limit_hours is not None}
PARENTS = {c.code: c for c in CATEGORIES if c.time_limit_hours is None}
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"]


class TestDiscovery:
    async def test_json_describes_the_endpoint(self, client):
        doc = ok_json(await client.get(f"{BASE}/discovery.json"))
        assert {"changeset", "contact", "key_service", "endpoints"} <= set(doc)
        (endpoint,) = doc["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"] == f"http://test{BASE}"
        assert endpoint["type"] == "test"
        assert set(endpoint["formats"]) == {"application/json", "text/xml"}
        assert endpoint["changeset"].endswith("+00:00")

    async def test_xml_uses_open311_element_names(self, client):
        root = ok_xml(await client.get(f"{BASE}/discovery.xml"))
        assert root.tag == "discovery"
        endpoint = root.find("endpoints/endpoint")
        assert endpoint is not None
        assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
        formats = [f.text for f in endpoint.findall("formats/format")]
        assert set(formats) == {"application/json", "text/xml"}

    async def test_needs_no_key(self, client):
        r = await client.get(f"{BASE}/discovery.json", params={"api_key": ""})
        assert r.status_code == 200


class TestJurisdiction:
    async def test_configured_one_is_accepted(self, client, jurisdiction: str):
        r = await client.get(f"{BASE}/services.json", params={"jurisdiction_id": jurisdiction})
        assert r.status_code == 200

    async def test_another_is_404(self, client, jurisdiction: str):
        r = await client.get(f"{BASE}/services.json",
                             params={"jurisdiction_id": "elsewhere.example.org"})
        assert "elsewhere.example.org" in error_of(r, 404)

    async def test_may_be_left_out_or_empty(self, client, jurisdiction: str):
        assert (await client.get(f"{BASE}/services.json")).status_code == 200
        r = await client.get(f"{BASE}/services.json", params={"jurisdiction_id": ""})
        assert r.status_code == 200

    async def test_anything_goes_when_not_configured(self, client):
        r = await client.get(f"{BASE}/services.json", params={"jurisdiction_id": "any.example"})
        assert r.status_code == 200


class TestServices:
    async def test_every_leaf_category_is_a_service(self, client):
        services = ok_json(await client.get(f"{BASE}/services.json"))
        assert [s["service_code"] for s in services] == list(LEAVES)
        assert not PARENTS.keys() & {s["service_code"] for s in services}

    async def test_fields_are_complete_and_group_is_the_parent(self, client):
        services = ok_json(await client.get(f"{BASE}/services.json"))
        for s in services:
            assert list(s) == SERVICE_FIELDS
            leaf = LEAVES[s["service_code"]]
            assert leaf.parent_code is not None
            assert s["service_name"] == leaf.name
            assert s["group"] == PARENTS[leaf.parent_code].name
            assert s["metadata"] is True and s["type"] == "realtime"
            assert leaf.name in s["keywords"].split(",")
            assert s["description"] and f"{leaf.time_limit_hours:g}" in s["description"]

    async def test_english_on_request(self, client):
        r = await client.get(f"{BASE}/services.json", headers={"Accept-Language": "en"})
        assert "working hours" in ok_json(r)[0]["description"]

    async def test_xml_lists_service_elements(self, client):
        root = ok_xml(await client.get(f"{BASE}/services.xml"))
        assert root.tag == "services"
        services = root.findall("service")
        assert len(services) == len(LEAVES)
        first = services[0]
        assert [child.tag for child in first] == SERVICE_FIELDS
        assert first.findtext("metadata") == "true"
        assert first.findtext("group")


class TestServiceDefinition:
    async def test_json_is_one_object_with_attributes(self, client):
        doc = ok_json(await client.get(f"{BASE}/services/C0101.json"))
        assert doc["service_code"] == "C0101"
        (attribute,) = doc["attributes"]
        assert attribute == {
            "variable": True, "code": "address_detail", "datatype": "string",
            "required": False, "datatype_description": attribute["datatype_description"],
            "order": 1, "description": attribute["description"], "values": []}
        assert attribute["description"]

    async def test_xml(self, client):
        root = ok_xml(await client.get(f"{BASE}/services/C0101.xml"))
        assert root.tag == "service_definition"
        assert root.findtext("service_code") == "C0101"
        attribute = root.find("attributes/attribute")
        assert attribute is not None
        assert attribute.findtext("code") == "address_detail"
        assert attribute.findtext("required") == "false"
        assert attribute.findtext("order") == "1"

    async def test_unknown_code_is_404(self, client):
        assert "NOPE" in error_of(await client.get(f"{BASE}/services/NOPE.json"), 404)

    async def test_a_group_is_not_a_service(self, client):
        error_of(await client.get(f"{BASE}/services/C01.json"), 404)

    async def test_unknown_code_in_xml_is_an_xml_error(self, client):
        assert "NOPE" in xml_error_of(await client.get(f"{BASE}/services/NOPE.xml"), 404)

