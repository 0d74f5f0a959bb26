"""Photos and evidence: POST /cases/{id}/attachments, POST /attachments (before the report),
GET /cases/{id}/attachments/{attachment_id}."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from PIL import Image
from sqlalchemy import func, select

from app.core.permissions import Role
from app.models import CaseAttachment
from tests.cases.helpers import (
    API,
    act,
    gif_bytes,
    jpeg_with_gps,
    report,
)
from tests.factories import World, png_bytes

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


async def upload(client: Any, auth: Any, user: Any, case_id: int, data: bytes,
                 name: str = "photo.jpg", mime: str = "image/jpeg",
                 **extra: Any) -> Any:
    return await client.post(f"{API}/cases/{case_id}/attachments", headers=auth(user, **extra),
                             files={"file": (name, data, mime)})


async def stored(db: Any, att_id: int) -> CaseAttachment:
    async with db.writing() as s:
        att = await s.get(CaseAttachment, att_id)
        assert att is not None
        return att


class TestAddCaseAttachment:
    async def test_jpeg_with_gps(self, client, auth, world: World, db):
        worker = world.user(Role.grid_worker, "s1c1g1")
        data = jpeg_with_gps()
        r = await upload(client, auth, worker, world.cases[0].id, data)
        assert r.status_code == 201, r.text
        att = r.json()
        assert att["case_id"] == world.cases[0].id
        assert att["mime"] == "image/jpeg"
        # The original is kept privately; what is served is a re-encoded copy without EXIF.
        assert att["original_size"] == len(data)
        assert att["original_sha256"] == hashlib.sha256(data).hexdigest()
        assert att["original_name"] == "photo.jpg"
        # The location the phone wrote is kept privately on the row (WGS-84, as EXIF is).
        row = await stored(db, att["id"])
        assert abs((row.exif_lng or 0) - (113 + 48 / 60 + 18 / 3600)) < 1e-6
        assert abs((row.exif_lat or 0) - (34 + 18 / 3600)) < 1e-6
        case = await client.get(f"{API}/cases/{world.cases[0].id}", headers=auth(worker))
        assert case.json()["attachment_ids"] == [world.attachments[0].id, att["id"]]

    async def test_download_has_no_exif(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        data = jpeg_with_gps()
        att = (await upload(client, auth, worker, world.cases[0].id, data)).json()
        r = await client.get(f"{API}/cases/{world.cases[0].id}/attachments/{att['id']}",
                             headers=auth(world.user(Role.command_operator)))
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/jpeg"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.content != data
        im = Image.open(io.BytesIO(r.content))
        assert im.format == "JPEG" and im.size == (32, 24)
        assert len(im.getexif()) == 0
        assert b"TestCam" not in r.content

    async def test_metadata_describes_the_served_copy(self, client, auth, world: World):
        """`size` and `sha256` are those of what a download returns, so a client can check
        what it got; the original's are apart."""
        worker = world.user(Role.grid_worker, "s1c1g1")
        data = jpeg_with_gps()
        att = (await upload(client, auth, worker, world.cases[0].id, data)).json()
        got = await client.get(f"{API}/cases/{world.cases[0].id}/attachments/{att['id']}",
                               headers=auth(worker))
        assert got.content != data
        assert att["size"] == len(got.content)
        assert att["sha256"] == hashlib.sha256(got.content).hexdigest()
        assert (att["original_size"], att["original_sha256"]) == (
            len(data), hashlib.sha256(data).hexdigest())

    async def test_pdf(self, client, auth, world: World):
        r = await upload(client, auth, world.user(Role.grid_worker, "s1c1g1"), world.cases[0].id,
                         PDF, name="证明.pdf", mime="application/pdf")
        assert r.status_code == 201, r.text
        got = await client.get(f"{API}/cases/{world.cases[0].id}/attachments/{r.json()['id']}",
                               headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        assert got.content == PDF
        # Served as uploaded: one size and digest for both.
        att = r.json()
        assert att["size"] == att["original_size"] == len(PDF)
        assert att["sha256"] == att["original_sha256"] == hashlib.sha256(PDF).hexdigest()
        assert got.headers["content-disposition"] == "attachment"

    async def test_eleven_megabytes_is_413(self, client, auth, world: World):
        data = b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024)
        r = await upload(client, auth, world.user(Role.grid_worker, "s1c1g1"),
                         world.cases[0].id, data)
        assert r.status_code == 413
        assert r.json()["code"] == "file_too_large"

    async def test_gif_is_415(self, client, auth, world: World):
        r = await upload(client, auth, world.user(Role.grid_worker, "s1c1g1"), world.cases[0].id,
                         gif_bytes(), name="photo.gif", mime="image/gif")
        assert r.status_code == 415
        assert r.json()["code"] == "unsupported_file_type"

    async def test_text_named_jpg_is_415(self, client, auth, world: World):
        r = await upload(client, auth, world.user(Role.grid_worker, "s1c1g1"), world.cases[0].id,
                         b"just some text, honest", name="photo.jpg", mime="image/jpeg")
        assert r.status_code == 415

    async def test_truncated_jpeg_is_415(self, client, auth, world: World):
        r = await upload(client, auth, world.user(Role.grid_worker, "s1c1g1"), world.cases[0].id,
                         jpeg_with_gps()[:200])
        assert r.status_code == 415

    async def test_extra_form_fields_are_accepted(self, client, auth, world: World):
        # wx.uploadFile sends `formData` next to the file.
        r = await client.post(f"{API}/cases/{world.cases[0].id}/attachments",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              data={"kind": "evidence", "note": "处置后"},
                              files={"file": ("tmp_abc.png", png_bytes(), "image/png")})
        assert r.status_code == 201, r.text

    async def test_missing_file_is_422(self, client, auth, world: World):
        r = await client.post(f"{API}/cases/{world.cases[0].id}/attachments",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              data={"name": "x"}, files={"photo": ("p.png", png_bytes())})
        assert r.status_code == 422

    async def test_out_of_scope_case_is_404(self, client, auth, world: World):
        r = await upload(client, auth, world.user(Role.grid_worker, "s1c1g2"), world.cases[0].id,
                         png_bytes(), name="p.png", mime="image/png")
        assert r.status_code == 404
        assert r.json()["code"] == "case_not_found"

    async def test_auditor_is_403(self, client, auth, world: World, db):
        r = await upload(client, auth, world.user(Role.auditor), world.cases[0].id, png_bytes(),
                         name="p.png", mime="image/png")
        assert r.status_code == 403
        async with db.writing() as s:
            n = await s.scalar(select(func.count()).select_from(CaseAttachment)
                               .where(CaseAttachment.case_id == world.cases[0].id))
        assert n == 1

    async def test_handler_adds_evidence(self, client, auth, world: World):
        operator = world.user(Role.command_operator)
        liaison = world.user(Role.unit_liaison, "s2c1")
        case = await report(client, auth, world)
        await act(client, auth, operator, case["id"], "accept")
        await act(client, auth, operator, case["id"], "dispatch",
                  org_id=world.communities[2].id)
        r = await upload(client, auth, liaison, case["id"], png_bytes(), name="p.png",
                         mime="image/png")
        assert r.status_code == 201, r.text

    async def test_idempotency_key_replays_the_upload(self, client, auth, world: World, db):
        worker = world.user(Role.grid_worker, "s1c1g1")
        key = {"Idempotency-Key": "upload-retry-1"}
        data = png_bytes("blue")
        # httpx, like wx.uploadFile, picks a new multipart boundary for every request.
        first = await upload(client, auth, worker, world.cases[0].id, data, name="p.png",
                             mime="image/png", **key)
        again = await upload(client, auth, worker, world.cases[0].id, data, name="p.png",
                             mime="image/png", **key)
        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"
        async with db.writing() as s:
            n = await s.scalar(select(func.count()).select_from(CaseAttachment)
                               .where(CaseAttachment.case_id == world.cases[0].id))
        assert n == 2


class TestUploadBeforeReport:
    async def test_unbound_upload(self, client, auth, world: World):
        r = await client.post(f"{API}/attachments",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              data={"client_ref": "x"},
                              files={"file": ("p.png", png_bytes(), "image/png")})
        assert r.status_code == 201, r.text
        assert r.json()["case_id"] is None

    async def test_gif_is_415(self, client, auth, world: World):
        r = await client.post(f"{API}/attachments",
                              headers=auth(world.user(Role.grid_worker, "s1c1g1")),
                              files={"file": ("p.gif", gif_bytes(), "image/gif")})
        assert r.status_code == 415

    async def test_a_unit_liaison_may_upload_wish_evidence(self, client, auth, world: World):
        # Liaisons report no cases, but they fulfil wishes for their unit, with photos.
        r = await client.post(f"{API}/attachments",
                              headers=auth(world.user(Role.unit_liaison, "s1c1")),
                              files={"file": ("p.png", png_bytes(), "image/png")})
        assert r.status_code == 201, r.text

    async def test_someone_who_cannot_report_is_403(self, client, auth, world: World):
        r = await client.post(f"{API}/attachments", headers=auth(world.user(Role.auditor)),
                              files={"file": ("p.png", png_bytes(), "image/png")})
        assert r.status_code == 403


class TestDownload:
    async def test_reporter_downloads(self, client, auth, world: World):
        r = await client.get(
            f"{API}/cases/{world.cases[0].id}/attachments/{world.attachments[0].id}",
            headers=auth(world.user(Role.grid_worker, "s1c1g1")))
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(r.content)).size == (8, 8)

    async def test_out_of_scope_is_404(self, client, auth, world: World):
        r = await client.get(
            f"{API}/cases/{world.cases[0].id}/attachments/{world.attachments[0].id}",
            headers=auth(world.user(Role.grid_worker, "s1c1g2")))
        assert r.status_code == 404
        assert r.json()["code"] == "case_not_found"

    async def test_attachment_of_another_case_is_404(self, client, auth, world: World):
        # Both cases visible to the caller; the pair does not match.
        r = await client.get(
            f"{API}/cases/{world.cases[0].id}/attachments/{world.attachments[1].id}",
            headers=auth(world.user(Role.community_admin, "s1c1")))
        assert r.status_code == 404
        assert r.json()["code"] == "attachment_not_found"

    async def test_unbound_upload_is_404(self, client, auth, world: World):
        worker = world.user(Role.grid_worker, "s1c1g1")
        up = await client.post(f"{API}/attachments", headers=auth(worker),
                               files={"file": ("p.png", png_bytes(), "image/png")})
        r = await client.get(f"{API}/cases/{world.cases[0].id}/attachments/{up.json()['id']}",
                             headers=auth(worker))
        assert r.status_code == 404


class TestOrphanUploads:
    """Photos uploaded for a report that never came are purged after a day, files too."""

    async def test_old_unbound_uploads_go_with_their_files(self, world: World, db, settings):
        from datetime import timedelta
        from pathlib import Path

        from app.cases.attachments import purge_orphans
        from app.core.types import utcnow
        from app.files.storage import LocalStorage
        from tests.factories import attach_photo

        storage = LocalStorage(Path(settings.upload_dir))
        async with db.writing() as s:
            old = await attach_photo(s, storage, None, owner="user:1")
            fresh = await attach_photo(s, storage, None, owner="user:1")
            bound = await attach_photo(s, storage, world.cases[0])
            for att in (old, bound):
                att.created_at = utcnow() - timedelta(hours=25)
            await s.commit()
            keys = {a.id: (a.storage_key, a.public_key) for a in (old, fresh, bound)}
        assert await purge_orphans(db, storage) == 1
        async with db.writing() as s:
            left = set((await s.execute(select(CaseAttachment.id).where(
                CaseAttachment.id.in_(list(keys))))).scalars())
        assert left == {fresh.id, bound.id}
        assert not any([await storage.exists(k) for k in keys[old.id]])
        assert all([await storage.exists(k) for k in keys[fresh.id] + keys[bound.id]])
        assert await purge_orphans(db, storage) == 0


class TestUploadDigests:
    """Photos stored before the served copy was measured get its size and digest from the
    worker's sweep."""

    async def test_sweep_measures_the_served_copy(self, world: World, db, settings):
        from pathlib import Path

        from app.cases.attachments import fill_public_digests
        from app.files.storage import LocalStorage
        from tests.factories import attach_photo

        storage = LocalStorage(Path(settings.upload_dir))
        async with db.writing() as s:
            legacy = await attach_photo(s, storage, world.cases[0])
            gone = await attach_photo(s, storage, world.cases[0])
            legacy.public_size = legacy.public_sha256 = None
            gone.public_size = gone.public_sha256 = None
            await s.commit()
            served = await storage.get(legacy.public_key)
        await storage.delete(gone.public_key)
        assert await fill_public_digests(db, storage) == 1
        async with db.writing() as s:
            row = await s.get(CaseAttachment, legacy.id)
            assert row is not None and row.public_size == len(served)
            assert row.public_sha256 == hashlib.sha256(served).hexdigest()
            missing = await s.get(CaseAttachment, gone.id)
            assert missing is not None and missing.public_sha256 is None
        assert await fill_public_digests(db, storage) == 0
