"""LocalStorage: round trip, atomic replace, and no key that reaches outside the root."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from app.files.errors import FileMissing, InvalidKey
from app.files.storage import FileStorage, LocalStorage

BAD_KEYS = [
    "../escape.jpg",
    "cases/../../escape.jpg",
    "cases/..",
    "..",
    "/etc/passwd",
    "cases//x.jpg",
    "cases/",
    "",
    "Cases/X.JPG",
    "cases\\x.jpg",
    "cases/x.jpg\x00.png",
    "cases/x~1.tmp",
    "cases/ x.jpg",
    "cases/照片.jpg",
    "a" * 513,
]


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


class TestRoundTrip:
    async def test_put_get_exists_delete(self, storage: LocalStorage) -> None:
        store: FileStorage = storage
        key = "cases/ab/0123.public.jpg"

        assert not await store.exists(key)
        await store.put(key, b"\xff\xd8\xffpicture", "image/jpeg")

        assert await store.exists(key)
        assert await store.get(key) == b"\xff\xd8\xffpicture"
        assert (storage.root / "cases/ab/0123.public.jpg").read_bytes() == b"\xff\xd8\xffpicture"

        await store.delete(key)
        assert not await store.exists(key)

    async def test_put_replaces_whole_content(self, storage: LocalStorage) -> None:
        await storage.put("a/b.pdf", b"first version, longer", "application/pdf")
        await storage.put("a/b.pdf", b"second", "application/pdf")

        assert await storage.get("a/b.pdf") == b"second"

    async def test_get_missing_is_not_found(self, storage: LocalStorage) -> None:
        with pytest.raises(FileMissing) as exc:
            await storage.get("cases/00/none.jpg")

        assert (exc.value.status, exc.value.code) == (404, "file_not_found")

    async def test_a_directory_is_not_a_file(self, storage: LocalStorage) -> None:
        await storage.put("cases/ab/x.jpg", b"x", "image/jpeg")

        assert not await storage.exists("cases/ab")
        with pytest.raises(FileMissing):
            await storage.get("cases/ab")

    async def test_delete_missing_is_a_no_op(self, storage: LocalStorage) -> None:
        await storage.delete("cases/00/none.jpg")


class TestAtomicWrite:
    async def test_leaves_no_temp_file(self, storage: LocalStorage) -> None:
        await storage.put("cases/ab/x.jpg", b"x" * 100_000, "image/jpeg")

        assert files_under(storage.root) == ["cases/ab/x.jpg"]

    async def test_failed_write_keeps_old_content_and_cleans_up(
        self, storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await storage.put("cases/ab/x.jpg", b"old", "image/jpeg")

        def crash(src: object, dst: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", crash)
        with pytest.raises(OSError, match="disk full"):
            await storage.put("cases/ab/x.jpg", b"new" * 1000, "image/jpeg")
        monkeypatch.undo()

        assert await storage.get("cases/ab/x.jpg") == b"old"
        assert files_under(storage.root) == ["cases/ab/x.jpg"]

    async def test_concurrent_writers_never_mix(self, storage: LocalStorage) -> None:
        payloads = [bytes([i]) * 500_000 for i in range(12)]

        await asyncio.gather(*(storage.put("k/v.bin", p, "x/y") for p in payloads))

        assert await storage.get("k/v.bin") in payloads
        assert files_under(storage.root) == ["k/v.bin"]


class TestKeysStayInsideTheRoot:
    @pytest.mark.parametrize("key", BAD_KEYS)
    async def test_refused_everywhere(self, storage: LocalStorage, key: str) -> None:
        with pytest.raises(InvalidKey):
            await storage.put(key, b"x", "image/jpeg")
        with pytest.raises(InvalidKey):
            await storage.get(key)
        with pytest.raises(InvalidKey):
            await storage.exists(key)
        with pytest.raises(InvalidKey):
            await storage.delete(key)

        assert not (storage.root.parent / "escape.jpg").exists()

    async def test_symlink_out_of_the_root_is_refused(
        self, storage: LocalStorage, tmp_path: Path
    ) -> None:
        outside = tmp_path / "outside"
        outside.mkdir()
        storage.root.mkdir(parents=True)
        (storage.root / "link").symlink_to(outside)

        with pytest.raises(InvalidKey):
            await storage.put("link/x.jpg", b"x", "image/jpeg")

        assert list(outside.iterdir()) == []
