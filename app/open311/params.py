"""Arguments as Open311 clients send them: in the query string and (for POST) the form body,
the form winning where both carry a name. An argument sent empty counts as not sent. Every
problem is a 400 in Open311's dialect, never FastAPI's 422."""

from __future__ import annotations

import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData, QueryParams

from app.open311.errors import bad_request

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


class Params:
    def __init__(self, query: QueryParams, form: FormData | None = None) -> None:
        self._values: dict[str, list[str]] = {}
        for source in (query, form):
            if source is None:
                continue
            for name in source:
                # Blank values and files count as unsent, and leave a value sent elsewhere.
                got = [v for v in source.getlist(name) if isinstance(v, str) and v.strip()]
                if got:
                    self._values[name] = got
        for name, values in self._values.items():
            if any("\x00" in v for v in values):
                raise bad_request(f"参数 {name} 含有非法字符", f"{name} contains a NUL character")

    def names(self) -> list[str]:
        return list(self._values)

    def all(self, name: str) -> list[str]:
        return self._values.get(name, [])

    def text(self, name: str, *, max_len: int | None = None) -> str | None:
        values = self.all(name)
        if not values:
            return None
        value = values[-1].strip()
        if max_len is not None and len(value) > max_len:
            raise bad_request(f"{name} 不能超过 {max_len} 个字符",
                              f"{name} must be at most {max_len} characters")
        return value

    def number(self, name: str, *, low: float, high: float) -> float | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise bad_request(f"{name} 应为数字", f"{name} must be a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise bad_request(f"{name} 应在 {low:g} 到 {high:g} 之间",
                              f"{name} must be between {low:g} and {high:g}")
        return value

    def integer(self, name: str, *, default: int, low: int, high: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        if not raw.isascii() or not raw.lstrip("+-").isdigit() or len(raw) > 12:
            raise bad_request(f"{name} 应为整数", f"{name} must be an integer")
        value = int(raw)
        if not low <= value <= high:
            raise bad_request(f"{name} 应在 {low} 到 {high} 之间",
                              f"{name} must be between {low} and {high}")
        return value

    def csv(self, name: str, *, max_items: int) -> list[str]:
        """`name=a,b` or `name=a&name=b`: blanks and repeats dropped, first-seen order kept."""
        items = [p.strip() for v in self.all(name) for p in v.split(",") if p.strip()]
        unique = list(dict.fromkeys(items))
        if len(unique) > max_items:
            raise bad_request(f"{name} 最多 {max_items} 项",
                              f"{name} takes at most {max_items} items")
        return unique

    def when(self, name: str) -> datetime | None:
        """ISO-8601 / W3C datetime; without an offset it is read on the Asia/Shanghai clock."""
        raw = self.text(name)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw.replace("z", "Z"))
        except ValueError:
            raise bad_request(f"{name} 应为 ISO-8601 日期时间（如 2026-05-01T08:00:00+08:00）",
                              f"{name} must be an ISO-8601 datetime "
                              "(e.g. 2026-05-01T08:00:00+08:00)") from None
        return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value

    def attributes(self) -> dict[str, list[str]]:
        """`attribute[CODE]=v` and `attribute[CODE][]=v1&attribute[CODE][]=v2`."""
        out: dict[str, list[str]] = {}
        for name in self._values:
            match = _ATTRIBUTE.match(name)
            if match:
                values = [v.strip() for v in self.all(name)]
                if values:
                    out.setdefault(match.group(1), []).extend(values)
        return out
