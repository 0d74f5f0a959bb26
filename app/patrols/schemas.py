from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.inputs import Id, IsoAwareDateTime, IsoDateTime, Number

Crs = Literal["wgs84", "gcj02"]
MAX_BATCH = 500


class PatrolStatus(StrEnum):
    running = "running"
    ended = "ended"


class PatrolStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grid_id: Id = Field(description="巡查的网格（须为本人任职的网格）")
    started_at: IsoAwareDateTime | None = Field(
        None, description="开始时间（带时区）；离线开始时由手机给出，缺省为服务器当前时间"
    )
    notes: str | None = Field(None, max_length=2000)
    client_ref: str | None = Field(
        None, min_length=1, max_length=64,
        description="手机离线生成的唯一编号（UUID）；重复提交返回原巡查",
    )


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lng: Number = Field(ge=-180, le=180)
    lat: Number = Field(ge=-90, le=90)
    at: IsoAwareDateTime = Field(description="定位时间（带时区）；同一时间的点只记一次")
    accuracy: Number | None = Field(None, ge=0, le=100_000, description="定位精度（米）")


class PointsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    crs: Crs = Field("wgs84", description="坐标系：微信小程序定位为 gcj02")
    points: list[PointIn] = Field(min_length=1, max_length=MAX_BATCH,
                                  description=f"一批轨迹点，最多 {MAX_BATCH} 个，顺序不限")


class PatrolEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ended_at: IsoAwareDateTime | None = Field(
        None, description="结束时间（带时区）；缺省为服务器当前时间或最后一个轨迹点的时间"
    )
    notes: str | None = Field(None, max_length=2000, description="巡查小结；给出时替换原备注")


class CaseLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: Id


class PatrolRead(BaseModel):
    id: Id
    grid_id: Id
    community_id: Id | None
    street_id: Id | None
    org_path: str
    worker_id: Id
    status: PatrolStatus
    started_at: IsoDateTime
    ended_at: IsoDateTime | None
    auto_ended: bool = Field(description="长时间无轨迹、开始新巡查时由系统自动结束")
    duration_s: int | None = Field(description="已结束巡查的时长（秒）")
    distance_m: float = Field(description="巡查里程（米），按轨迹计算，剔除漂移点")
    point_count: int
    last_point_at: IsoDateTime | None
    notes: str | None
    client_ref: str | None
    case_ids: list[Id] = Field(default_factory=list, description="巡查中上报或关联的案件")
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime


class TrackPoint(BaseModel):
    lng: Number
    lat: Number
    at: IsoDateTime
    accuracy: Number | None


class PatrolDetail(PatrolRead):
    crs: Crs = "wgs84"
    simplified: bool = Field(False, description="轨迹是否经过抽稀（simplify_m > 0）")
    track: list[TrackPoint] = Field(default_factory=list, description="按时间排序的轨迹")


class CaseLinkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    patrol_id: Id
    case_id: Id
    linked_by: int | None
    linked_at: IsoDateTime
