"""Progress-report bodies and views."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.inputs import Id, Int, Text
from app.tasks.weeks import WEEK_PATTERN, WEEK_TEXT

Percent = Annotated[Int, Field(ge=0, le=100, description="完成进度（%）")]
ReportText = Annotated[Text, Field(max_length=4000)]


def unique_ids(value: list[int]) -> list[int]:
    return list(dict.fromkeys(value))


class TaskReportCreate(BaseModel):
    """One report per responsible unit, task and ISO week; the week defaults to the current one
    (Asia/Shanghai)."""

    model_config = ConfigDict(extra="forbid")
    responsible_id: Id = Field(description="以哪个责任单位的名义报告（任务的 responsibles[].id）")
    week: str | None = Field(None, pattern=WEEK_PATTERN, description=WEEK_TEXT + "；缺省为本周")
    percent: Percent
    text: ReportText
    attachment_ids: list[Id] = Field(
        default_factory=list, max_length=9, description="POST /attachments 上传的照片或 PDF id"
    )

    _ids = field_validator("attachment_ids")(unique_ids)


class TaskReportUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    percent: Percent | None = None
    text: ReportText | None = None
    attachment_ids: list[Id] | None = Field(
        None, max_length=9, description="追加的佐证材料（已绑定的保留）"
    )


class TaskReportRead(BaseModel):
    id: int
    task_id: int
    responsible_id: int
    org_path: str
    week: str
    week_start: date
    percent: int
    text: str
    attachment_ids: list[int]
    late: bool = Field(description="在该周结束（北京时间周日 24 时）之后才提交")
    reported_by: int | None
    version: int
    created_at: datetime
    updated_at: datetime
