"""The errors the grids domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound


class GridNotFound(NotFound):
    code, zh, en = "grid_not_found", "网格不存在", "Grid not found"


class GridCodeTaken(Conflict):
    code, zh, en = "grid_code_taken", "网格编码已被使用", "Grid code already in use"
