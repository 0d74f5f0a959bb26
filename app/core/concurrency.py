"""Optimistic concurrency: `version` in bodies, `ETag: "<version>"`, `If-Match` → 412."""

from __future__ import annotations

from fastapi import Response

from app.core.errors import PreconditionFailed


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def check_if_match(if_match: str | None, version: int) -> None:
    """A stale `If-Match` fails; `*` or no header passes (the version column still guards races)."""
    if if_match is None:
        return
    candidates = [c.strip() for c in if_match.split(",")]
    if "*" in candidates:
        return
    wanted = {c.removeprefix("W/").strip('"') for c in candidates}
    if str(version) not in wanted:
        raise PreconditionFailed()
