"""The member's points statement."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.inputs import Id, Int, IsoDateTime


class EntryKind(StrEnum):
    service = "service"  # service hours credited at the activity's rate
    correction = "correction"  # the organiser corrected the hours: the difference
    redemption = "redemption"  # goods reserved at the love supermarket
    reversal = "reversal"  # a redemption cancelled: the points given back
    rule = "rule"  # a community's rule (e.g. a valid case report), capped per period


class RuleName(StrEnum):
    case_report = "case_report"  # a case the member reported was closed as valid


class Period(StrEnum):
    week = "week"
    month = "month"
    year = "year"


class PointsRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: RuleName
    points: Int = Field(ge=0, le=1_000, description="每次记入的积分")
    cap: Int = Field(ge=0, le=1_000, description="每人每期最多记入的次数")
    period: Period = Period.month
    active: bool = True


class PointsRulesPut(BaseModel):
    """PUT /points/rules: the rules named here are set; the others keep their values."""

    model_config = ConfigDict(extra="forbid")
    rules: list[PointsRuleIn] = Field(min_length=1, max_length=len(RuleName))

    @field_validator("rules")
    @classmethod
    def _once_each(cls, value: list[PointsRuleIn]) -> list[PointsRuleIn]:
        if len({r.rule for r in value}) != len(value):
            raise ValueError("每条规则只能出现一次")
        return value


class PointsRuleRead(BaseModel):
    rule: RuleName
    points: int
    cap: int
    period: Period
    active: bool
    default: bool = Field(description="true：社区未设置，使用全区默认值")


class PointsRules(BaseModel):
    community_id: int
    org_path: str = Field(description="社区的路径")
    rules: list[PointsRuleRead]


class PostingRead(BaseModel):
    id: Id
    entry_id: Id
    kind: EntryKind
    memo: str
    amount: int = Field(description="正数为收入，负数为支出")
    signup_id: Id | None
    community_id: Id | None
    created_at: IsoDateTime


class Statement(BaseModel):
    balance: Int = Field(description="当前积分余额")
    items: list[PostingRead]
    next_cursor: str | None = None


class LeaderboardEntry(BaseModel):
    rank: Int
    user_id: Id
    name: str | None = Field(description="脱敏姓名")
    points: Int = Field(description="在该社区服务所得积分（兑换不扣减排名）")
    org_path: str = Field(description="社区的路径")


class Leaderboard(BaseModel):
    community_id: Id
    items: list[LeaderboardEntry]
