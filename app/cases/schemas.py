from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import Id, Int, IsoAwareDateTime, IsoDateTime, Number
from app.core.pagination import PageQuery

Crs = Literal["wgs84", "gcj02"]
Light = Literal["green", "yellow", "red"]


class Status(StrEnum):
    reported = "reported"
    accepted = "accepted"
    rejected = "rejected"
    dispatched = "dispatched"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"
    suspended = "suspended"


class Action(StrEnum):
    accept = "accept"
    reject = "reject"
    dispatch = "dispatch"
    start = "start"
    resolve = "resolve"
    verify = "verify"
    rework = "rework"
    return_ = "return"
    suspend = "suspend"
    resume = "resume"
    self_resolve = "self_resolve"
    merge = "merge"


class CaseListQuery(PageQuery):
    """GET /cases: one page of the caller's cases, optionally filtered."""

    status: list[str] | None = Field(None, description="、".join(Status) + "；可重复或逗号分隔")
    grid_id: Id | None = None
    community_id: Id | None = None
    category_code: str | None = Field(None, max_length=32)
    overdue: bool | None = None
    crs: Crs = "wgs84"


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category_code: str = Field(min_length=1, max_length=32)
    description: str = Field(min_length=1, max_length=4000)
    lng: Number = Field(ge=-180, le=180)
    lat: Number = Field(ge=-90, le=90)
    crs: Crs = Field("wgs84", description="坐标系：微信小程序定位为 gcj02")
    address: str | None = Field(None, max_length=255)
    grid_id: Id | None = Field(None, description="缺省时按坐标定位网格")
    client_ref: str | None = Field(
        None, min_length=1, max_length=64,
        description="手机离线生成的唯一编号（UUID）；重复提交返回原案件",
    )
    captured_at: IsoAwareDateTime | None = Field(None, description="离线拍摄/记录时间（带时区）")
    attachment_ids: list[Id] = Field(default_factory=list, max_length=9)


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Action
    note: str | None = Field(None, max_length=2000)
    org_id: Id | None = Field(None, description="dispatch：承办单位（组织）")
    assignee_id: Id | None = Field(None, description="dispatch：承办人（可选）")
    into_id: Id | None = Field(None, description="merge：合并到的原案件")


class CaseRead(BaseModel):
    id: Id
    code: str
    status: Status
    category_code: str
    category_name: str | None = None
    description: str
    address: str | None
    lng: float
    lat: float
    crs: Crs = "wgs84"
    grid_id: Id
    community_id: Id | None
    street_id: Id | None
    org_path: str
    source: str
    reporter_id: Id | None
    reporter_name: str | None = Field(
        None, description="上报人姓名（范围外的人员脱敏，如“张*”；第三方应用为其名称）")
    reporter_role: str | None = Field(None, description="上报人在该案件处的角色")
    client_ref: str | None
    captured_at: IsoDateTime | None
    reported_at: IsoDateTime
    due_at: IsoDateTime
    light: Light
    overdue: bool
    accepted_at: IsoDateTime | None
    dispatched_at: IsoDateTime | None
    resolved_at: IsoDateTime | None
    closed_at: IsoDateTime | None
    handler_org_id: Id | None
    assignee_id: Id | None
    assignee_name: str | None = Field(None, description="承办人姓名（范围外的人员脱敏）")
    assignee_role: str | None = Field(None, description="承办人在承办单位处的角色")
    merged_into_id: Id | None
    rework_count: int
    return_count: int
    attachment_ids: list[Id] = []
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class NearbyCase(BaseModel):
    """A duplicate suggestion (`GET /cases/nearby`): CaseRead's fields, plus `in_scope` and
    `distance_m`. A case the caller may see (`in_scope`) carries all of them as CaseRead does.
    One beyond the caller's scope (across a grid or community line) carries only what a
    duplicate check needs — id, category, status, reported_at, distance — and null elsewhere:
    no description, photos, address, place or people."""

    id: Id
    code: str | None
    status: Status
    category_code: str
    category_name: str | None = None
    description: str | None
    address: str | None
    lng: Number | None
    lat: Number | None
    crs: Crs | None
    grid_id: Id | None
    community_id: Id | None
    street_id: Id | None
    org_path: str | None
    source: str | None
    reporter_id: Id | None
    reporter_name: str | None = None
    reporter_role: str | None = None
    client_ref: str | None
    captured_at: IsoDateTime | None
    reported_at: IsoDateTime
    due_at: IsoDateTime | None
    light: Light | None
    overdue: bool | None
    accepted_at: IsoDateTime | None
    dispatched_at: IsoDateTime | None
    resolved_at: IsoDateTime | None
    closed_at: IsoDateTime | None
    handler_org_id: Id | None
    assignee_id: Id | None
    assignee_name: str | None = None
    assignee_role: str | None = None
    merged_into_id: Id | None
    rework_count: Int | None
    return_count: Int | None
    attachment_ids: list[Id] | None
    version: Int | None
    created_at: IsoDateTime | None
    updated_at: IsoDateTime | None
    in_scope: bool = Field(description="调用者可查看该案件；否则仅含查重所需字段，其余为 null")
    distance_m: Number = Field(description="与查询点的距离（米）；范围外案件取整到 10 米")


class TimelineEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    action: str
    from_status: Status | None
    to_status: Status
    actor_id: Id | None
    actor: str
    actor_name: str | None = Field(
        None,
        description="操作人姓名（范围外的人员脱敏，如“张*”；第三方应用为其名称；系统操作为“系统”）")
    actor_role: str | None = Field(None, description="操作人当时的角色（如 grid_worker）")
    note: str | None
    data: dict[str, Any]
    at: IsoDateTime


class Timeline(BaseModel):
    items: list[TimelineEntry]


class CategoryNode(BaseModel):
    code: str
    name: str
    kind: str
    time_limit_hours: Number | None
    children: list[CategoryNode] = []


class AttachmentRead(BaseModel):
    id: Id
    case_id: Id | None
    mime: str
    size: int = Field(description="下载所得文件（去除 EXIF 的副本；PDF 为原文件）的字节数")
    sha256: str = Field(description="下载所得文件的 SHA-256（十六进制）")
    original_size: int = Field(description="上传原文件的字节数（原文件不对外提供下载）")
    original_sha256: str = Field(description="上传原文件的 SHA-256")
    original_name: str | None
    created_at: IsoDateTime
