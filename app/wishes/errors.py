"""The errors the wishes domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound


class WishNotFound(NotFound):
    code, zh, en = "wish_not_found", "微心愿不存在", "Wish not found"


class InvalidTransition(Conflict):
    code = "wish_invalid_transition"
    zh, en = "当前状态不允许此操作", "Not allowed from the wish's current status"


class NotClaimant(Forbidden):
    code, zh, en = "wish_not_claimant", "只有认领人可以操作", "Only the claimant may do this"


class NotPoster(Forbidden):
    code = "wish_not_poster"
    zh, en = "只有发布人或管理员可以取消", "Only the poster or an admin may cancel"


class RegistrationRequired(Forbidden):
    code = "wish_registration_required"
    zh, en = ("须在该社区报到并通过审核后才能认领",
              "Only members approved by this community (双报到) may claim")


class NotUnitLiaison(Forbidden):
    code = "wish_not_unit_liaison"
    zh, en = "您不是该单位的联络员", "You are not this unit's liaison"


class UnitNotRegistered(Forbidden):
    code = "unit_not_registered"
    zh, en = "该单位未到此社区报到", "The unit is not registered with this community"
