"""OpenAPI post-processing: every error response is documented as problem+json, and every
schema has a short name a generated client can use as a class name."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.core.pagination import cursor_pattern

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
    # 500 for a bug, 503 for an outage (database or Redis unavailable, app/core/errors.py).
    wanted |= {"500", "503"}
    if authenticated:
        wanted.add("401")
    if has_input:
        wanted.add("422")
    if "requestBody" in op:
        wanted.add("400")  # malformed_json, or a body that cannot be read (http_error)
    for code in sorted(wanted):
        if code.startswith(("2", "3")):
            continue
        phrase = HTTPStatus(int(code)).phrase
        responses[code] = {"description": phrase, "content": _PROBLEM_CONTENT}


_GENERIC = re.compile(r"^(Page)_([A-Za-z0-9]+)_$")  # pydantic's name for Page[CaseRead]
_FORM_BODY = re.compile(r"^Body_[A-Za-z0-9]+-([a-z0-9_]+)$")  # FastAPI's for a form's fields


def short_name(name: str) -> str:
    """`PageCaseRead` for `Page_CaseRead_`, `ImportResidentsForm` for
    `Body_people-import_residents`; other names as they are."""
    if m := _GENERIC.match(name):
        return m.group(1) + m.group(2)
    if m := _FORM_BODY.match(name):
        return "".join(w.capitalize() for w in m.group(1).split("_")) + "Form"
    return name


def _rewrite_refs(node: Any, renamed: dict[str, str]) -> None:
    prefix = "#/components/schemas/"
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix) and ref[len(prefix):] in renamed:
            node["$ref"] = prefix + renamed[ref[len(prefix):]]
        for value in node.values():
            _rewrite_refs(value, renamed)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, renamed)


def shorten_schema_names(spec: dict[str, Any]) -> None:
    """Renames generated component names in place (and every reference to them). Two schemas
    that would get one name are an error here, not a silently numbered `..._2`."""
    schemas: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    renamed = {n: short_name(n) for n in schemas if short_name(n) != n}
    if not renamed:
        return
    taken = set(schemas) - set(renamed)
    for old, new in renamed.items():
        if new in taken:
            raise ValueError(f"OpenAPI schema {old!r} would be renamed to {new!r}, which exists")
        taken.add(new)
    spec["components"]["schemas"] = {
        renamed.get(n, n): schema for n, schema in schemas.items()
    }
    for new in renamed.values():
        # Some generators name classes by the title ("Page[CaseRead]", "Body_…"): the same.
        spec["components"]["schemas"][new]["title"] = new
    _rewrite_refs(spec, renamed)


# Strings the server refuses NUL in (app/core/routing.py): every plain string says so, so a
# generated client (or a fuzzer) knows. Strings with a format, pattern or enum say more already.
NO_NUL = "^[^\\u0000]*$"


def _no_nul(node: Any) -> None:
    if isinstance(node, dict):
        if (node.get("type") == "string" and not node.keys() & {"pattern", "format", "enum",
                                                                "const", "contentMediaType"}):
            node["pattern"] = NO_NUL
        for value in node.values():
            _no_nul(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul(value)


def _no_null_parameters(op: dict[str, Any]) -> None:
    """A query parameter or header is there or not: it has no null (FastAPI writes an optional
    one as `anyOf: [X, null]`, and a client would send the text "null")."""
    for param in op.get("parameters", []):
        schema = param.get("schema", {})
        options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
        if len(options) == 1 and len(schema["anyOf"]) == 2:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            param["schema"] = {**options[0], **rest}


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _json_schema_bounds(node: Any) -> None:
    """pydantic writes a number's bounds as `ge`/`le` (not JSON Schema) when they are given on an
    optional field whose type has a validator of its own (`Int | None = Field(None, ge=1)`,
    app/core/inputs.py); validation still applies them, so the document says them properly."""
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            for short, full in _BOUNDS.items():
                if short in node:
                    node[full] = node.pop(short)
        for value in node.values():
            _json_schema_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _json_schema_bounds(value)


def _cursor_patterns(path: str, op: dict[str, Any]) -> None:
    """A list's `cursor` matches only cursors that list makes (app/core/pagination.py)."""
    for param in op.get("parameters", []):
        if param.get("name") == "cursor" and param.get("in") == "query":
            schema = param.get("schema", {})
            for option in schema.get("anyOf", [schema]):
                if option.get("type") == "string":
                    option["pattern"] = cursor_pattern(path)


# Where a created resource goes next, as OpenAPI links on the creating operation's 201 response:
# generated clients can follow them, and schemathesis's stateful phase (tests/fuzz/run.py) runs
# create → read → change sequences from them instead of guessing ids. One row per creating
# operation: {target operationId: {target parameter: runtime expression}}.
_NEW_ID = "$response.body#/id"
LINKS: dict[str, dict[str, dict[str, str]]] = {
    "cases-create_case": {
        "cases-get_case": {"case_id": _NEW_ID},
        "cases-case_timeline": {"case_id": _NEW_ID},
        "cases-transition_case": {"case_id": _NEW_ID},
        "cases-add_case_attachment": {"case_id": _NEW_ID},
    },
    "people-create_resident": {
        "people-get_resident": {"resident_id": _NEW_ID},
        "people-reveal_resident": {"resident_id": _NEW_ID},
    },
    "activities-create_activity": {
        "activities-get_activity": {"activity_id": _NEW_ID},
        "activities-update_activity": {"activity_id": _NEW_ID},
        "activities-list_signups": {"activity_id": _NEW_ID},
        "activities-sign_up": {"activity_id": _NEW_ID},
        "activities-cancel_activity": {"activity_id": _NEW_ID},
    },
    "activities-sign_up": {
        f"activities-{name}": {"activity_id": "$request.path.activity_id", "signup_id": _NEW_ID}
        for name in ("checkin_code", "check_in", "check_out", "correct_attendance",
                     "cancel_signup")
    },
    "tasks-create_task": {
        "tasks-get_task": {"task_id": _NEW_ID},
        "tasks-update_task": {"task_id": _NEW_ID},
        "tasks-list_task_reports": {"task_id": _NEW_ID},
        "tasks-create_task_report": {"task_id": _NEW_ID},
        "tasks-delete_task": {"task_id": _NEW_ID},
    },
    "tasks-create_task_report": {
        "tasks-get_task_report": {"task_id": "$request.path.task_id", "report_id": _NEW_ID},
        "tasks-update_task_report": {"task_id": "$request.path.task_id", "report_id": _NEW_ID},
    },
    "webhooks-create_webhook": {
        "webhooks-get_webhook": {"webhook_id": _NEW_ID},
        "webhooks-list_webhook_deliveries": {"webhook_id": _NEW_ID},
        "webhooks-delete_webhook": {"webhook_id": _NEW_ID},
    },
}


def _add_links(spec: dict[str, Any]) -> None:
    """Writes LINKS into the 201 responses. A row naming an operation, a response or a
    parameter the document does not have is an error here (the table went stale), not a link
    a client would fail on."""
    ops = {op["operationId"]: op for item in spec.get("paths", {}).values()
           for op in item.values() if "operationId" in op}
    for source, targets in LINKS.items():
        created = ops[source]["responses"].get("201") if source in ops else None
        if created is None:
            raise ValueError(f"OpenAPI link source {source!r} has no 201 response")
        for target, parameters in targets.items():
            known = {p["name"] for p in ops.get(target, {}).get("parameters", [])
                     if p.get("in") == "path"}
            if target not in ops or not set(parameters) <= known:
                raise ValueError(f"OpenAPI link {source!r} → {target!r}: no such operation "
                                 f"or path parameters {sorted(set(parameters) - known)}")
            created.setdefault("links", {})[target] = {
                "operationId": target, "parameters": dict(parameters)}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, description=app.description,
                       routes=app.routes)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    shorten_schema_names(spec)
    for path, item in spec.get("paths", {}).items():
        for op in item.values():
            _no_null_parameters(op)
            _cursor_patterns(path, op)
            _document_errors(
                op,
                authenticated=bool(op.get("security")),
                has_input=bool(op.get("parameters") or op.get("requestBody")),
            )
    _no_nul(spec.get("paths", {}))
    _no_nul(schemas)
    _json_schema_bounds(spec)
    _add_links(spec)
    app.openapi_schema = spec
    return spec
