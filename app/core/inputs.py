"""Input types every request schema shares, so one rule serves every domain.

- `Id`: a row id anywhere in a request (path, query or body). Ids are 64-bit on PostgreSQL, and a
  larger integer would reach the driver and fail there (asyncpg raises on overflow), so the schema
  bounds it and the caller gets a documented 422 instead. The bound is 2^53-1, not 2^63-1: it is
  the largest integer a JSON number holds exactly in the clients (JavaScript's
  Number.MAX_SAFE_INTEGER) and in tools that read the schema's `maximum` as a float (2^63-1
  becomes 2^63 there, and a generated "valid" id then overflows); sequences never get near it.
- `Text`: free text a person types (a title, a reason, a name of a thing). Trimmed; blank is
  refused; NUL is refused because PostgreSQL text cannot hold it (the write would fail with a 500).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

ID_MAX = 2**53 - 1

Id = Annotated[int, Field(ge=1, le=ID_MAX)]


def clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("不能包含 NUL 字符")
    value = value.strip()
    if not value:
        raise ValueError("不能为空")
    return value


# The same rule as a pattern, so the schema says it: some character that is neither whitespace
# nor NUL, and no NUL anywhere. Whitespace spelled out as `str.strip()` knows it: `\s` differs
# between regex dialects (ECMA-262's, which JSON Schema uses, lacks \x1c-\x1f).
_SPACE = ("\\t\\n\\u000b\\u000c\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a"
          "\\u2028\\u2029\\u202f\\u205f\\u3000")
TEXT_PATTERN = rf"^[^\u0000]*[^{_SPACE}\u0000][^\u0000]*$"

Text = Annotated[str, Field(pattern=TEXT_PATTERN), AfterValidator(clean_text)]


def iso_only(value: Any) -> Any:
    """Dates and times come as ISO 8601 text (the schema's `date`/`date-time` formats): a number
    (`0.5`, or "0.5" in a query) would otherwise be read as seconds since 1970, a value no
    schema-reading client means."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO.match(value):
        raise ValueError("须为 ISO 8601 日期或时间")
    return value


def json_number(value: Any) -> Any:
    """A number in a JSON body is a JSON number: `true` and `"5"` are refused, not read as 1
    and 5 (the schema says `integer`/`number`)."""
    if isinstance(value, bool | str):
        raise ValueError("应为数字")
    return value


Int = Annotated[int, BeforeValidator(json_number)]
Number = Annotated[float, BeforeValidator(json_number)]
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
IsoDate = Annotated[date, BeforeValidator(iso_only)]
IsoDateTime = Annotated[datetime, BeforeValidator(iso_only)]
IsoAwareDateTime = Annotated[AwareDatetime, BeforeValidator(iso_only)]
