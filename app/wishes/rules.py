"""The 微心愿 workflow in one table.

`by` says who may take the action, beyond holding `permission` where the wish is:
"claimer" — a member with an approved registration in the wish's community, or the liaison of a
unit registered there; "claimant" — whoever claimed it; "grid" — wishes:write over the wish's
grid; "poster" — the user who posted it, or an admin above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.permissions import Perm
from app.wishes.schemas import WishStatus

S = WishStatus


class Action(StrEnum):
    claim = "claim"
    fulfil = "fulfil"
    confirm = "confirm"
    release = "release"
    cancel = "cancel"


@dataclass(frozen=True)
class Rule:
    sources: frozenset[WishStatus]
    target: WishStatus
    permission: Perm
    by: str


RULES: dict[Action, Rule] = {
    Action.claim: Rule(frozenset({S.posted}), S.claimed, Perm.wish_claim, "claimer"),
    Action.fulfil: Rule(frozenset({S.claimed}), S.fulfilled, Perm.wish_claim, "claimant"),
    Action.confirm: Rule(frozenset({S.fulfilled}), S.confirmed, Perm.wish_write, "grid"),
    Action.release: Rule(frozenset({S.claimed}), S.posted, Perm.wish_claim, "claimant"),
    Action.cancel: Rule(frozenset({S.posted, S.claimed}), S.cancelled, Perm.wish_write,
                        "poster"),
}
