"""A person's own volunteer profile."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.inputs import Id
from app.volunteers.teams.schemas import TeamKind


def _tags(values: list[str]) -> list[str]:
    out = [v.strip() for v in values if v.strip()]
    return list(dict.fromkeys(out))


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skills: list[str] = Field(default_factory=list, max_length=20,
                              description="技能，如“书法”“法律咨询”")
    availability: list[str] = Field(default_factory=list, max_length=14,
                                    description="可服务时间，如“周末上午”")

    @field_validator("skills", "availability")
    @classmethod
    def _clean(cls, values: list[str]) -> list[str]:
        if any(len(v) > 50 for v in values):
            raise ValueError("每项不超过 50 字")
        return _tags(values)


class TeamBrief(BaseModel):
    id: Id
    name: str
    kind: TeamKind


class ProfileRead(BaseModel):
    user_id: Id
    skills: list[str]
    availability: list[str]
    teams: list[TeamBrief]
    activities_served: int = Field(description="有服务时长的活动数")
    minutes_served: int = Field(description="累计服务时长（分钟）")
    points_balance: int
