"""Key-task bodies and views."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.inputs import Id, Int, IsoDate, Text

LongText = Annotated[Text, Field(max_length=2000)]


class TaskStatus(StrEnum):
    in_progress = "in_progress"
    done = "done"
    suspended = "suspended"
    cancelled = "cancelled"


class ResponsibleIn(BaseModel):
    """Exactly one of `org_id` (an org node in the task's subtree) and `unit_id` (a
    co-construction unit, 区直单位)."""

    # The schema states the rule too (one of the two set, the other absent or null), so a
    # client that reads it never sends what the validator below refuses.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["org_id"],
                    "properties": {"org_id": {"type": "integer"}, "unit_id": {"type": "null"}},
                },
                {
                    "required": ["unit_id"],
                    "properties": {"unit_id": {"type": "integer"}, "org_id": {"type": "null"}},
                },
            ]
        },
    )
    org_id: Id | None = None
    unit_id: Id | None = None

    @model_validator(mode="after")
    def _one(self) -> ResponsibleIn:
        if (self.org_id is None) == (self.unit_id is None):
            raise ValueError("org_id 与 unit_id 须且只须给出一个")
        return self


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Id = Field(description="任务清单所属组织（区、街道、社区）")
    year: Int = Field(ge=2000, le=2100)
    parent_id: Id | None = Field(None, description="分解自上级的哪项任务")
    seq: Int | None = Field(None, ge=0, le=10_000, description="清单中的序号")
    content: LongText
    target: LongText | None = None
    lead_org_id: Id | None = Field(None, description="牵头单位（组织）")
    lead_unit_id: Id | None = Field(None, description="牵头单位（区直单位）")
    responsibles: list[ResponsibleIn] = Field(default_factory=list, max_length=100)
    deadline: IsoDate | None = None
    status: TaskStatus = TaskStatus.in_progress


class TaskUpdate(BaseModel):
    """Only the fields sent change; `responsibles` replaces the whole set when sent."""

    model_config = ConfigDict(extra="forbid")
    seq: Int | None = Field(None, ge=0, le=10_000)
    content: LongText | None = None
    target: LongText | None = None
    lead_org_id: Id | None = None
    lead_unit_id: Id | None = None
    responsibles: list[ResponsibleIn] | None = Field(None, max_length=100)
    deadline: IsoDate | None = None
    status: TaskStatus | None = None


class ResponsibleRead(BaseModel):
    id: int
    org_id: int | None
    unit_id: int | None
    name: str


class TaskRead(BaseModel):
    id: int
    org_id: int
    org_path: str
    year: int
    parent_id: int | None
    seq: int
    content: str
    target: str | None
    lead_org_id: int | None
    lead_unit_id: int | None
    responsibles: list[ResponsibleRead]
    deadline: date | None
    status: TaskStatus
    meeting_id: int | None = Field(description="由哪次联席会议的决议形成")
    version: int
    created_at: datetime
    updated_at: datetime
