"""The demo district (filled in below)."""

from __future__ import annotations

from collections.abc import Callable

from app.core.config import Settings
from app.core.db import Database


async def seed(db: Database, settings: Settings, progress: Callable[[str], None]) -> None:
    raise NotImplementedError("demo district not written yet")
