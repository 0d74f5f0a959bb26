"""Stored import reports: reading them (scoped like their grid) and the rejected rows as a
workbook. Reasons are kept in both languages and shown in the reader's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.crypto import FieldCipher
from app.core.i18n import current_language
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize
from app.core.security import Principal
from app.models import ResidentImport
from app.people import repository as repo
from app.people import sheets
from app.people.errors import ImportNotFound
from app.people.importer import REJECTED_CONTEXT
from app.people.schemas import ImportRejection, ImportReport

API_PREFIX = "/api/v1"


async def get(session: AsyncSession, principal: Principal, import_id: int) -> ResidentImport:
    row = await repo.get_visible(session, principal, ResidentImport, import_id)
    if row is None:
        raise ImportNotFound()
    authorize(principal, Perm.people_read, row.org_path, not_found=ImportNotFound())
    return row


async def list_page(session: AsyncSession, principal: Principal, *, grid_id: int | None,
                    page: PageParams) -> list[ResidentImport]:
    filters = [] if grid_id is None else [ResidentImport.grid_id == grid_id]
    return await repo.list_page(session, principal, ResidentImport, filters=filters, page=page,
                                newest_first=True)


def _column(key: str, lang: str) -> str:
    column = sheets.BY_KEY.get(key)
    return column.label(lang) if column else key


def rejection_read(item: dict[str, Any], lang: str | None = None) -> ImportRejection:
    lang = lang or current_language()
    return ImportRejection(row=item["row"], field=item["field"],
                           column=_column(item["field"], lang), code=item["code"],
                           reason=item["en"] if lang == "en" else item["zh"])


def report_read(row: ResidentImport) -> ImportReport:
    return ImportReport(
        id=row.id, grid_id=row.grid_id, community_id=row.community_id, street_id=row.street_id,
        org_path=row.org_path, filename=row.filename, mode=row.mode,
        status=row.status,
        rows_total=row.rows_total, rows_created=row.rows_created,
        rows_rejected=row.rows_rejected,
        rejected=[rejection_read(r) for r in row.rejected or []],
        report_url=f"{API_PREFIX}/residents/imports/{row.id}/rejected.xlsx",
        created_by=row.created_by, created_at=row.created_at,
    )


def _kept_cells(row: ResidentImport, cipher: FieldCipher
                ) -> tuple[list[str], dict[int, list[str]]]:
    """The file's header and the rejected rows' cells, as the import kept them."""
    if not row.rejected_rows_cipher:
        return [], {}
    kept = json.loads(cipher.decrypt(row.rejected_rows_cipher, context=REJECTED_CONTEXT))
    return list(kept["header"]), {int(n): list(cells) for n, cells in kept["rows"]}


def rejected_xlsx(row: ResidentImport, path: Path, lang: str, cipher: FieldCipher) -> None:
    """Two sheets. The first has one line per rejected row: its row number, what is wrong,
    and the row's own cells under the file's header, to fix in place and import that sheet
    again (its two extra columns are ignored by the import). The second lists each reason."""
    zh = lang == "zh"
    items = [rejection_read(r, lang) for r in row.rejected or []]
    header, cells = _kept_cells(row, cipher)
    reasons: dict[int, list[str]] = {}
    for i in items:
        reasons.setdefault(i.row, []).append(f"{i.column}：{i.reason}" if zh
                                             else f"{i.column}: {i.reason}")
    fix = [[n, ("；" if zh else "; ").join(why), *cells.get(n, [])]
           for n, why in reasons.items()]
    detail = ["行号", "列", "字段", "原因代码", "原因"] if zh else [
        "Row", "Column", "Field", "Code", "Reason"]
    sheets.write_rejected(path, [
        ("问题行" if zh else "Rejected rows",
         [*sheets.FIX_COLUMNS[lang], *header], fix),
        ("问题明细" if zh else "Reasons", detail,
         [[i.row, i.column, i.field, i.code, i.reason] for i in items]),
    ])
