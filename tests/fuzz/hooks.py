"""Schemathesis hooks for tests/fuzz/run.py (loaded through SCHEMATHESIS_HOOKS).

Two things a schema cannot say, and what the run does about them:

- An `Idempotency-Key` names one request: a client makes a new one per request it means. The
  fuzzer draws keys from a small space ("0", "a", ...), so two different bodies would share one
  and get the documented 422 `idempotency_key_reused`. Schema-valid cases get a fresh key.
- A schema-valid request can still be refused because of the rows it refers to or the state they
  are in: an org of the wrong kind for the field (`grid_parent_not_community`), a referenced row
  that does not exist, a stale `If-Match` version (412), a file whose bytes are not the image it
  claims (415). Those answers are not schema mismatches, and the check for those is kept only
  where the refusal comes from request validation itself: a 422 whose `errors` carry a
  `location` (pydantic's, app/core/errors.py) on a schema-valid request is still a failure,
  except for the rules JSON Schema cannot state, each described in the field's or the
  operation's text: rules across fields (`lng` and `lat` together, `ends_at` after `starts_at`:
  pydantic reports them on the whole body or query, never on one field) and the ID number's
  check digit, region and birth date (GB 11643; its shape is a pattern).
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

from app.core.concurrency import IF_MATCH_PATTERN
from app.people.idcard import check_digit

# Refusals that depend on stored state, never on the request's shape (see above).
STATE_STATUSES = {409, 412, 415}


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    meta = getattr(case, "meta", None)
    positive = meta is None or meta.generation.mode.is_positive
    if not positive or not case.headers:
        return
    if "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    _refer_to_stored_rows(case, meta)
    # schemathesis 4.32's coverage phase sends `If-Match: 0` as a valid value although the
    # header's pattern (app/core/concurrency.py) excludes it: such a case is not schema-valid,
    # so it goes without the optional header instead.
    if_match = case.headers.get("If-Match")
    if if_match is not None and not re.fullmatch(IF_MATCH_PATTERN, str(if_match)):
        del case.headers["If-Match"]


def _refused_by_a_rule(response: Any) -> bool:
    if response.status_code in STATE_STATUSES:
        return True
    if response.status_code != 422:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    # Request validation (pydantic) names the location of every error; a service rule does not.
    return all("location" not in e or _unstateable(e) for e in errors)


# Messages of the GB 11643 checks after the shape (app/people/idcard.py).
ID_NUMBER_RULES = ("身份证号的地区码无效", "身份证号校验位错误", "身份证号中的出生日期无效")


def _unstateable(error: dict[str, Any]) -> bool:
    loc = error.get("loc") or []
    if len(loc) == 1 and error.get("type") == "value_error":
        return True  # a rule across fields of the body or the query
    return str(error.get("field", "")).endswith("id_number") and any(
        rule in str(error.get("message", "")) for rule in ID_NUMBER_RULES
    )


@schemathesis.hook
def filter_failure(ctx: Any, failure: Any, case: Any, response: Any) -> bool:
    if isinstance(failure, RejectedPositiveData) and _refused_by_a_rule(response):
        return False
    return True


# The stateful phase starts each scenario with a creating operation and follows its OpenAPI links
# (app/core/openapi.LINKS) only from a 201. A random body names a grid, an org, a household or a
# category that does not exist (or a webhook URL inside the network), so nearly every start was
# a 422 and no link was followed. For those starting calls the fields that refer to stored rows
# (or must be unique) are set from rows the role can see (FUZZ_STATE, written by run.py after
# seed-demo); every other field stays as generated. The other phases send what they generate.
def _state() -> dict[str, Any]:
    return json.loads(os.environ.get("FUZZ_STATE") or "{}")


# Not the `random` module: hypothesis seeds it for each case, and every resident would get the
# same ID number (409 resident_exists).
_RANDOM = random.SystemRandom()


def _id_number() -> str:
    birth = datetime(1950, 1, 1) + timedelta(days=_RANDOM.randrange(60 * 365))
    first17 = f"110101{birth:%Y%m%d}{_RANDOM.randrange(1000):03d}"
    return first17 + check_digit(first17)


def _soon(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _overlay(path: str, state: dict[str, Any]) -> dict[str, Any] | None:
    if path == "/api/v1/cases" and "case" in state:
        return {**state["case"], "attachment_ids": [], "client_ref": None}
    if path == "/api/v1/residents" and "household_id" in state:
        return {"household_id": state["household_id"], "id_number": _id_number()}
    if path == "/api/v1/activities" and "community_id" in state:
        return {"org_id": state["community_id"], "starts_at": _soon(7), "ends_at": _soon(8),
                "signup_deadline": None, "min_age": None, "max_age": None,
                "lat": None, "lng": None}
    if path == "/api/v1/tasks" and "org_id" in state:
        return {"org_id": state["org_id"], "parent_id": None, "lead_org_id": None,
                "lead_unit_id": None, "responsibles": [], "seq": None}
    if path == "/api/v1/webhooks" and "webhook_url" in state:
        return {"url": state["webhook_url"], "client_id": state["client_id"]}
    return None


def _refer_to_stored_rows(case: Any, meta: Any) -> None:
    phase = getattr(getattr(meta, "phase", None), "name", None)
    if phase != "stateful" or case.method.upper() != "POST" or not isinstance(case.body, dict):
        return
    overlay = _overlay(case.operation.path, _state())
    if overlay:
        case.body.update(overlay)
