"""The member's service record (双报告) and its certificate fields, in the order the Ministry of
Civil Affairs' rules for volunteer service records give them (docs: VOLUNTEERS.md)."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import IsoDate, IsoDateTime


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
    certificate_number: str | None = Field(
        description="证明编号：本期间已出具并登记的证明编号，未出具为 null")
    issued_on: date | None = Field(description="出具日期（未出具为 null）")


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


class CertificateIssue(BaseModel):
    """POST /members/{id}/service-certificates: the period certified (defaults as the record's)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    period_from: IsoDate | None = Field(None, alias="from", description="起始日期（含）")
    period_to: IsoDate | None = Field(None, alias="to", description="结束日期（含）")


class CertificateEntry(BaseModel):
    """A certificate as registered: its number, the period and hours it certifies, who issued
    it and when."""

    number: str = Field(description="证明编号（登记编号，唯一）")
    member_id: int
    issuer_org_id: int
    issuing_org: str = Field(description="出具组织")
    org_path: str
    community_id: int | None
    period_from: date
    period_to: date
    hours: float = Field(description="证明的服务时长（小时）")
    activities: int = Field(description="证明期间参加的活动数")
    content: str = Field(description="服务内容")
    issued_by: int | None = Field(description="出具人账号")
    issued_at: IsoDateTime
