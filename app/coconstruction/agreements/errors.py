"""The errors of agreements, their projects and reports."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.i18n import t


class AgreementNotFound(NotFound):
    code, zh, en = "agreement_not_found", "共建协议不存在", "Agreement not found"


class ProjectNotFound(NotFound):
    code, zh, en = "project_not_found", "共建项目不存在", "Project not found"


class UnitNotRegistered(Unprocessable):
    code = "unit_not_registered"
    zh = "该单位未在此社区报到，不能签订共建协议"
    en = "The unit is not registered with this community"

    def __init__(self) -> None:
        super().__init__(errors=[{"field": "unit_id", "message": t(self.zh, self.en)}])


class AgreementInvalidTransition(Conflict):
    code = "agreement_invalid_transition"
    zh, en = "协议当前状态不允许此变更", "Not allowed from the agreement's current status"


class AgreementNotActive(Conflict):
    code = "agreement_not_active"
    zh, en = "协议已结束，不能再添加项目", "The agreement is no longer active"


class ProjectInvalidTransition(Conflict):
    code = "project_invalid_transition"
    zh = "项目状态只能依次变为：计划中 → 进行中 → 已完成"
    en = "A project goes planned → in_progress → done"


class ReportSideForbidden(Forbidden):
    code = "report_side_forbidden"
    zh = "单位联络员报告单位一方，社区工作人员报告社区一方"
    en = "The unit's liaison reports for the unit, community staff for the community"
