"""Activity and sign-up bodies and views. Volunteers appear by masked name only."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.geo import Crs
from app.core.inputs import Id, Int, IsoAwareDateTime, IsoDateTime, Number, Text, clean_text
from app.core.pagination import PageQuery


class ActivityKind(StrEnum):
    service = "service"  # 志愿服务
    class_ = "class"  # 培训班 / 兴趣班 (e.g. the summer calligraphy class)
    lecture = "lecture"  # 讲座 (e.g. 道德讲堂)
    meeting = "meeting"
    coconstruction = "coconstruction"  # 共驻共建活动 under an agreement


class ActivityStatus(StrEnum):
    open = "open"
    cancelled = "cancelled"


class SignupStatus(StrEnum):
    accepted = "accepted"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class ActivityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_id: Id = Field(description="组织方节点（社区、社会组织党支部等）")
    title: Text = Field(min_length=1, max_length=200, description="如“暑期书法班”")
    kind: ActivityKind
    description: str | None = Field(None, max_length=4000)
    starts_at: IsoAwareDateTime
    ends_at: IsoAwareDateTime
    signup_deadline: IsoAwareDateTime | None = Field(None, description="缺省为开始时间")
    capacity: Int = Field(ge=1, le=10_000)
    address: str | None = Field(None, max_length=255)
    lng: Number | None = Field(None, ge=-180, le=180)
    lat: Number | None = Field(None, ge=-90, le=90)
    crs: Crs = Field("wgs84", description="坐标系：微信小程序定位为 gcj02")
    radius_m: Int = Field(200, ge=10, le=5_000, description="签到半径（米）")
    points_per_hour: Int = Field(0, ge=0, le=1_000, description="每服务一小时积分")
    min_age: Int | None = Field(None, ge=0, le=150, description="参加者最小年龄（按活动开始日）")
    max_age: Int | None = Field(None, ge=0, le=150, description="参加者最大年龄（按活动开始日）")
    residents_only: bool = Field(False, description="仅限本社区登记居民参加")
    team_id: Id | None = Field(None, description="组织方队伍（其负责人可管理本活动）")
    unit_id: Id | None = Field(None, description="组织方共建单位（其联络员可管理本活动）")
    agreement_id: Id | None = Field(None, description="依据的共建协议（该单位与该社区的）")

    _title = field_validator("title")(clean_text)

    @model_validator(mode="after")
    def _consistent(self) -> ActivityCreate:
        if self.team_id is not None and self.unit_id is not None:
            raise ValueError("team_id 与 unit_id 只能给出一个")
        if self.agreement_id is not None and self.unit_id is None:
            raise ValueError("给出 agreement_id 时须给出 unit_id")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at 须晚于 starts_at")
        if self.signup_deadline is not None and self.signup_deadline > self.ends_at:
            raise ValueError("signup_deadline 不能晚于 ends_at")
        if (self.lng is None) != (self.lat is None):
            raise ValueError("lng 与 lat 须同时给出")
        _ages(self.min_age, self.max_age)
        return self


def _ages(min_age: int | None, max_age: int | None) -> None:
    if min_age is not None and max_age is not None and min_age > max_age:
        raise ValueError("min_age 不能大于 max_age")


class ActivityUpdate(BaseModel):
    """PATCH /activities/{id}: only the fields sent change (with If-Match). Times, place and
    capacity are checked against the activity as it stands, in the service."""

    model_config = ConfigDict(extra="forbid")
    title: Text | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    starts_at: IsoAwareDateTime | None = None
    ends_at: IsoAwareDateTime | None = None
    signup_deadline: IsoAwareDateTime | None = None
    capacity: Int | None = Field(None, ge=1, le=10_000,
                                 description="调高时依次递补候补；不能低于已报名人数（409）")
    address: Text | None = Field(None, max_length=255)
    lng: Number | None = Field(None, ge=-180, le=180)
    lat: Number | None = Field(None, ge=-90, le=90)
    crs: Crs = Field("wgs84", description="坐标系：微信小程序定位为 gcj02")
    radius_m: Int | None = Field(None, ge=10, le=5_000)
    points_per_hour: Int | None = Field(None, ge=0, le=1_000,
                                        description="只影响此后签退记入的积分")
    min_age: Int | None = Field(None, ge=0, le=150)
    max_age: Int | None = Field(None, ge=0, le=150)
    residents_only: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ActivityUpdate:
        if (self.lng is None) != (self.lat is None):
            raise ValueError("lng 与 lat 须同时给出")
        _ages(self.min_age, self.max_age)
        for name in ("title", "starts_at", "ends_at", "capacity", "radius_m",
                     "points_per_hour", "residents_only"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} 不能为 null")
        return self


class SignupCreate(BaseModel):
    """The body of a sign-up: empty for oneself, or the child a guardian signs up."""

    model_config = ConfigDict(extra="forbid")
    for_resident_id: Id | None = Field(
        None, description="监护人为子女报名：子女的居民 id（须与监护人同户，按身份证号计算年龄）")


class ActivityListQuery(PageQuery):
    """GET /activities: a page of the caller's activities, optionally near a point."""

    community_id: Id | None = None
    org_id: Id | None = None
    kind: ActivityKind | None = None
    status: ActivityStatus | None = None
    upcoming: bool | None = Field(None, description="true：只列未结束的活动")
    lng: float | None = Field(None, ge=-180, le=180, description="附近的活动：手机位置")
    lat: float | None = Field(None, ge=-90, le=90)
    crs: Crs = Field("wgs84", description="坐标系：微信小程序定位为 gcj02")
    within_m: int = Field(3000, ge=100, le=50_000, description="附近范围（米，按方框近似）")

    @model_validator(mode="after")
    def _point(self) -> ActivityListQuery:
        if (self.lng is None) != (self.lat is None):
            raise ValueError("lng 与 lat 须同时给出")
        return self


class ActivityCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(min_length=1, max_length=500)

    _reason = field_validator("reason")(clean_text)


class ActivityRead(BaseModel):
    id: Id
    org_id: Id
    org_path: str
    street_id: Id | None
    community_id: Id | None
    title: Text
    kind: ActivityKind
    description: str | None
    starts_at: IsoDateTime
    ends_at: IsoDateTime
    signup_deadline: IsoDateTime | None
    capacity: int
    accepted_count: int = Field(description="已报名（不含候补）")
    address: str | None
    lng: float | None = Field(description="WGS-84")
    lat: float | None
    radius_m: int
    points_per_hour: int
    min_age: int | None
    max_age: int | None
    residents_only: bool
    team_id: Id | None = Field(description="组织方队伍")
    unit_id: Id | None = Field(description="组织方共建单位")
    agreement_id: Id | None = Field(description="依据的共建协议")
    status: ActivityStatus
    cancelled_at: IsoDateTime | None
    cancel_reason: str | None
    version: int
    created_at: IsoDateTime


class Position(BaseModel):
    """Where the phone is when checking in or out."""

    model_config = ConfigDict(extra="forbid")
    lng: Number = Field(ge=-180, le=180)
    lat: Number = Field(ge=-90, le=90)
    crs: Crs = Field("wgs84", description="坐标系：微信小程序定位为 gcj02")


class AttendanceCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minutes: Int = Field(ge=0, le=7 * 24 * 60, description="核定服务时长（分钟），不超过活动时长")
    reason: Text = Field(min_length=1, max_length=500)

    _reason = field_validator("reason")(clean_text)


class SignupRead(BaseModel):
    id: Id
    activity_id: Id
    org_path: str
    user_id: Id = Field(description="报名人；为子女报名时是监护人")
    resident_id: Id | None = Field(description="监护人为其报名的子女（居民 id）")
    name: str | None = Field(description="脱敏姓名（为子女报名时是子女的）")
    status: SignupStatus
    promoted_at: IsoDateTime | None = Field(description="候补转为报名成功的时间")
    cancelled_at: IsoDateTime | None
    checked_in_at: IsoDateTime | None
    checked_out_at: IsoDateTime | None
    minutes: int | None = Field(description="核定服务时长（分钟）")
    points: int | None = Field(description="已记入的积分")
    correction_reason: str | None
    version: int
    created_at: IsoDateTime


class CheckinCode(BaseModel):
    """The code the volunteer's phone shows (as a QR code) for the organiser to scan."""

    code: str = Field(description="签到码（两分钟内有效，过期请重新获取）")
    expires_at: IsoDateTime
    signup_id: Id


class CheckinScan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Text = Field(max_length=200, description="扫描得到的签到码")
