"""The JSON and XML renderings on their own."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from app.open311.errors import Open311Error
from app.open311.formats import Format, render, render_error, to_json, to_xml
from app.open311.mapping import split_media


class TestXml:
    def test_declaration_first_and_no_namespace(self):
        out = to_xml("services", "service", [{"service_code": "C1"}])
        assert out.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<services>')
        assert b"xmlns" not in out

    def test_nulls_are_empty_elements_and_booleans_are_words(self):
        root = ET.fromstring(to_xml("r", "i", [{"a": None, "b": True, "c": False, "d": 1.5}]))
        item = root.find("i")
        assert item is not None
        assert [(c.tag, c.text) for c in item] == [("a", None), ("b", "true"), ("c", "false"),
                                                   ("d", "1.5")]

    def test_lists_repeat_their_item_element(self):
        doc = {"endpoints": [{"formats": ["text/xml", "application/json"]}]}
        root = ET.fromstring(to_xml("discovery", None, doc))
        assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
            "text/xml", "application/json"]

    def test_text_is_escaped_and_illegal_characters_dropped(self):
        out = to_xml("r", "i", [{"d": "<a href='x'>&</a>\x00\x0b\ufffe ok"}])
        assert ET.fromstring(out).findtext("i/d") == "<a href='x'>&</a> ok"

    def test_an_empty_list_is_an_empty_root(self):
        assert to_xml("service_requests", "request", []).endswith(b"<service_requests />")


class TestJson:
    def test_utf8_without_escapes(self):
        assert to_json([{"n": "井盖"}]).decode() == '[{"n":"井盖"}]'

    def test_content_types_carry_the_charset(self):
        assert render(Format.json, [], root="x", item="y").media_type == (
            "application/json; charset=utf-8")
        assert render(Format.xml, [], root="x", item="y").media_type == "text/xml; charset=utf-8"

    def test_error_body(self):
        r = render_error(Format.json, Open311Error(400, "bad"))
        assert r.status_code == 400 and json.loads(bytes(r.body)) == [
            {"code": 400, "description": "bad"}]


class TestMediaInDescription:
    def test_the_last_line_marks_a_media_url(self):
        assert split_media("井盖\n\n[media_url] https://x.example/1.jpg") == (
            "井盖", "https://x.example/1.jpg")

    def test_anything_else_is_plain_description(self):
        assert split_media("see [media_url] https://x.example/1.jpg") == (
            "see [media_url] https://x.example/1.jpg", None)
