"""双报到 bodies and views. Member names are masked in every view."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.inputs import Id, IsoDateTime


class RegStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"
    ended = "ended"  # the member moved on to another community


def clean_skills(value: list[str]) -> list[str]:
    """Trimmed, blanks dropped, duplicates dropped (first spelling kept)."""
    return list(dict.fromkeys(s.strip() for s in value if s.strip()))


def _check_skills(value: list[str]) -> list[str]:
    if any(len(s.strip()) > 30 for s in value):
        raise ValueError("每项特长不超过 30 字")
    return clean_skills(value)


def _check_address(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("地址不能为空")
    return value


class RegistrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    community_id: Id = Field(description="居住地所在社区（可为全区任一社区）")
    address: str = Field(min_length=1, max_length=255, description="居住地址")
    skills: list[str] = Field(default_factory=list, max_length=20,
                              description="特长/可提供的服务，如“法律咨询”“维修”")

    _skills = field_validator("skills")(_check_skills)
    _address = field_validator("address")(_check_address)


class RegistrationMove(BaseModel):
    """Moving house: the old registration ends and a new one starts in the new community.
    `skills` omitted keeps the old ones."""

    model_config = ConfigDict(extra="forbid")
    community_id: Id = Field(description="新居住地所在社区")
    address: str = Field(min_length=1, max_length=255, description="新居住地址")
    skills: list[str] | None = Field(None, max_length=20, description="省略则沿用原特长")

    _address = field_validator("address")(_check_address)

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_skills(value)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, description="不予通过的原因")

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("请填写原因")
        return value


class RegistrationRead(BaseModel):
    id: Id
    member_id: Id
    member_name: str = Field(description="脱敏姓名，如“张*”")
    community_id: Id
    street_id: Id | None
    org_path: str
    address: str
    skills: list[str]
    status: RegStatus
    decided_by: int | None
    decided_at: IsoDateTime | None
    reason: str | None
    ended_at: IsoDateTime | None
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class RosterEntry(BaseModel):
    registration_id: Id
    member_id: Id
    name: str = Field(description="脱敏姓名")
    skills: list[str]
    org_path: str
    approved_at: IsoDateTime | None
