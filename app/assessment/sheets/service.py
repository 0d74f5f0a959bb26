"""Scoring sheets (考核细则): drawn up by a node holding assessment:write (the district, a
street) for one year and one kind of org. A draft may be edited or deleted; once a round uses
it the sheet is `in_use` and frozen, so scores already given keep meaning what they meant. A
change is then a new version: a draft copy with `version_no + 1` and `previous_id` set."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessment.errors import SheetInUse, SheetNotFound, SheetVersionTaken
from app.assessment.rounds.metrics import get_metric
from app.assessment.sheets import repository as repo
from app.assessment.sheets.schemas import (
    AssessmentSheetStatus,
    SheetCreate,
    SheetItemIn,
    SheetItemRead,
    SheetItemSource,
    SheetRead,
    SheetUpdate,
)
from app.core import audit
from app.core.concurrency import check_if_match, flush_versioned
from app.core.errors import Unprocessable, field_error
from app.core.pagination import PageParams
from app.core.permissions import Perm
from app.core.scope import authorize
from app.core.security import Principal
from app.core.types import utcnow
from app.models import AssessmentItem, AssessmentSheet
from app.models.scoped import scope_from
from app.orgs import service as orgs
from app.orgs.errors import OrgNotFound


async def get(
    session: AsyncSession,
    principal: Principal,
    sheet_id: int,
    permission: Perm = Perm.assessment_read,
) -> AssessmentSheet:
    sheet = await repo.by_id(session, sheet_id)
    if sheet is None:
        raise SheetNotFound()
    authorize(principal, permission, sheet.org_path, not_found=SheetNotFound())
    return sheet


def _check_items(items: list[SheetItemIn]) -> None:
    for i, item in enumerate(items):
        if item.metric is None:
            continue
        metric = get_metric(item.metric)
        if metric is None:
            raise Unprocessable(
                "未知的计算指标（见 GET /assessment/metrics）",
                "Unknown metric (see GET /assessment/metrics)",
                errors=[{"field": f"items.{i}.metric", "message": "unknown"}],
            )
        if metric.unit == "count" and item.target is None:
            raise Unprocessable(
                "计数类指标须给出 target（达到即满分）",
                "A count metric needs a target",
                errors=[{"field": f"items.{i}.target", "message": "required"}],
            )


def _add_items(session: AsyncSession, sheet_id: int, items: list[SheetItemIn]) -> None:
    for pos, item in enumerate(items, start=1):
        session.add(
            AssessmentItem(
                sheet_id=sheet_id,
                position=pos,
                name=item.name,
                weight=item.weight,
                max_score=item.max_score,
                source=item.source,
                metric=item.metric,
                target=item.target,
            )
        )


async def create(session: AsyncSession, principal: Principal, data: SheetCreate) -> AssessmentSheet:
    try:
        org = await orgs.get(session, principal, data.org_id)
    except OrgNotFound as exc:
        raise field_error("org_id", "组织不存在", "No such organisation") from exc
    authorize(principal, Perm.assessment_write, org.path)
    _check_items(data.items)
    sheet = AssessmentSheet(
        org_id=org.id,
        **scope_from(org, AssessmentSheet),
        year=data.year,
        org_kind=data.org_kind,
        name=data.name,
        created_by=principal.id,
        version_no=await repo.next_version_no(session, org.id, data.year, data.org_kind),
    )
    session.add(sheet)
    await _flush_new(session)
    _add_items(session, sheet.id, data.items)
    await session.flush()
    await audit.record(
        session,
        principal,
        "assessment_sheet.create",
        "assessment_sheet",
        sheet.id,
        org_path=sheet.org_path,
    )
    return sheet


async def _flush_new(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the same version number
        raise SheetVersionTaken() from exc


def _editable(sheet: AssessmentSheet) -> None:
    if sheet.status != AssessmentSheetStatus.draft:
        raise SheetInUse()


async def update(
    session: AsyncSession,
    principal: Principal,
    sheet: AssessmentSheet,
    data: SheetUpdate,
    if_match: str | None,
) -> AssessmentSheet:
    _editable(sheet)
    check_if_match(if_match, sheet.version)
    if data.items is not None:
        _check_items(data.items)
        await repo.delete_items(session, sheet.id)
        _add_items(session, sheet.id, data.items)
    if data.name is not None:
        sheet.name = data.name
    # Items live in their own table: touching the sheet's row makes the edit bump its version.
    sheet.updated_at = utcnow()
    await flush_versioned(session)
    await audit.record(
        session,
        principal,
        "assessment_sheet.update",
        "assessment_sheet",
        sheet.id,
        org_path=sheet.org_path,
    )
    return sheet


async def delete(session: AsyncSession, principal: Principal, sheet: AssessmentSheet) -> None:
    _editable(sheet)
    await session.delete(sheet)
    await session.flush()
    await audit.record(
        session,
        principal,
        "assessment_sheet.delete",
        "assessment_sheet",
        sheet.id,
        org_path=sheet.org_path,
    )


async def new_version(
    session: AsyncSession, principal: Principal, sheet: AssessmentSheet
) -> AssessmentSheet:
    items = await repo.items_of(session, [sheet.id])
    copy = AssessmentSheet(
        org_id=sheet.org_id,
        org_path=sheet.org_path,
        street_id=sheet.street_id,
        community_id=sheet.community_id,
        year=sheet.year,
        org_kind=sheet.org_kind,
        name=sheet.name,
        previous_id=sheet.id,
        created_by=principal.id,
        version_no=await repo.next_version_no(session, sheet.org_id, sheet.year, sheet.org_kind),
    )
    session.add(copy)
    await _flush_new(session)
    _add_items(
        session,
        copy.id,
        [
            SheetItemIn(
                name=i.name,
                weight=i.weight,
                max_score=i.max_score,
                source=SheetItemSource(i.source),
                metric=i.metric,
                target=i.target,
            )
            for i in items
        ],
    )
    await session.flush()
    await audit.record(
        session,
        principal,
        "assessment_sheet.version",
        "assessment_sheet",
        copy.id,
        org_path=copy.org_path,
        detail={"previous_id": sheet.id},
    )
    return copy


async def mark_in_use(session: AsyncSession, sheet: AssessmentSheet) -> None:
    """A round applies the sheet: from now on it is frozen."""
    if sheet.status != AssessmentSheetStatus.in_use:
        sheet.status = AssessmentSheetStatus.in_use
        await flush_versioned(session)


async def items(session: AsyncSession, sheet: AssessmentSheet) -> list[AssessmentItem]:
    return await repo.items_of(session, [sheet.id])


async def page(
    session: AsyncSession, principal: Principal, *, filters: list[Any], params: PageParams
) -> list[AssessmentSheet]:
    return await repo.page(session, principal, filters=filters, params=params)


async def reads(session: AsyncSession, sheets: list[AssessmentSheet]) -> list[SheetRead]:
    """Views of the sheets with their items, loaded in one statement."""
    by_sheet: dict[int, list[AssessmentItem]] = {s.id: [] for s in sheets}
    for item in await repo.items_of(session, list(by_sheet)) if sheets else []:
        by_sheet[item.sheet_id].append(item)
    return [read(s, by_sheet[s.id]) for s in sheets]


def read_item(i: AssessmentItem) -> SheetItemRead:
    return SheetItemRead(
        id=i.id,
        position=i.position,
        name=i.name,
        weight=i.weight,
        max_score=i.max_score,
        source=SheetItemSource(i.source),
        metric=i.metric,
        target=i.target,
    )


def read(sheet: AssessmentSheet, items: list[AssessmentItem]) -> SheetRead:
    return SheetRead(
        id=sheet.id,
        org_id=sheet.org_id,
        org_path=sheet.org_path,
        year=sheet.year,
        org_kind=sheet.org_kind,
        name=sheet.name,
        version_no=sheet.version_no,
        previous_id=sheet.previous_id,
        status=AssessmentSheetStatus(sheet.status),
        items=[read_item(i) for i in items],
        max_total=round(sum(i.weight * i.max_score for i in items), 2),
        version=sheet.version,
        created_at=sheet.created_at,
    )
