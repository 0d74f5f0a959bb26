"""Volunteer teams: bodies and views. The leader's name and the contact phone are masked."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.inputs import Id, IsoDateTime, Text, clean_text
from app.people.fields import Phone
from app.volunteers.points.schemas import LeaderboardEntry


class TeamKind(StrEnum):
    social_org = "social_org"  # 社会组织
    volunteer_team = "volunteer_team"  # 志愿者队伍
    studio = "studio"  # 以个人命名的工作室（书法、调解…）


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Id = Field(description="服务的社区或街道")
    kind: TeamKind
    name: Text = Field(min_length=1, max_length=100, description="如“老党员调解工作室”")
    description: str | None = Field(None, max_length=2000)
    leader_name: str | None = Field(None, max_length=50)
    contact_phone: Phone | None = Field(None, description="联系电话（加密保存，返回时脱敏）")

    _name = field_validator("name")(clean_text)


class TeamRead(BaseModel):
    id: Id
    org_id: Id
    org_path: str
    street_id: Id | None
    community_id: Id | None
    kind: TeamKind
    name: Text
    description: str | None
    leader_name: str | None = Field(description="脱敏")
    leader_user_id: Id | None = Field(description="负责人账号（管理本队伍组织的活动）")
    contact_phone: str | None = Field(description="脱敏，如“138****5678”")
    version: int
    created_at: IsoDateTime


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: Id
    leader: bool = Field(False, description="设为队伍负责人（管理本队的活动）")


class TeamMemberRead(BaseModel):
    id: Id
    team_id: Id
    user_id: Id
    name: Text | None = Field(description="脱敏姓名")
    org_path: str
    joined_at: IsoDateTime


class TeamLeaderboard(BaseModel):
    team_id: Id
    items: list[LeaderboardEntry]
