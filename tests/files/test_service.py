"""store_upload: what is accepted, what is stored under which key, and what is refused."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from app.core.errors import PayloadTooLarge, UnsupportedMediaType
from app.core.i18n import set_language, t
from app.files.errors import CorruptFile, FileTooLarge, InvalidKey, UnsupportedFile
from app.files.service import StoredFile, clean_name, store_upload
from app.files.storage import LocalStorage
from tests.files import samples

PREFIX = "cases/42"


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


def stored_keys(storage: LocalStorage) -> list[str]:
    return sorted(str(p.relative_to(storage.root)) for p in storage.root.rglob("*") if p.is_file())


async def upload(
    storage: LocalStorage, data: bytes, name: str | None = "photo.jpg", **kw: int
) -> StoredFile:
    return await store_upload(storage, data=data, declared_name=name, key_prefix=PREFIX, **kw)


class TestAccepted:
    async def test_jpeg_stores_original_and_clean_copy(self, storage: LocalStorage) -> None:
        data = samples.jpeg_with_gps()

        stored = await upload(storage, data, "IMG_0001.JPG")

        digest = hashlib.sha256(data).hexdigest()
        assert stored.sha256 == digest and stored.size == len(data)
        assert stored.mime == "image/jpeg" and stored.original_name == "IMG_0001.JPG"
        assert re.fullmatch(rf"cases/42/{digest[:2]}/[0-9a-f]{{32}}\.jpg", stored.key)
        assert stored.public_key == stored.key.removesuffix(".jpg") + ".public.jpg"
        assert await storage.get(stored.key) == data
        public = samples.reopen(await storage.get(stored.public_key))
        assert dict(public.getexif()) == {} and public.format == "JPEG"
        assert public.size == (40, 80)  # upright
        assert sorted([stored.key, stored.public_key]) == stored_keys(storage)

    async def test_jpeg_location_is_kept_from_exif(self, storage: LocalStorage) -> None:
        stored = await upload(storage, samples.jpeg_with_gps())

        assert stored.exif_lng == pytest.approx(samples.LNG)
        assert stored.exif_lat == pytest.approx(samples.LAT)

    @pytest.mark.parametrize(
        ("make", "mime", "ext"),
        [
            (samples.png_with_metadata, "image/png", "png"),
            (samples.webp_with_metadata, "image/webp", "webp"),
        ],
    )
    async def test_png_and_webp(
        self, storage: LocalStorage, make: object, mime: str, ext: str
    ) -> None:
        assert callable(make)
        stored = await upload(storage, make(), "whatever.jpg")  # the name doesn't matter

        assert stored.mime == mime
        assert stored.key.endswith(f".{ext}") and stored.public_key.endswith(f".public.{ext}")
        assert dict(samples.reopen(await storage.get(stored.public_key)).getexif()) == {}

    async def test_pdf_is_served_as_uploaded(self, storage: LocalStorage) -> None:
        stored = await upload(storage, samples.PDF, "证明材料.pdf")

        assert stored.mime == "application/pdf" and stored.key.endswith(".pdf")
        assert stored.public_key == stored.key
        assert stored.exif_lng is None and stored.exif_lat is None
        assert stored.original_name == "证明材料.pdf"
        assert stored_keys(storage) == [stored.key]
        assert await storage.get(stored.key) == samples.PDF

    async def test_image_without_gps_has_no_location(self, storage: LocalStorage) -> None:
        stored = await upload(storage, samples.noisy_jpeg(), None)

        assert (stored.exif_lng, stored.exif_lat, stored.original_name) == (None, None, None)

    async def test_exactly_at_the_limit_is_accepted(self, storage: LocalStorage) -> None:
        stored = await upload(storage, samples.PDF, max_bytes=len(samples.PDF))

        assert stored.size == len(samples.PDF)

    async def test_same_bytes_twice_get_two_keys(self, storage: LocalStorage) -> None:
        first = await upload(storage, samples.PDF)
        second = await upload(storage, samples.PDF)

        assert first.sha256 == second.sha256 and first.key != second.key


class TestRefused:
    async def test_over_10_mb_is_413(self, storage: LocalStorage) -> None:
        blob = b"\xff\xd8\xff" + b"\x00" * (11 * 1024 * 1024)

        with pytest.raises(FileTooLarge) as exc:
            await upload(storage, blob)

        assert isinstance(exc.value, PayloadTooLarge)
        assert (exc.value.status, exc.value.code) == (413, "file_too_large")
        assert "10 MB" in exc.value.zh_detail and "10 MB" in exc.value.en_detail
        assert stored_keys(storage) == []

    @pytest.mark.parametrize(
        "data", [samples.EXE, samples.gif(), b"", b"plain text"], ids=["exe", "gif", "empty", "txt"]
    )
    async def test_unknown_type_is_415(self, storage: LocalStorage, data: bytes) -> None:
        with pytest.raises(UnsupportedFile) as exc:
            await upload(storage, data, "photo.jpg")

        assert isinstance(exc.value, UnsupportedMediaType)
        assert (exc.value.status, exc.value.code) == (415, "unsupported_file_type")
        assert "JPEG" in exc.value.zh_detail and "PDF" in exc.value.en_detail
        assert stored_keys(storage) == []

    async def test_truncated_jpeg_is_415_and_nothing_is_stored(self, storage: LocalStorage) -> None:
        data = samples.noisy_jpeg()

        with pytest.raises(CorruptFile) as exc:
            await upload(storage, data[: len(data) // 2])

        assert exc.value.status == 415
        assert stored_keys(storage) == []

    async def test_bad_prefix_is_a_bug_not_a_write(self, storage: LocalStorage) -> None:
        with pytest.raises(InvalidKey):
            await store_upload(storage, data=samples.PDF, declared_name=None, key_prefix="../x")

    async def test_failed_public_write_removes_the_original(
        self, storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        real_put = storage.put

        async def put(key: str, data: bytes, content_type: str) -> None:
            if ".public." in key:
                raise OSError("disk full")
            await real_put(key, data, content_type)

        monkeypatch.setattr(storage, "put", put)
        with pytest.raises(OSError, match="disk full"):
            await upload(storage, samples.jpeg_with_gps())

        assert stored_keys(storage) == []


def test_errors_speak_english_when_asked() -> None:
    err = UnsupportedFile()
    set_language("en")
    try:
        assert t(err.zh_detail, err.en_detail).startswith("Only JPEG")
    finally:
        set_language("zh")
    assert t(err.zh_detail, err.en_detail).startswith("仅支持")


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("IMG_0001.JPG", "IMG_0001.JPG"),
        ("wxfile://tmp_5f3a9c.jpg", "tmp_5f3a9c.jpg"),
        ("http://tmp/wx1234.jpg", "wx1234.jpg"),
        ("C:\\Users\\张三\\现场照片.jpg", "现场照片.jpg"),
        ("../../etc/passwd", "passwd"),
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("a\x00b\r\n.jpg", "ab.jpg"),
        ("  spaced.pdf  ", "spaced.pdf"),
        ("", None),
        ("   ", None),
        ("dir/", None),
        (None, None),
    ],
)
def test_clean_name(declared: str | None, expected: str | None) -> None:
    assert clean_name(declared) == expected


def test_clean_name_is_bounded() -> None:
    name = clean_name("长" * 500 + ".jpg")
    assert name is not None and len(name) == 200
