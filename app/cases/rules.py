"""The case workflow in one table: which action moves which status, and what it takes.

`on` says whose permission decides: "case" checks the permission on the case's own grid path;
"handler" on the org it was dispatched to (a unit outside the community may handle it).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.cases.schemas import Action, Status
from app.core.permissions import Perm

S = Status
OPEN = frozenset({S.reported, S.accepted, S.dispatched, S.in_progress})
FINAL = frozenset({S.closed, S.rejected})
# Not done yet, though perhaps paused: what a duplicate report may belong to.
UNFINISHED = OPEN | {S.suspended}


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status | None  # None: decided by the action (resume returns to where it was)
    permission: Perm
    on: str = "case"
    needs_note: bool = False


RULES: dict[Action, Rule] = {
    Action.accept: Rule(frozenset({S.reported}), S.accepted, Perm.case_dispatch),
    Action.reject: Rule(frozenset({S.reported}), S.rejected, Perm.case_dispatch, needs_note=True),
    Action.dispatch: Rule(frozenset({S.accepted}), S.dispatched, Perm.case_dispatch),
    Action.start: Rule(frozenset({S.dispatched}), S.in_progress, Perm.case_handle, "handler"),
    Action.resolve: Rule(frozenset({S.in_progress}), S.resolved, Perm.case_handle, "handler"),
    Action.return_: Rule(frozenset({S.dispatched}), S.accepted, Perm.case_handle, "handler",
                         needs_note=True),
    Action.verify: Rule(frozenset({S.resolved}), S.closed, Perm.case_verify),
    Action.rework: Rule(frozenset({S.resolved}), S.in_progress, Perm.case_verify,
                        needs_note=True),
    Action.suspend: Rule(frozenset({S.accepted, S.dispatched, S.in_progress}), S.suspended,
                         Perm.case_admin, needs_note=True),
    Action.resume: Rule(frozenset({S.suspended}), None, Perm.case_admin),
    Action.self_resolve: Rule(frozenset({S.reported}), S.closed, Perm.case_handle),
    Action.merge: Rule(OPEN, S.closed, Perm.case_dispatch),
}


def allowed_actions(status: Status) -> list[Action]:
    return [a for a, r in RULES.items() if status in r.sources]
