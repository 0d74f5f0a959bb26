"""The errors the audit domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import Unprocessable


class AuditRangeInvalid(Unprocessable):
    code, zh, en = "audit_range_invalid", "起始时间须早于结束时间", "`from` must be before `to`"
