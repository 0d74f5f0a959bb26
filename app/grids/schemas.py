from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from app.core.inputs import Id, IsoDateTime

Crs = Literal["wgs84", "gcj02"]
# `?crs=` of a read: the datum its coordinates are answered in (stored as WGS-84).
CrsQuery = Annotated[Crs, Query(description="响应中坐标的坐标系：wgs84（默认）或 gcj02")]
_POSITION: dict[str, JsonValue] = {
    "type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"},
}
_RING: dict[str, JsonValue] = {"type": "array", "minItems": 4, "items": _POSITION}


class PolygonIn(BaseModel):
    """GeoJSON Polygon. `crs` says which datum the coordinates use (default WGS-84).

    `type` and the shape of `coordinates` are documented here but checked by
    `boundary.normalize`, so every malformed boundary is one 422 with code `invalid_boundary`
    rather than a generic `validation_error`.
    """

    model_config = ConfigDict(extra="forbid")
    type: str = Field(description='"Polygon"', json_schema_extra={"enum": ["Polygon"]})
    coordinates: list[Any] = Field(
        max_length=50, description="[外环, 内环...]，每环首尾相同、至少 4 个 [经度, 纬度]",
        json_schema_extra={"minItems": 1, "items": _RING},
    )
    crs: Crs | None = None


class GridCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    community_id: Id
    name: str = Field(min_length=1, max_length=100)
    code: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    level: Literal["basic", "community", "street", "district"] = "basic"
    boundary: PolygonIn | None = None
    crs: Crs | None = Field(None, description="boundary 坐标系；也可写在 boundary.crs")


class GridUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=100)
    code: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    boundary: PolygonIn | None = None
    crs: Crs | None = None


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    head_user_id: Id
    worker_user_ids: list[Id] = Field(min_length=1, max_length=50)
    instructor_user_ids: list[Id] = Field(default_factory=list, max_length=20)


class StaffRead(BaseModel):
    head_user_id: Id | None = None
    worker_user_ids: list[Id] = []
    instructor_user_ids: list[Id] = []


class GridRead(BaseModel):
    id: Id
    community_id: Id | None
    branch_id: Id
    street_id: Id | None
    name: str
    code: str | None
    level: str
    boundary: dict[str, Any] | None = Field(
        None, description="GeoJSON Polygon，坐标系见 crs（请求参数 crs=gcj02 时为 GCJ-02）")
    crs: Crs = Field("wgs84", description="boundary 的坐标系")
    staff: StaffRead
    org_path: str
    version: int
    created_at: IsoDateTime
    updated_at: IsoDateTime
