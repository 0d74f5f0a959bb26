"""The committed OpenAPI document is the app's, and it tells clients everything they need."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.cli import main as cli_main
from app.core.openapi import shorten_schema_names

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
