"""Joint-meeting bodies and views."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.inputs import Id, Int, IsoDate, Text
from app.tasks.lists.schemas import ResponsibleIn

Reason = Annotated[Text, Field(max_length=1000)]


class MeetingStatus(StrEnum):
    scheduled = "scheduled"
    held = "held"
    cancelled = "cancelled"


class AttendeeKind(StrEnum):
    org = "org"
    unit = "unit"
    cadre = "cadre"


class AttendeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: AttendeeKind = Field(description="org 组织、unit 区直单位、cadre 下沉干部")
    id: Id


class ScheduleCreate(BaseModel):
    """Generates the year's meetings of a node (skipping periods it already has)."""

    model_config = ConfigDict(extra="forbid")
    org_id: Id = Field(description="区（每季度）、街道或社区（每月）")
    year: Int = Field(ge=2000, le=2100)
    attendees: list[AttendeeIn] = Field(default_factory=list, max_length=200)


class MeetingMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheduled_on: IsoDate = Field(description="新的日期（北京时间）")
    reason: Reason


class MeetingCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class AttendeesPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attendees: list[AttendeeIn] = Field(max_length=200)


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$")


class MinutesPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minutes: Annotated[Text, Field(max_length=20_000)]
    attachment_ids: list[Id] = Field(default_factory=list, max_length=20)

    @field_validator("attachment_ids")
    @classmethod
    def _unique(cls, value: list[int]) -> list[int]:
        return list(dict.fromkeys(value))


class AttendeeRead(BaseModel):
    id: int
    kind: AttendeeKind
    ref_id: int
    name: str
    signed_in_at: datetime | None


class MeetingRead(BaseModel):
    id: int
    org_id: int
    org_path: str
    year: int
    period: str
    title: str
    scheduled_on: date
    moved_from: date | None
    status: MeetingStatus
    reason: str | None
    minutes: str | None
    minutes_attachment_ids: list[int]
    attendees: list[AttendeeRead]
    resolution_task_ids: list[int] = Field(description="会议决议形成的重点任务")
    version: int
    created_at: datetime
    updated_at: datetime


class MeetingList(BaseModel):
    items: list[MeetingRead]


class SignInCode(BaseModel):
    code: str = Field(description="在会场展示的 6 位签到码")
    expires_at: datetime


class ResolutionCreate(BaseModel):
    """A resolution of the meeting, kept as a key task of the meeting's node for its year, with
    an owner (the lead org or unit) and a deadline."""

    model_config = ConfigDict(extra="forbid")
    content: Annotated[Text, Field(max_length=2000)]
    target: Annotated[Text, Field(max_length=2000)] | None = None
    lead_org_id: Id | None = Field(None, description="负责落实的组织（与 lead_unit_id 至少一个）")
    lead_unit_id: Id | None = Field(None, description="负责落实的区直单位")
    deadline: IsoDate
    responsibles: list[ResponsibleIn] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _owner(self) -> ResolutionCreate:
        if self.lead_org_id is None and self.lead_unit_id is None:
            raise ValueError("须指定负责落实的组织或单位（lead_org_id 或 lead_unit_id）")
        return self
