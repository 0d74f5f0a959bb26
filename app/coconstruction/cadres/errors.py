"""The errors of seconded cadres."""

from __future__ import annotations

from app.core.errors import NotFound


class CadreNotFound(NotFound):
    code, zh, en = "cadre_not_found", "下沉干部不存在", "Seconded cadre not found"


class SummaryOrgNotFound(NotFound):
    code, zh, en = "org_not_found", "组织不存在", "Organisation not found"
