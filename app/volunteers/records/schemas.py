"""The member's service record (双报告) and its certificate fields, in the order the Ministry of
Civil Affairs' rules for volunteer service records give them (docs: VOLUNTEERS.md)."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime

from pydantic import BaseModel, Field


class ServiceItem(BaseModel):
    """One activity served in the period (checked out or corrected by the organiser)."""

    activity_id: int
    date: dt.date = Field(description="服务日期（北京时间）")
    span: str = Field(description="服务时段，如 09:00-11:00（北京时间）")
    hours: float = Field(description="核定服务时长（小时，一位小数）")
    content: str = Field(description="服务内容：活动名称与类别")
    organiser: str = Field(description="组织方（谁记录谁证明）")
    started_at: datetime
    ended_at: datetime


class Certificate(BaseModel):
    """志愿服务记录证明: these fields, in this order."""

    name: str | None = Field(description="姓名（脱敏）")
    id_type: str = Field(description="证件类型")
    id_number: str | None = Field(description="证件号码（脱敏）")
    volunteer_number: str = Field(description="志愿者编号")
    hours: float = Field(description="期间服务时长合计（小时）")
    content: str = Field(description="期间服务内容")
    issuing_org: str = Field(description="出具组织")
    person_in_charge: str | None = Field(description="组织负责人")
    contact: str | None = Field(description="联系方式（脱敏）")
    certificate_number: str = Field(description="证明编号")
    issued_on: date = Field(description="出具日期")


class ServiceRecord(BaseModel):
    member_id: int
    org_path: str = Field(description="党员所在党组织的路径")
    work_unit: str | None
    period_from: date
    period_to: date
    activities: list[ServiceItem]
    hours_total: float
    wishes_fulfilled: int = Field(description="期间完成的微心愿")
    cases_reported: int = Field(description="期间上报的案件")
    points_earned: int = Field(description="期间所得积分（服务、核定补差、规则奖励）")
    points_balance: int = Field(description="当前积分余额")
    certificate: Certificate
