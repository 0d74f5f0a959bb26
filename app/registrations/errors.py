"""The errors the registrations domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound


class RegistrationNotFound(NotFound):
    code, zh, en = "registration_not_found", "报到记录不存在", "Registration not found"


class CommunityNotFound(NotFound):
    code, zh, en = "community_not_found", "社区不存在", "Community not found"


class MemberNotLinked(Forbidden):
    code = "member_not_linked"
    zh, en = "当前账号未关联党员信息", "This account is not linked to a party member"


class RegistrationActive(Conflict):
    code = "registration_active"
    zh, en = "已有待审核或已通过的报到，请先撤回或迁移", "An active registration already exists"


class InvalidTransition(Conflict):
    code = "registration_invalid_transition"
    zh, en = "当前状态不允许此操作", "Not allowed from the registration's current status"


class NotOwner(Forbidden):
    code = "registration_not_owner"
    zh, en = "只有报到党员本人可以操作", "Only the registered member may do this"
