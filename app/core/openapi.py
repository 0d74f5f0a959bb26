"""OpenAPI post-processing: every error response is documented as problem+json."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is stable, `detail` is localised.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_PROBLEM_CONTENT = {"application/problem+json": {"schema": _PROBLEM_REF}}


def operation_id(route: Any) -> str:
    """Readable ids for generated clients and metrics labels: "<tag>-<function name>"."""
    tags = getattr(route, "tags", None)
    name = str(getattr(route, "name", "unnamed"))
    return f"{tags[0]}-{name}" if tags else name


def _document_errors(op: dict[str, Any], *, authenticated: bool, has_input: bool) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    wanted = set(responses)
    wanted.add("500")
    if authenticated:
        wanted.add("401")
    if has_input:
        wanted.add("422")
    for code in sorted(wanted):
        if code.startswith(("2", "3")):
            continue
        phrase = HTTPStatus(int(code)).phrase
        responses[code] = {"description": phrase, "content": _PROBLEM_CONTENT}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, description=app.description,
                       routes=app.routes)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for item in spec.get("paths", {}).values():
        for op in item.values():
            _document_errors(
                op,
                authenticated=bool(op.get("security")),
                has_input=bool(op.get("parameters") or op.get("requestBody")),
            )
    app.openapi_schema = spec
    return spec
