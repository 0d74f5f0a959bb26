"""Where uploaded files live: a small interface and the local-directory backend.

Keys are opaque, slash-separated names made by `app.files.service` (e.g.
`cases/3f/0a1b….public.jpg`). Only `[a-z0-9/_.-]` is allowed, with no `..`, no leading or
trailing `/` and no empty segment, so a key maps onto a path inside the root and nowhere else, and
means the same thing on a file system and in an object store.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from app.files.errors import FileMissing, InvalidKey

MAX_KEY_LENGTH = 512
_KEY = re.compile(r"[a-z0-9_.-]+(?:/[a-z0-9_.-]+)*")


class FileStorage(Protocol):
    """A flat store of immutable blobs addressed by key.

    `get` of a key that is not there raises `FileMissing`; `delete` of one is a no-op. `put`
    replaces a whole object atomically: a reader sees the old bytes or the new, never a part.

    An S3-compatible backend (MinIO, Aliyun OSS, Tencent COS, AWS S3) implements it as:
    `put` → `PutObject(Bucket, Key=prefix + key, Body=data, ContentType=content_type)` (an object
    appears whole or not at all, so no temp-file dance; send `ChecksumSHA256` to have the store
    verify the body); `get` → `GetObject`, mapping `NoSuchKey` to `FileMissing`; `delete` →
    `DeleteObject` (already idempotent); `exists` → `HeadObject`, 404 → False. It must use an
    async client (aiobotocore, or httpx with SigV4) or wrap a sync one in `asyncio.to_thread`,
    keep the bucket private (downloads are authorized like the case, so they go through the API
    or through a short-lived presigned URL issued after that check), and validate keys with
    `validate_key` like the local backend so both accept exactly the same names.
    """

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...


def validate_key(key: str) -> str:
    if len(key) > MAX_KEY_LENGTH or ".." in key or not _KEY.fullmatch(key):
        raise InvalidKey(f"invalid storage key: {key!r}")
    return key


class LocalStorage:
    """Files under one directory; the key is the relative path.

    File I/O runs in worker threads so a 10 MB write doesn't stall the event loop. The content
    type is not kept: callers store it on their own row, and it can be sniffed again.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        # Second line of defence: a symlink planted inside the root must not lead out of it.
        if not path.is_relative_to(self.root):
            raise InvalidKey(f"storage key leaves the root: {key!r}")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(_write_atomic, self._path(key), data)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise FileMissing() from exc

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # "~" is not allowed in keys, so no key can ever name a temp file, finished or abandoned.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}~", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            # The bytes must be on disk before the rename makes them visible, or a crash could
            # leave a complete-looking name with empty content.
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


if TYPE_CHECKING:
    # mypy proves here that the local backend satisfies the protocol.
    _conforms: FileStorage = LocalStorage(Path())
