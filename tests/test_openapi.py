"""The committed OpenAPI document is the app's, and it tells clients everything they need."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli import main as cli_main

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
