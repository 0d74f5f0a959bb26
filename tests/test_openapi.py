"""The committed OpenAPI document is the app's, and it tells clients everything they need."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.cli import main as cli_main
from app.core import openapi
from app.core.openapi import LINKS, shorten_schema_names
from app.core.permissions import Role
from tests.cases.helpers import body as case_body

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_committed_document_matches_the_app(app, tmp_path):
    out = tmp_path / "openapi.json"
    assert cli_main(["export-openapi", "--output", str(out)]) == 0
    assert SPEC_PATH.exists(), "run `make openapi` and commit openapi/openapi.json"
    assert json.loads(out.read_text()) == json.loads(SPEC_PATH.read_text()), (
        "openapi/openapi.json is stale: run `make openapi` and commit it"
    )


def _operations(app):
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_operation_ids_are_readable_and_unique(app):
    ids = [op["operationId"] for _, _, op in _operations(app)]
    assert len(ids) == len(set(ids))
    assert all("-" in i and "_get" not in i and "_post" not in i for i in ids), ids


def test_every_error_response_is_problem_json(app):
    for path, method, op in _operations(app):
        errors = {c: r for c, r in op["responses"].items() if c[0] in "45"}
        assert "500" in errors, (method, path)
        for code, resp in errors.items():
            assert "application/problem+json" in resp.get("content", {}), (method, path, code)


def test_every_creating_post_takes_an_idempotency_key(app):
    for path, method, op in _operations(app):
        if method == "post" and "201" in op["responses"]:
            names = {p["name"] for p in op.get("parameters", [])}
            assert "Idempotency-Key" in names, f"{path} creates but ignores Idempotency-Key"


def test_schema_names_are_short_unique_identifiers(app):
    """Generated clients turn component names into class names: no module paths
    (`app__registrations__schemas__RegistrationCreate`), no `Page_X_` or `Body_tag-name`."""
    names = list(app.openapi()["components"]["schemas"])
    bad = [n for n in names if "__" in n or not re.fullmatch(r"[A-Z][A-Za-z0-9]*", n)]
    assert not bad, bad
    assert len(names) == len(set(names))
    assert {
        "PageRegistrationRead",
        "RegistrationCreate",
        "UnitRegistrationCreate",
        "ImportResidentsForm",
    } <= set(names)


def test_every_reference_names_an_existing_schema(app):
    spec = app.openapi()
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert refs <= set(spec["components"]["schemas"])


def test_short_names_refuse_a_collision():
    spec = {
        "components": {
            "schemas": {
                "Page_CaseRead_": {"title": "Page[CaseRead]"},
                "PageCaseRead": {"title": "PageCaseRead"},
            }
        }
    }
    with pytest.raises(ValueError, match="PageCaseRead"):
        shorten_schema_names(spec)


def test_short_names_rewrite_references():
    spec = {
        "components": {"schemas": {"Page_X_": {"title": "Page[X]"}}},
        "paths": {
            "/x": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Page_X_"}
                                }
                            }
                        }
                    }
                }
            }
        },
    }
    shorten_schema_names(spec)
    assert spec["components"]["schemas"] == {"PageX": {"title": "PageX"}}
    assert "Page_X_" not in json.dumps(spec)


def test_one_name_for_each_path_parameter(app):
    """A resource's id has one name everywhere (`/cases/{case_id}`, `/cases/{case_id}/timeline`),
    named after it, so a generated client's methods agree (the repository's API.md uses the
    same names)."""
    names: dict[str, set[str]] = {}
    for path in app.openapi()["paths"]:
        if not path.startswith("/api/v1/"):
            continue
        # The collection a parameter names a member of: "cases", "units/{}/registrations".
        collection: list[str] = []
        for segment in path.removeprefix("/api/v1/").split("/"):
            if segment.startswith("{"):
                names.setdefault("/".join(collection), set()).add(segment.strip("{}"))
                collection.append("{}")
            else:
                collection.append(segment)
    assert all(len(n) == 1 for n in names.values()), {k: v for k, v in names.items() if len(v) > 1}
    assert all(n.endswith("_id") for v in names.values() for n in v), names


def test_the_contract_in_docs_names_paths_as_the_document_does(app):
    """docs/API.md is the contract clients are written against: every path it names with a
    parameter is in the OpenAPI document, spelled the same (one naming, not two)."""
    contract = (Path(__file__).resolve().parent.parent / "docs" / "API.md").read_text()
    paths = set(app.openapi()["paths"])
    named = {m.group(2).split("?")[0] for m in re.finditer(
        r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*\{[^`\s]*)`", contract)}
    assert named, "no parameterised paths found in docs/API.md"
    missing = sorted(p for p in named
                     if (p if p.startswith("/open311") else f"/api/v1{p}") not in paths)
    assert not missing, missing


def _ops_by_id(spec):
    return {op["operationId"]: (path, op) for path, item in spec["paths"].items()
            for op in item.values()}


def _schema(spec, node):
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_links_resolve_to_real_operations_and_parameters(app):
    """Every link on a 201 names an operation of the document, fills exactly its path
    parameters, from a field the created resource has or a path parameter of the request."""
    spec = app.openapi()
    ops = _ops_by_id(spec)
    seen = 0
    for source_path, source in ops.values():
        for code, response in source["responses"].items():
            for name, link in response.get("links", {}).items():
                seen += 1
                assert code == "201", (source["operationId"], code)
                assert link["operationId"] in ops and name == link["operationId"], name
                _, target = ops[link["operationId"]]
                path_params = {p["name"] for p in target.get("parameters", [])
                               if p["in"] == "path"}
                assert set(link["parameters"]) == path_params, (name, path_params)
                body = _schema(spec, response["content"]["application/json"]["schema"])
                for expression in link["parameters"].values():
                    if expression.startswith("$response.body#/"):
                        assert expression.split("/", 1)[1] in body["properties"], expression
                    else:
                        assert expression.startswith("$request.path."), expression
                        assert "{" + expression.rsplit(".", 1)[1] + "}" in source_path
    assert seen == sum(len(targets) for targets in LINKS.values())


def test_the_main_creating_operations_link_onwards(app):
    ops = _ops_by_id(app.openapi())
    wanted = {
        "cases-create_case": {"cases-get_case", "cases-case_timeline", "cases-transition_case"},
        "people-create_resident": {"people-get_resident"},
        "activities-create_activity": {"activities-get_activity", "activities-sign_up"},
        "activities-sign_up": {"activities-check_in"},
        "tasks-create_task": {"tasks-get_task", "tasks-create_task_report"},
        "webhooks-create_webhook": {"webhooks-get_webhook"},
    }
    for source, targets in wanted.items():
        assert targets <= set(ops[source][1]["responses"]["201"].get("links", {})), source


def test_a_stale_link_row_stops_the_document(monkeypatch):
    spec = {"paths": {"/x": {"post": {"operationId": "x-create", "responses": {"201": {}}}},
                      "/x/{x_id}": {"get": {"operationId": "x-get", "parameters": [
                          {"name": "x_id", "in": "path", "required": True}]}}}}
    monkeypatch.setattr(openapi, "LINKS", {"x-create": {"x-get": {"x_id": "$response.body#/id"}}})
    openapi._add_links(spec)
    assert spec["paths"]["/x"]["post"]["responses"]["201"]["links"]["x-get"]["parameters"] == {
        "x_id": "$response.body#/id"}
    for bad in ({"x-gone": {"x_id": "$response.body#/id"}},
                {"x-get": {"y_id": "$response.body#/id"}}):
        monkeypatch.setattr(openapi, "LINKS", {"x-create": bad})
        with pytest.raises(ValueError, match="OpenAPI link"):
            openapi._add_links(spec)


async def test_following_the_case_links_reaches_the_created_case(app, client, auth, world):
    """The links work as a client follows them: the created case's id, put where the link
    says, reads the case, its timeline, and moves it on."""
    reporter = world.user(Role.grid_worker, "s1c1g1")
    created = await client.post("/api/v1/cases", headers=auth(reporter), json=case_body(0))
    assert created.status_code == 201, created.text
    ops = _ops_by_id(app.openapi())
    links = ops["cases-create_case"][1]["responses"]["201"]["links"]
    for target in ("cases-get_case", "cases-case_timeline"):
        path, _ = ops[target]
        for name, expression in links[target]["parameters"].items():
            value = created.json()[expression.removeprefix("$response.body#/")]
            path = path.replace("{" + name + "}", str(value))
        r = await client.get(path, headers=auth(reporter))
        assert r.status_code == 200, (target, r.text)
