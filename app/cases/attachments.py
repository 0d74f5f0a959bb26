"""Photos and evidence: uploaded before a case exists (offline) or onto a case."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases import repository as repo
from app.cases.errors import AttachmentNotFound, CaseNotFound
from app.cases.schemas import AttachmentRead
from app.core.db import Database
from app.core.errors import Forbidden
from app.core.outbox import WorkerContext, every
from app.core.permissions import Perm
from app.core.scope import covers, scope_paths
from app.core.security import Principal
from app.core.types import utcnow
from app.files.service import PreparedUpload, store_prepared
from app.files.storage import FileStorage, LocalStorage
from app.models import Case, CaseAttachment


def may_attach(principal: Principal, case: Case) -> bool:
    """The reporter, the person it was assigned to, or field staff of its grid or handler."""
    if case.reporter_key == principal.key:
        return True
    if principal.kind == "user" and case.assignee_id == principal.id:
        return True
    paths = scope_paths(principal, Perm.case_report) + scope_paths(principal, Perm.case_handle)
    targets = [case.org_path] + ([case.handler_org_path] if case.handler_org_path else [])
    return any(covers(p, t) for p in paths for t in targets)


async def upload(session: AsyncSession, storage: FileStorage, principal: Principal, *,
                 upload: PreparedUpload, case: Case | None) -> CaseAttachment:
    if case is not None and not may_attach(principal, case):
        raise Forbidden("您不能为该案件上传附件", "You may not add files to this case")
    if case is None and not (principal.has(Perm.case_report) or principal.has(Perm.wish_claim)):
        # An upload without a case is only good for a report the caller may file, or as the
        # evidence of a wish they may claim and fulfil (a unit's liaison).
        raise Forbidden("您不能上报案件", "You may not report cases")
    stored = await store_prepared(storage, upload, key_prefix="cases")
    att = CaseAttachment(
        case_id=case.id if case else None, uploaded_by=principal.key, storage_key=stored.key,
        public_key=stored.public_key, mime=stored.mime, size=stored.size, sha256=stored.sha256,
        original_name=stored.original_name, exif_lng=stored.exif_lng, exif_lat=stored.exif_lat,
    )
    session.add(att)
    await session.flush()
    return att


async def for_download(session: AsyncSession, principal: Principal, case_id: int,
                       att_id: int) -> CaseAttachment:
    """Authorized like the case: the attachment must belong to a case the caller can see."""
    case = await repo.get_visible(session, principal, case_id)
    if case is None:
        raise CaseNotFound()
    att = await repo.attachment(session, att_id)
    if att is None or att.case_id != case.id:
        raise AttachmentNotFound()
    return att


def read(att: CaseAttachment) -> AttachmentRead:
    return AttachmentRead(id=att.id, case_id=att.case_id, mime=att.mime, size=att.size,
                          sha256=att.sha256, original_name=att.original_name,
                          created_at=att.created_at)


# Photos uploaded for a report that never came (the phone gave up, the worker changed their
# mind) hold personal images: they go after a day, rows and files.
ORPHAN_KEEP = timedelta(hours=24)
ORPHAN_BATCH = 200


async def purge_orphans(db: Database, storage: FileStorage, *,
                        older_than: timedelta = ORPHAN_KEEP) -> int:
    """Delete unbound uploads older than `older_than`; returns how many went. The row goes
    first (`DELETE ... RETURNING`, still unbound at that moment), then its files: an upload
    bound by a report in between is never touched."""
    cutoff = utcnow() - older_than
    removed = 0
    while True:
        async with db.writing() as s:
            unbound = CaseAttachment.case_id.is_(None) & CaseAttachment.wish_id.is_(None)
            ids = select(CaseAttachment.id).where(
                unbound, CaseAttachment.created_at < cutoff
            ).limit(ORPHAN_BATCH)
            gone = (await s.execute(
                delete(CaseAttachment)
                .where(CaseAttachment.id.in_(ids), unbound)
                .returning(CaseAttachment.storage_key, CaseAttachment.public_key)
            )).all()
        for storage_key, public_key in gone:
            for key in {storage_key, public_key}:
                await storage.delete(key)
        removed += len(gone)
        if len(gone) < ORPHAN_BATCH:
            return removed


@every(3600, "orphan-uploads")
async def _purge_orphans(ctx: WorkerContext) -> int:
    return await purge_orphans(ctx.db, LocalStorage(Path(ctx.settings.upload_dir)))
