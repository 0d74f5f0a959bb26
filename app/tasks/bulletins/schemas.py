"""The weekly bulletin: per task who reported, who did not, whether it is overdue, and how each
unit's progress moved since its previous report."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import Id
from app.tasks.weeks import WEEK_PATTERN, WEEK_TEXT


class UnitReported(BaseModel):
    responsible_id: int
    name: str
    report_id: int
    percent: int
    late: bool
    previous_percent: int | None = Field(description="该单位上一次报告的进度（无则为 null）")
    change: int | None = Field(description="本周较上次的进度变化（百分点）")


class UnitMissing(BaseModel):
    responsible_id: int
    name: str


class BulletinTask(BaseModel):
    task_id: int
    org_id: int
    parent_id: int | None
    seq: int
    content: str
    deadline: date | None
    status: str
    overdue: bool = Field(description="截止日期已过（至本周日）而任务未完成")
    reported: list[UnitReported]
    missing: list[UnitMissing]


class BulletinTotals(BaseModel):
    tasks: int
    expected: int = Field(description="应报告的（任务, 责任单位）数")
    reported: int
    missing: int
    late: int
    overdue: int
    changed: int = Field(description="本周进度有变化的报告数")


class BulletinRead(BaseModel):
    org_id: int
    org_path: str
    week: str
    week_start: date
    week_end: date
    generated_at: datetime
    totals: BulletinTotals
    tasks: list[BulletinTask]


class BulletinPublish(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Id
    week: str = Field(pattern=WEEK_PATTERN, description=WEEK_TEXT)


class PublishedBulletin(BaseModel):
    id: int
    org_id: int
    org_path: str
    week: str
    published_by: int | None
    published_at: datetime
    bulletin: BulletinRead = Field(description="发布时冻结的通报内容，之后修改报告不影响")
