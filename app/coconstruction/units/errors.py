"""The errors of units and their registrations."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound


class UnitNotFound(NotFound):
    code, zh, en = "unit_not_found", "单位不存在", "Unit not found"


class UnitCodeTaken(Conflict):
    code, zh, en = "unit_code_taken", "单位编码已被使用", "Unit code already in use"


class UnitRegistrationNotFound(NotFound):
    code = "unit_registration_not_found"
    zh, en = "单位报到记录不存在", "Unit registration not found"


class AlreadyRegistered(Conflict):
    code = "unit_already_registered"
    zh, en = "该单位已在此社区报到", "The unit is already registered with this community"


class RegistrationNotActive(Conflict):
    code = "registration_not_active"
    zh, en = "报到记录已结束", "The registration has already ended"


class CommunityNotFound(NotFound):
    code, zh, en = "community_not_found", "社区不存在", "Community not found"
