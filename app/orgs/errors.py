"""The errors the orgs domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound, Unprocessable


class OrgNotFound(NotFound):
    code, zh, en = "org_not_found", "组织不存在", "Organisation not found"


class OrgKindNotAllowed(Unprocessable):
    code = "org_kind_not_allowed"


class OrgNotEmpty(Conflict):
    code = "org_not_empty"
    zh, en = "该组织下仍有下级组织或数据，不能删除", "The organisation is not empty"


class OrgCodeTaken(Conflict):
    code, zh, en = "org_code_taken", "组织编码已被使用", "Organisation code already in use"
