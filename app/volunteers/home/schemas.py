"""The member's home screen in the mini-program: where they are registered, what they signed up
for next, and their points."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class HomeRegistration(BaseModel):
    id: int
    community_id: int | None
    community_name: str
    org_path: str
    status: str = Field(description="pending | approved")


class HomeSignup(BaseModel):
    signup_id: int
    activity_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    address: str | None
    status: str = Field(description="accepted | waitlisted")
    resident_id: int | None = Field(description="为子女报名时的子女（居民 id）")
    checked_in_at: datetime | None


class Home(BaseModel):
    user_id: int
    registrations: list[HomeRegistration] = Field(description="报到中或已报到的社区")
    upcoming: list[HomeSignup] = Field(description="未结束活动的报名（含候补），按开始时间")
    balance: int = Field(description="积分余额")
