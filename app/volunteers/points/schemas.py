"""The member's points statement."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from app.core.inputs import Id, Int, IsoDateTime


class EntryKind(StrEnum):
    service = "service"  # service hours credited at the activity's rate
    correction = "correction"  # the organiser corrected the hours: the difference
    redemption = "redemption"  # goods reserved at the love supermarket
    reversal = "reversal"  # a redemption cancelled: the points given back


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
