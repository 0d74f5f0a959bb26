"""The served copy: same format, upright, and nothing the phone wrote about where or who."""

from __future__ import annotations

import pytest
from PIL import Image

from app.files.errors import CorruptFile, ImageTooLarge, UnsupportedFile
from app.files.images import MAX_PIXELS, exif_location, sanitize
from tests.files import samples

METADATA_MARKERS = (b"Exif\x00\x00", b"xmpmeta", b"secret", b"TestCam", b"Phone 9")


def assert_no_metadata(data: bytes) -> None:
    im = samples.reopen(data)
    assert dict(im.getexif()) == {}
    assert im.getexif().get_ifd(0x8825) == {}  # GPS IFD
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment"} & im.info.keys()
    for marker in METADATA_MARKERS:
        assert marker not in data, marker


class TestSanitize:
    def test_jpeg_loses_exif_gps_xmp_and_comment(self) -> None:
        original = samples.jpeg_with_gps()
        assert samples.reopen(original).getexif().get_ifd(0x8825)  # the test data has GPS
        assert b"xmpmeta" in original and b"secret-comment" in original

        clean = sanitize(original, "image/jpeg")

        assert_no_metadata(clean)
        assert samples.reopen(clean).format == "JPEG"

    def test_jpeg_is_turned_upright_by_its_orientation(self) -> None:
        clean = samples.reopen(sanitize(samples.jpeg_with_gps(), "image/jpeg")).convert("RGB")

        # Stored 80×40 with orientation 6 (turn 90° clockwise): upright it is 40×80, red on top.
        assert clean.size == (40, 80)
        top, bottom = clean.getpixel((20, 10)), clean.getpixel((20, 70))
        assert isinstance(top, tuple) and isinstance(bottom, tuple)
        assert top[0] > 200 and top[2] < 60
        assert bottom[2] > 200 and bottom[0] < 60

    def test_multi_picture_jpeg_keeps_only_the_main_picture(self) -> None:
        # Phones write MPO: a JPEG followed by more images (previews, depth maps) and their EXIF.
        main, extra = samples.half_and_half(), Image.new("RGB", (20, 20), (0, 255, 0))
        original = samples.encode(
            main, "MPO", save_all=True, append_images=[extra], exif=samples.gps_exif()
        )
        assert samples.reopen(original).format == "MPO"

        clean = sanitize(original, "image/jpeg")

        assert_no_metadata(clean)
        im = samples.reopen(clean)
        assert (im.format, im.size, getattr(im, "n_frames", 1)) == ("JPEG", (80, 40), 1)
        assert b"MPF" not in clean

    def test_png_keeps_format_and_alpha_without_metadata(self) -> None:
        original = samples.png_with_metadata()
        assert samples.reopen(original).getexif().get_ifd(0x8825)

        clean = sanitize(original, "image/png")

        assert_no_metadata(clean)
        im = samples.reopen(clean)
        assert (im.format, im.mode, im.size) == ("PNG", "RGBA", (80, 40))
        assert im.getpixel((0, 0)) == (0, 255, 0, 0)

    def test_palette_png_keeps_its_transparency(self) -> None:
        im = samples.half_and_half().convert("P")
        original = samples.encode(im, "PNG", transparency=0)

        clean = samples.reopen(sanitize(original, "image/png"))

        assert clean.mode == "P" and clean.info.get("transparency") == 0

    def test_webp_keeps_format_without_metadata(self) -> None:
        original = samples.webp_with_metadata()
        assert "exif" in samples.reopen(original).info

        clean = sanitize(original, "image/webp")

        assert_no_metadata(clean)
        assert samples.reopen(clean).format == "WEBP"

    def test_truncated_jpeg_is_refused_as_corrupt(self) -> None:
        data = samples.noisy_jpeg()

        with pytest.raises(CorruptFile) as exc:
            sanitize(data[: len(data) // 2], "image/jpeg")

        assert isinstance(exc.value, UnsupportedFile)
        assert (exc.value.status, exc.value.code) == (415, "file_corrupt")

    def test_bytes_that_only_start_like_a_jpeg_are_refused(self) -> None:
        with pytest.raises(CorruptFile):
            sanitize(b"\xff\xd8\xff" + b"not really a picture" * 10, "image/jpeg")

    def test_a_png_is_not_decoded_as_jpeg(self) -> None:
        with pytest.raises(CorruptFile):
            sanitize(samples.png_with_metadata(), "image/jpeg")

    def test_over_the_pixel_limit_is_refused(self) -> None:
        bomb = samples.png_header(8000, 6000)  # 48 MP: Pillow only warns; we refuse
        assert 8000 * 6000 > MAX_PIXELS

        with pytest.warns(Image.DecompressionBombWarning), pytest.raises(ImageTooLarge) as exc:
            sanitize(bomb, "image/png")

        assert (exc.value.status, exc.value.code) == (413, "image_too_large")

    def test_decompression_bomb_is_refused(self) -> None:
        with pytest.raises(ImageTooLarge):
            sanitize(samples.png_header(30_000, 30_000), "image/png")

    def test_just_under_the_limit_opens(self) -> None:
        assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS
        im = Image.new("L", (4000, 3000))  # a 12 MP phone photo
        assert samples.reopen(sanitize(samples.encode(im, "PNG"), "image/png")).size == (4000, 3000)


class TestExifLocation:
    @pytest.mark.parametrize(
        "make", [samples.jpeg_with_gps, samples.png_with_metadata, samples.webp_with_metadata]
    )
    def test_returns_embedded_lng_lat(self, make: object) -> None:
        assert callable(make)
        location = exif_location(make())

        assert location == pytest.approx((samples.LNG, samples.LAT), abs=1e-9)

    def test_south_and_west_are_negative(self) -> None:
        exif = samples.gps_exif()
        gps = exif.get_ifd(0x8825)
        gps[1], gps[3] = "S", "W"
        data = samples.encode(samples.half_and_half(), "JPEG", exif=exif)

        assert exif_location(data) == pytest.approx((-samples.LNG, -samples.LAT))

    def test_none_without_gps(self) -> None:
        assert exif_location(samples.noisy_jpeg()) is None

    def test_none_for_zero_fix(self) -> None:
        exif = samples.gps_exif()
        gps = exif.get_ifd(0x8825)
        gps[2] = gps[4] = (0.0, 0.0, 0.0)

        assert exif_location(samples.encode(samples.half_and_half(), "JPEG", exif=exif)) is None

    @pytest.mark.parametrize("data", [b"", samples.PDF, b"\xff\xd8\xffgarbage"])
    def test_none_for_non_images(self, data: bytes) -> None:
        assert exif_location(data) is None
