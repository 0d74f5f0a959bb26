"""Cells for the .xlsx exports. A name or a text a person typed may hold control characters
(Text refuses only NUL), which the .xlsx format cannot store: openpyxl raises on them, and the
export answered 500 (found by tests/fuzz: an org named with ESC made a review's results.xlsx
fail). They are dropped from the cell, not refused at input: the export shows what it can."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def cell(value: Any) -> Any:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def row(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]
