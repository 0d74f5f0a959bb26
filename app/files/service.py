"""Accepting an uploaded file: check it, strip what must not be shared, store both copies."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Annotated
from uuid import uuid4

from fastapi import Depends, File, Request, Response, UploadFile

from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep, end_reads
from app.files.errors import FileTooLarge, UnsupportedFile
from app.files.images import exif_location, sanitize
from app.files.sniff import JPEG, PDF, PNG, WEBP, detect
from app.files.storage import FileStorage, validate_key

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_NAME_LENGTH = 200
EXTENSIONS = {JPEG: "jpg", PNG: "png", WEBP: "webp", PDF: "pdf"}


async def _storage(request: Request) -> FileStorage:
    storage: FileStorage = request.app.state.storage
    return storage


# The app's file storage, for the routes that take uploads or serve them.
StorageDep = Annotated[FileStorage, Depends(_storage)]
UploadField = Annotated[UploadFile, File(description="图片（JPEG/PNG/WebP）或 PDF，≤10 MB")]




@dataclass(frozen=True)
class StoredFile:
    key: str  # the bytes as uploaded; keep private (EXIF location, device)
    public_key: str  # what others are served; equals `key` for a PDF
    mime: str
    size: int
    sha256: str  # of the original bytes
    public_size: int  # of the copy that is served (the original's for a PDF)
    public_sha256: str
    original_name: str | None
    exif_lng: float | None  # WGS-84, from the original's EXIF
    exif_lat: float | None


@dataclass(frozen=True)
class _Prepared:
    mime: str
    sha256: str
    public: bytes | None  # None: serve the original
    public_sha256: str | None  # of `public`
    location: tuple[float, float] | None


@dataclass(frozen=True)
class PreparedUpload:
    """An accepted upload, checked and re-encoded, not yet stored."""

    data: bytes
    declared_name: str | None
    prepared: _Prepared


async def prepare_upload(data: bytes, declared_name: str | None, *,
                         max_bytes: int = MAX_UPLOAD_BYTES) -> PreparedUpload:
    """Check an upload and make its shareable copy; raises FileTooLarge (413) or
    UnsupportedFile (415). CPU work (hashing 10 MB, re-encoding a photo: tens to hundreds of
    milliseconds), so in a thread, and done before the request's transaction writes anything."""
    if len(data) > max_bytes:
        mb = f"{max_bytes / (1024 * 1024):g}"
        raise FileTooLarge(f"文件超过 {mb} MB 上限", f"The file exceeds the {mb} MB limit")
    return PreparedUpload(data, declared_name, await asyncio.to_thread(_prepare, data))


async def _prepared(file: UploadField, _principal: CurrentPrincipal, session: SessionDep
                    ) -> PreparedUpload:
    """The request's upload, checked and re-encoded before the unit of work writes anything
    (list it before `Idempotent`): no transaction or SQLite write lock is held meanwhile.
    After authentication, so strangers cannot spend our CPU."""
    await end_reads(session)
    return await prepare_upload(await file.read(), file.filename)


# Route dependency and parameter alike (FastAPI runs it once per request).
PreparedFile = Depends(_prepared)
PreparedFileDep = Annotated[PreparedUpload, PreparedFile]


async def store_upload(
    storage: FileStorage,
    *,
    data: bytes,
    declared_name: str | None,
    max_bytes: int = MAX_UPLOAD_BYTES,
    key_prefix: str,
) -> StoredFile:
    """Check, then store an upload and its shareable copy (`prepare_upload`, `store_prepared`)."""
    validate_key(key_prefix)
    upload = await prepare_upload(data, declared_name, max_bytes=max_bytes)
    return await store_prepared(storage, upload, key_prefix=key_prefix)


async def store_prepared(storage: FileStorage, upload: PreparedUpload, *,
                         key_prefix: str) -> StoredFile:
    """Store a prepared upload and its shareable copy. Nothing is written unless the file was
    accepted. The caller records the result on its own row; if its transaction then fails, it
    should delete both keys."""
    validate_key(key_prefix)
    prepared, data, declared_name = upload.prepared, upload.data, upload.declared_name
    stem = f"{key_prefix}/{prepared.sha256[:2]}/{uuid4().hex}"
    ext = EXTENSIONS[prepared.mime]
    key = f"{stem}.{ext}"
    public_key = key if prepared.public is None else f"{stem}.public.{ext}"
    await storage.put(key, data, prepared.mime)
    if prepared.public is not None:
        try:
            await storage.put(public_key, prepared.public, prepared.mime)
        except BaseException:
            # Don't leave a private original behind that no row points at.
            with contextlib.suppress(Exception):
                await storage.delete(key)
            raise
    lng, lat = prepared.location or (None, None)
    return StoredFile(
        key=key,
        public_key=public_key,
        mime=prepared.mime,
        size=len(data),
        sha256=prepared.sha256,
        public_size=len(data) if prepared.public is None else len(prepared.public),
        public_sha256=prepared.public_sha256 or prepared.sha256,
        original_name=clean_name(declared_name),
        exif_lng=lng,
        exif_lat=lat,
    )


def _prepare(data: bytes) -> _Prepared:
    mime = detect(data)
    if mime is None:
        raise UnsupportedFile()
    digest = hashlib.sha256(data).hexdigest()
    if mime == PDF:
        return _Prepared(mime, digest, None, None, None)
    # sanitize first: it refuses undecodable and oversized images before EXIF is parsed.
    public = sanitize(data, mime)
    return _Prepared(mime, digest, public, hashlib.sha256(public).hexdigest(),
                     exif_location(data))


def clean_name(name: str | None) -> str | None:
    """The client's file name fit for display: last path segment, no control characters.

    Format characters go too: a right-to-left override can make "photo\u202egpj.exe" read as
    "photoexe.jpg". The name is for display only; the stored type comes from the bytes.
    """
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        c for c in unicodedata.normalize("NFC", base) if not unicodedata.category(c).startswith("C")
    )
    text = text.strip()[:MAX_NAME_LENGTH]
    return text or None


async def public_copy_response(storage: FileStorage, *, public_key: str, mime: str) -> Response:
    """Serve an upload's shareable copy (never the original: that keeps the EXIF location).

    Every download of an upload (case photos, wish evidence) answers through here, so the
    headers cannot drift apart: private caching only, no type sniffing, PDFs never inline.
    """
    data = await storage.get(public_key)
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    if mime == PDF:
        # PDFs are served as uploaded: never let a browser render one inline.
        headers["Content-Disposition"] = "attachment"
    return Response(data, media_type=mime, headers=headers)
