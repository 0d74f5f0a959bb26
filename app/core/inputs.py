"""Input types every request schema shares, so one rule serves every domain.

- `Id`: a row id anywhere in a request (path, query or body). Ids are 64-bit on PostgreSQL, and a
  larger integer would reach the driver and fail there (asyncpg raises on overflow), so the schema
  bounds it and the caller gets a documented 422 instead.
- `Text`: free text a person types (a title, a reason, a name of a thing). Trimmed; blank is
  refused; NUL is refused because PostgreSQL text cannot hold it (the write would fail with a 500).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

ID_MAX = 2**63 - 1

Id = Annotated[int, Field(ge=1, le=ID_MAX)]


def clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("不能包含 NUL 字符")
    value = value.strip()
    if not value:
        raise ValueError("不能为空")
    return value


Text = Annotated[str, AfterValidator(clean_text)]
