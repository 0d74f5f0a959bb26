"""The 双报到 workflow in one table: which action moves which status, and who takes it.

`by` says who acts: "staff" needs `registrations:review` at the community registered with;
"member" is the registered member themself (nobody else may withdraw or move them).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.registrations.schemas import RegStatus

S = RegStatus
# Pending or approved: what the one-active-registration rule (`active_member_id`) counts.
ACTIVE = frozenset({S.pending, S.approved})


class Action(StrEnum):
    approve = "approve"
    reject = "reject"
    withdraw = "withdraw"
    move = "move"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[RegStatus]
    target: RegStatus
    by: str  # "staff" | "member"


RULES: dict[Action, Rule] = {
    Action.approve: Rule(frozenset({S.pending}), S.approved, "staff"),
    # Rejecting after approval is how a community drops a member who never shows up.
    Action.reject: Rule(ACTIVE, S.rejected, "staff"),
    Action.withdraw: Rule(ACTIVE, S.withdrawn, "member"),
    Action.move: Rule(ACTIVE, S.ended, "member"),
}
