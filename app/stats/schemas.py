from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.core.inputs import Id, Int, IsoDateTime, Number

GroupBy = Literal["grid", "community", "street", "category", "reporter", "assignee"]
Interval = Literal["day", "week", "month"]


class CaseKpis(BaseModel):
    reported: Int = Field(description="期间上报数")
    accepted: Int = Field(description="其中已受理（立案）数")
    closed: Int = Field(description="其中已结案数")
    closure_rate: Number | None = Field(description="结案率 = 结案 / 上报")
    on_time_rate: Number | None = Field(description="按期结案率 = 期限内结案 / 结案")
    rework_rate: Number | None = Field(description="返工率 = 有返工的结案 / 结案")
    return_rate: Number | None = Field(description="回退率 = 被退回过的 / 曾派遣")
    mean_hours_to_close: Number | None = Field(description="平均结案用时（小时，自然时）")


class KpiGroup(CaseKpis):
    key: str
    label: str | None = None


class KpiPeriod(CaseKpis):
    period: str = Field(description="期间起点（Asia/Shanghai 日期）")


class CaseStats(BaseModel):
    org_id: Id
    from_: IsoDateTime = Field(alias="from")
    to: IsoDateTime
    totals: CaseKpis
    groups: list[KpiGroup] = []
    series: list[KpiPeriod] = []

    model_config = {"populate_by_name": True}
