"""Photos and evidence: uploaded before a case exists (offline) or onto a case."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select, update
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
from app.files.errors import FileMissing
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
        public_size=stored.public_size, public_sha256=stored.public_sha256,
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
    """`size` and `sha256` describe what a download returns (the served copy); the original's
    are apart. A photo stored before the served copy was measured has them filled in by the
    worker (`upload-digests`); until then it reports the original's."""
    return AttachmentRead(id=att.id, case_id=att.case_id, mime=att.mime,
                          size=att.public_size if att.public_size is not None else att.size,
                          sha256=att.public_sha256 or att.sha256,
                          original_size=att.size, original_sha256=att.sha256,
                          original_name=att.original_name, created_at=att.created_at)


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
            unbound = (CaseAttachment.case_id.is_(None) & CaseAttachment.wish_id.is_(None)
                       & CaseAttachment.task_report_id.is_(None)
                       & CaseAttachment.meeting_id.is_(None))
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


DIGEST_BATCH = 100


async def fill_public_digests(db: Database, storage: FileStorage) -> int:
    """Uploads stored before the served copy's size and SHA-256 were recorded: measured from
    storage a batch at a time, no transaction open while files are read; returns how many were
    filled. A row whose file is gone is skipped (and stays as it was)."""
    filled, after = 0, 0
    while True:
        async with db.reading() as s:
            rows = (await s.execute(
                select(CaseAttachment.id, CaseAttachment.public_key)
                .where(CaseAttachment.public_sha256.is_(None), CaseAttachment.id > after)
                .order_by(CaseAttachment.id).limit(DIGEST_BATCH))).all()
        if not rows:
            return filled
        after = rows[-1][0]
        measured: dict[int, tuple[int, str]] = {}
        for att_id, key in rows:
            try:
                data = await storage.get(key)
            except FileMissing:
                continue
            measured[att_id] = (len(data), await asyncio.to_thread(_hex_sha256, data))
        async with db.writing() as s:
            for att_id, (size, digest) in measured.items():
                await s.execute(update(CaseAttachment).where(
                    CaseAttachment.id == att_id, CaseAttachment.public_sha256.is_(None),
                ).values(public_size=size, public_sha256=digest)
                    .execution_options(synchronize_session=False))
        filled += len(measured)


def _hex_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@every(3600, "upload-digests")
async def _fill_public_digests(ctx: WorkerContext) -> int:
    return await fill_public_digests(ctx.db, LocalStorage(Path(ctx.settings.upload_dir)))
