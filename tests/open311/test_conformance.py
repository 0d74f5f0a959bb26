"""Schemathesis against the Open311 community's own description of GeoReport v2.

`open311-georeport-v2.swagger.json` is the open311/schema-validation project's Swagger 2.0 file,
© the Open311 community, licensed CC BY 3.0 (http://creativecommons.org/licenses/by/3.0/);
copied unchanged from ../shared/conformance/. Adapted here, in memory, where the file and the
GeoReport v2 specification (our docs/OPEN311.md) part ways:

- `/request/{id}` (singular, one object) is dropped; `requests/{id}` as the spec has it (an
  array of one) is added in its place.
- `tokens/{id}` answers an array like every Open311 container (the file says one object).
- Properties a definition does not require are `x-nullable`: the file's own examples carry
  `"status_notes": null`, `"account_id": null`, `"datatype_description": null`; Swagger 2.0
  cannot say so otherwise.
- Open311's errors (400, 403, 404 with `[{"code", "description"}]`) are documented on every
  operation; the file lists almost none and a 401 that the spec turns into 404.
- `response_format` is pinned to json (and, in a second run, xml: only the status and content
  type are checked there, schemathesis validates JSON bodies only). `jurisdiction_id` is pinned
  to the configured one and `api_key` is the test client's, sent in the query string; a third
  run sends the reads without any key (public reads).

Calls go in-process through the test's own httpx client (so they run inside the test's
rolled-back transaction); schemathesis generates the cases (derandomized: the same every run)
and judges the responses. Bounded: a few examples per operation and generation mode.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis import openapi as st_openapi
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import World
from tests.open311.helpers import BASE, centre

SPEC = Path(__file__).with_name("open311-georeport-v2.swagger.json")
EXAMPLES = 10
ERRORS_SCHEMA = {
    "type": "array", "minItems": 1,
    "items": {"type": "object", "required": ["code", "description"],
              "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}},
}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


def adapted() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(SPEC.read_text())
    spec = copy.deepcopy(raw)
    paths = spec["paths"]
    single = paths.pop("/request/{service_request_id}.{response_format}")
    single["get"]["responses"]["200"]["schema"] = {
        "type": "array", "minItems": 1, "maxItems": 1, "items": {"$ref": "#/definitions/Request"}}
    paths["/requests/{service_request_id}.{response_format}"] = single
    paths["/tokens/{token_id}.{response_format}"]["get"]["responses"]["200"]["schema"] = {
        "type": "array", "items": {"$ref": "#/definitions/TokenResponse"}}
    for definition in spec["definitions"].values():
        required = set(definition.get("required", []))
        for name, prop in definition.get("properties", {}).items():
            if name not in required:
                prop["x-nullable"] = True
    for item in paths.values():
        for op in item.values():
            for status in ("400", "403", "404"):
                op["responses"][status] = {"description": "Open311 error",
                                           "schema": ERRORS_SCHEMA}
    return spec


def draw(operation: Any, mode: GenerationMode, count: int, fmt: str, **query: Any
         ) -> list[Case]:
    found: list[Case] = []
    # Pinned outside generation, so negative data goes into the arguments, not the extension.
    fixed = {"response_format": fmt}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed, query=query)

    @given(strategy)
    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def collect(case: Case) -> None:
        found.append(case)

    try:
        collect()
    except Unsatisfiable:  # nothing left to negate once the format and jurisdiction are pinned
        assert mode == GenerationMode.NEGATIVE
    return found


def cases_for(fmt: str, world: World, jurisdiction: str) -> list[Case]:
    schema = st_openapi.from_dict(adapted())
    lat, lng = centre(world, 0)
    out: list[Case] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            out += draw(operation, mode, EXAMPLES, fmt, jurisdiction_id=jurisdiction)
        if operation.method.upper() == "POST":
            # Well-formed reports too, so the success path is judged, not only the errors.
            out += draw(operation, GenerationMode.POSITIVE, EXAMPLES, fmt,
                        jurisdiction_id=jurisdiction, service_code="C0101", lat=lat, long=lng)
    return out


async def exercise(client: Any, cases: list[Case], key: str | None) -> dict[str, int]:
    """Sends each case with `key` as its api_key (None: without one) and judges the answer."""
    statuses: dict[str, int] = {}
    failures: list[str] = []
    for case in cases:
        query = {k: v for k, v in (case.query or {}).items() if k != "api_key"}
        case.query = query if key is None else {**query, "api_key": key}
        kwargs = case.as_transport_kwargs(base_url=f"http://test{BASE}")
        response = await client.request(
            kwargs["method"], kwargs["url"], params=kwargs.get("params"),
            headers={k: v for k, v in kwargs["headers"].items() if k.lower() != "connection"},
            data=kwargs.get("data"), content=kwargs.get("content"))
        label = f"{case.method} {case.path} {response.status_code}"
        statuses[label] = statuses.get(label, 0) + 1
        checks = CHECKS + ([negative_data_rejection] if _negative(case) else [])
        try:
            case.validate_response(response, checks=checks)
        except Exception as exc:  # the report names every failed check and the request
            failures.append(f"{label}: {exc}")
    assert not failures, "\n\n".join(failures[:5])
    return statuses


def _negative(case: Case) -> bool:
    """Negative data must be rejected, unless an argument was sent empty: OPEN311.md reads an
    empty optional argument as one not sent (schemathesis counts `status=` as a bad enum)."""
    if case.meta is None or case.meta.generation.mode != GenerationMode.NEGATIVE:
        return False
    return all(v != "" and v != [""] for v in (case.query or {}).values())


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_conforms_to_the_open311_schema(client, world: World, key: str,
                                              jurisdiction: str, fmt: str):
    cases = cases_for(fmt, world, jurisdiction)
    statuses = await exercise(client, cases, key)
    # Not only errors: the success paths were judged too.
    assert any(label.startswith("POST") and label.endswith(" 200") for label in statuses)
    assert any(label.startswith("GET /requests.") and label.endswith(" 200")
               for label in statuses)


async def test_keyless_reads_conform_to_the_open311_schema(client, world: World,
                                                           jurisdiction: str):
    cases = [c for c in cases_for("json", world, jurisdiction) if c.method.upper() == "GET"]
    statuses = await exercise(client, cases, None)
    assert any(label.startswith("GET /requests.") and label.endswith(" 200")
               for label in statuses)
    assert not any(label.endswith(" 403") for label in statuses)
