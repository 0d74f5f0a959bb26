"""Typed inputs of the Open311 operations, read from `Params` (field checks only; anything that
needs the database is the service's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from app.core.types import utcnow
from app.open311.errors import bad_request
from app.open311.params import Params

MAX_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_DESCRIPTION = 4000
MAX_IDS = 1000
STATES = ("open", "closed")


@dataclass(frozen=True)
class Report:
    service_code: str
    lat: float | None
    lng: float | None
    address_string: str | None
    address_id: str | None
    description: str | None
    media_url: str | None
    account_id: str | None
    attributes: dict[str, list[str]]


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Page:
    offset: int
    size: int


@dataclass(frozen=True)
class Search:
    ids: list[str]  # when given, every other argument is ignored
    services: list[str]
    states: list[str]
    window: Window | None
    page: Page


def _media_url(params: Params) -> str | None:
    url = params.text("media_url", max_len=1000)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise bad_request("media_url 应为 http(s) 链接", "media_url must be an http(s) URL")
    return url


def report(params: Params) -> Report:
    code = params.text("service_code", max_len=32)
    if code is None:
        raise bad_request("缺少 service_code", "service_code is required")
    # Personal data (email, names, phone, device_id) is read by nobody: see app/open311/__init__.
    return Report(
        service_code=code,
        lat=params.number("lat", low=-90, high=90),
        lng=params.number("long", low=-180, high=180),
        address_string=params.text("address_string", max_len=255),
        address_id=params.text("address_id", max_len=64),
        description=params.text("description", max_len=MAX_DESCRIPTION),
        media_url=_media_url(params),
        account_id=params.text("account_id", max_len=64),
        attributes=params.attributes(),
    )


def window(params: Params) -> Window:
    """`start_date`/`end_date`, at most 90 days apart; by default the last 90 days."""
    start, end = params.when("start_date"), params.when("end_date")
    try:
        if start is not None and end is not None:
            if end < start:
                raise bad_request("end_date 早于 start_date", "end_date is before start_date")
            if end - start > MAX_SPAN:
                raise bad_request("start_date 与 end_date 相隔不能超过 90 天",
                                  "start_date and end_date may be at most 90 days apart")
        elif start is not None:
            end = start + MAX_SPAN
        elif end is not None:
            start = end - MAX_SPAN
        else:
            end = utcnow()
            start = end - MAX_SPAN
        # In UTC here: a year-1 or year-9999 date with an offset cannot be stored as UTC.
        return Window(start=start.astimezone(UTC), end=end.astimezone(UTC))
    except OverflowError:
        raise bad_request("日期超出范围", "Date out of range") from None


def page(params: Params) -> Page:
    """Extension: `page` (from 1) and `page_size` (1-1000, default 1000)."""
    size = params.integer("page_size", default=MAX_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)
    number = params.integer("page", default=1, low=1, high=100_000)
    return Page(offset=(number - 1) * size, size=size)


def search(params: Params) -> Search:
    """Every argument is checked; with `service_request_id` the others are then ignored."""
    ids = params.csv("service_request_id", max_items=MAX_IDS)
    states = params.csv("status", max_items=10)
    unknown = [s for s in states if s not in STATES]
    if unknown:
        raise bad_request(f"未知状态：{', '.join(unknown)}（可用 open、closed）",
                          f"Unknown status {', '.join(unknown)}: use open or closed")
    services, span, paging = params.csv("service_code", max_items=200), window(params), page(
        params)
    if ids:
        return Search(ids=ids, services=[], states=[], window=None, page=Page(0, MAX_IDS))
    return Search(ids=[], services=services, states=states, window=span, page=paging)
