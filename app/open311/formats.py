"""JSON and XML renderings of Open311 documents.

A document is plain data: dicts keep their key order, lists become repeated child elements named
by `LIST_ITEMS`, None is an empty element in XML and null in JSON, booleans are `true`/`false`.
XML is UTF-8 with the declaration first and no namespace, built with ElementTree (which escapes
`&`, `<`, `>`); characters XML 1.0 cannot carry at all are dropped.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from enum import StrEnum
from typing import Any

from starlette.responses import Response

from app.open311.errors import Open311Error, not_found

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Child element of each list-valued field.
LIST_ITEMS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute",
              "values": "value"}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Format(StrEnum):
    json = "json"
    xml = "xml"


def parse_format(value: str) -> Format:
    try:
        return Format(value)
    except ValueError:
        raise not_found(f"不支持的格式“{value}”，请用 json 或 xml",
                        f"Unknown format {value!r}: use json or xml") from None


def guess_format(path: str) -> Format:
    """The format of an error answer, before (or without) a matched route."""
    return Format.xml if path.endswith(".xml") else Format.json


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if value is None:
        return
    if isinstance(value, list):
        child = LIST_ITEMS.get(name, "item")
        for item in value:
            _append(element, child, item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    else:
        element.text = _text(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """`<root><item>…</item>…</root>` for a list, `<root>…</root>` for one object."""
    element = ET.Element(root)
    if item is None:
        for key, value in data.items():
            _append(element, key, value)
    else:
        for record in data:
            _append(element, item, record)
    return (XML_DECLARATION + ET.tostring(element, encoding="unicode")).encode()


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def render(fmt: Format, data: Any, *, root: str, item: str | None, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    if fmt == Format.xml:
        return Response(to_xml(root, item, data), status_code=status, media_type=XML_TYPE,
                        headers=headers)
    return Response(to_json(data), status_code=status, media_type=JSON_TYPE, headers=headers)


def render_error(fmt: Format, error: Open311Error, headers: dict[str, str] | None = None
                 ) -> Response:
    body = [{"code": error.status, "description": error.description}]
    return render(fmt, body, root="errors", item="error", status=error.status, headers=headers)
