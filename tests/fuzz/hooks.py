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
  `location` (pydantic's, app/core/errors.py) on a schema-valid request is still a failure.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

# Refusals that depend on stored state, never on the request's shape (see above).
STATE_STATUSES = {409, 412, 415}


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    meta = getattr(case, "meta", None)
    positive = meta is None or meta.generation.mode.is_positive
    if positive and case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex


def _refused_by_a_rule(response: Any) -> bool:
    if response.status_code in STATE_STATUSES:
        return True
    if response.status_code != 422:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    errors = body.get("errors") or []
    # Request validation (pydantic) names the location of every error; a service rule does not.
    return not any("location" in e for e in errors if isinstance(e, dict))


@schemathesis.hook
def filter_failure(ctx: Any, failure: Any, case: Any, response: Any) -> bool:
    if isinstance(failure, RejectedPositiveData) and _refused_by_a_rule(response):
        return False
    return True
