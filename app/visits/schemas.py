from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import Id, Int, IsoAwareDateTime, IsoDateTime, Number

Crs = Literal["wgs84", "gcj02"]


class Purpose(StrEnum):
    routine = "routine"
    care = "care"
    dispute = "dispute"
    survey = "survey"
    policy = "policy"
    other = "other"


PURPOSE_LABELS: dict[Purpose, str] = {
    Purpose.routine: "日常走访",
    Purpose.care: "重点人群关怀",
    Purpose.dispute: "矛盾调解",
    Purpose.survey: "信息采集",
    Purpose.policy: "政策宣传",
    Purpose.other: "其他",
}
_PURPOSES = "；".join(f"{p.value} {label}" for p, label in PURPOSE_LABELS.items())
_HOUSEHOLD = "走访的住户，如“3栋2单元501”（人房信息库建成前为自由文本）"
_HOUSEHOLD_ID = "人房信息库中的住户 id（须为同一网格、本人可见的住户）"
_NOTES = "走访情况；可能含个人信息，仅在权限范围内可见，不写入日志"


class VisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grid_id: Id = Field(description="住户所在网格（须为本人任职的网格）")
    household_ref: str = Field(min_length=1, max_length=100, description=_HOUSEHOLD)
    household_id: Id | None = Field(None, description=_HOUSEHOLD_ID)
    address: str | None = Field(None, max_length=255)
    visited_at: IsoAwareDateTime = Field(description="走访时间（带时区），不能晚于当前时间")
    purpose: Purpose = Field(description=_PURPOSES)
    notes: str | None = Field(None, max_length=2000, description=_NOTES)
    people_met: Int | None = Field(None, ge=0, le=99, description="见到的人数；0 为无人在家")
    follow_up_case_id: Id | None = Field(None, description="需跟进的案件（须本人可见）")
    lng: Number | None = Field(None, ge=-180, le=180)
    lat: Number | None = Field(None, ge=-90, le=90)
    crs: Crs = Field("wgs84", description="坐标系：微信小程序定位为 gcj02")
    client_ref: str | None = Field(
        None, min_length=1, max_length=64,
        description="手机离线生成的唯一编号（UUID）；重复提交返回原记录",
    )


class VisitUpdate(BaseModel):
    """Fields to correct; null clears an optional one. The grid cannot change."""

    model_config = ConfigDict(extra="forbid")
    household_ref: str | None = Field(None, min_length=1, max_length=100)
    household_id: Id | None = Field(None, description=_HOUSEHOLD_ID)
    address: str | None = Field(None, max_length=255)
    visited_at: IsoAwareDateTime | None = None
    purpose: Purpose | None = None
    notes: str | None = Field(None, max_length=2000)
    people_met: Int | None = Field(None, ge=0, le=99)
    follow_up_case_id: Id | None = None
    lng: Number | None = Field(None, ge=-180, le=180)
    lat: Number | None = Field(None, ge=-90, le=90)
    crs: Crs = "wgs84"


class VisitRead(BaseModel):
    id: Id
    grid_id: Id
    community_id: Id | None
    street_id: Id | None
    org_path: str
    author_id: Id
    household_ref: str
    household_id: Id | None = Field(
        None, description="人房信息库中的住户（登记时给出，或由旧记录的 household_ref 匹配）")
    address: str | None
    visited_at: IsoDateTime
    purpose: Purpose
    purpose_label: str
    notes: str | None
    people_met: int | None
    follow_up_case_id: Id | None
    lng: float | None
    lat: float | None
    crs: Crs = "wgs84"
    client_ref: str | None
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime
