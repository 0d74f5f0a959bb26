"""微心愿 evidence photos: fulfil binds the claimant's own unused uploads to the wish;
GET /wishes/{id}/attachments/{attachment_id} serves the EXIF-free copy to whoever may read the
wish; the orphan purge leaves wish-bound uploads alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.cases.attachments import purge_orphans
from app.core.permissions import Role
from app.core.types import utcnow
from app.files.storage import LocalStorage
from app.models import CaseAttachment
from tests.cases.helpers import jpeg_with_gps
from tests.factories import World, attach_photo, png_bytes
from tests.wishes.test_router import WISHES, post, worker


async def upload(client: Any, headers: dict[str, str], data: bytes | None = None,
                 name: str = "p.png", mime: str = "image/png") -> int:
    r = await client.post("/api/v1/attachments", headers=headers,
                          files={"file": (name, data or png_bytes(), mime)})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def stored(db: Any, att_id: int) -> CaseAttachment:
    async with db.writing() as s:
        att = await s.get(CaseAttachment, att_id)
        assert att is not None
        return att


async def claimed(client: Any, auth: Any, world: World, i: int = 0) -> tuple[str, dict[str, str]]:
    """The URL of world wish `i`, claimed by the registered member of its community."""
    url = f"{WISHES}/{world.wishes[i].id}"
    me = auth(world.reg_users[i // 2])
    await post(client, me, f"{url}/claim")
    return url, me


async def fulfilled(client: Any, auth: Any, world: World, data: bytes | None = None,
                    mime: str = "image/png") -> tuple[str, int]:
    url, me = await claimed(client, auth, world)
    att = await upload(client, me, data, mime=mime)
    done = await post(client, me, f"{url}/fulfil", {"evidence": "已送达", "attachment_ids": [att]})
    assert done["evidence_attachment_ids"] == [att]
    return url, att


class TestFulfilBinds:
    async def test_own_uploads_become_the_wishs(self, client, auth, world: World, db):
        url, me = await claimed(client, auth, world)
        ids = [await upload(client, me), await upload(client, me)]
        done = await post(client, me, f"{url}/fulfil",
                          {"evidence": "已送达", "attachment_ids": [ids[1], ids[0], ids[1]]})
        assert done["evidence_attachment_ids"] == [ids[1], ids[0]]
        for att_id in ids:
            att = await stored(db, att_id)
            assert (att.wish_id, att.case_id) == (world.wishes[0].id, None)

    async def test_someone_elses_upload_is_422_and_binds_nothing(self, client, auth,
                                                                 world: World, db):
        url, me = await claimed(client, auth, world)
        mine = await upload(client, me)
        theirs = await upload(client, auth(worker(world)))
        p = await post(client, me, f"{url}/fulfil",
                       {"evidence": "x", "attachment_ids": [mine, theirs]}, expect=422)
        assert [e["field"] for e in p["errors"]] == ["attachment_ids"]
        assert (await stored(db, mine)).wish_id is None
        r = await client.get(url, headers=me)
        assert r.json()["status"] == "claimed"

    async def test_english_message(self, client, auth, world: World):
        url, me = await claimed(client, auth, world)
        r = await client.post(f"{url}/fulfil", headers={**me, "Accept-Language": "en"},
                              json={"evidence": "x", "attachment_ids": [2_000_000_000]})
        assert r.status_code == 422
        assert "unused uploads" in r.text

    async def test_upload_bound_to_a_case_is_422(self, client, auth, world: World, db,
                                                 settings):
        url, me = await claimed(client, auth, world)
        async with db.writing() as s:
            att = await attach_photo(s, LocalStorage(Path(settings.upload_dir)), world.cases[0],
                                     owner=f"user:{world.reg_users[0].id}")
            await s.commit()
        p = await post(client, me, f"{url}/fulfil",
                       {"evidence": "x", "attachment_ids": [att.id]}, expect=422)
        assert [e["field"] for e in p["errors"]] == ["attachment_ids"]

    async def test_upload_bound_to_another_wish_is_422(self, client, auth, world: World, db):
        # The same member claims the community's second wish and reuses the first's photo.
        _, first = await fulfilled(client, auth, world)
        url, me = f"{WISHES}/{world.wishes[1].id}", auth(world.reg_users[0])
        await post(client, me, f"{url}/claim")
        p = await post(client, me, f"{url}/fulfil",
                       {"evidence": "x", "attachment_ids": [first]}, expect=422)
        assert [e["field"] for e in p["errors"]] == ["attachment_ids"]
        assert (await stored(db, first)).wish_id == world.wishes[0].id


class TestDownload:
    async def test_claimant_and_staff_get_the_public_copy(self, client, auth, world: World,
                                                          db, settings):
        url, att_id = await fulfilled(client, auth, world, jpeg_with_gps(), "image/jpeg")
        att = await stored(db, att_id)
        storage = LocalStorage(Path(settings.upload_dir))
        public, original = await storage.get(att.public_key), await storage.get(att.storage_key)
        assert public != original  # the original keeps its EXIF location
        for user in (world.reg_users[0], worker(world),
                     world.user(Role.community_admin, "s1c1")):
            r = await client.get(f"{url}/attachments/{att_id}", headers=auth(user))
            assert r.status_code == 200, r.text
            assert r.content == public
            assert r.headers["content-type"] == "image/jpeg"
            assert r.headers["cache-control"].startswith("private")
            assert "content-disposition" not in r.headers

    async def test_pdf_is_served_as_attachment(self, client, auth, world: World):
        from tests.cases.test_attachments import PDF

        url, att_id = await fulfilled(client, auth, world, PDF, "application/pdf")
        r = await client.get(f"{url}/attachments/{att_id}", headers=auth(worker(world)))
        assert r.status_code == 200 and r.content == PDF
        assert r.headers["content-disposition"] == "attachment"

    async def test_worker_of_another_grid_gets_404_as_for_the_wish(self, client, auth,
                                                                   world: World):
        url, att_id = await fulfilled(client, auth, world)
        other = auth(worker(world, "s1c1g2"))
        r = await client.get(f"{url}/attachments/{att_id}", headers=other)
        assert r.status_code == 404 and r.json()["code"] == "wish_not_found"
        missing = await client.get(f"{WISHES}/2000000000/attachments/{att_id}", headers=other)
        assert missing.json() == r.json()

    async def test_attachment_of_another_wish_is_404(self, client, auth, world: World):
        # The community admin reads both wishes; the pair does not match.
        admin = auth(world.user(Role.community_admin, "s1c1"))
        r = await client.get(
            f"{WISHES}/{world.wishes[0].id}/attachments/{world.wish_attachments[1].id}",
            headers=admin)
        assert r.status_code == 404 and r.json()["code"] == "attachment_not_found"
        r = await client.get(
            f"{WISHES}/{world.wishes[0].id}/attachments/{world.wish_attachments[0].id}",
            headers=admin)
        assert r.status_code == 200

    async def test_case_or_unbound_upload_is_404(self, client, auth, world: World):
        me = auth(world.reg_users[0])
        unbound = await upload(client, me)
        for att_id in (unbound, world.attachments[0].id):
            r = await client.get(f"{WISHES}/{world.wishes[0].id}/attachments/{att_id}",
                                 headers=auth(worker(world)))
            assert r.status_code == 404 and r.json()["code"] == "attachment_not_found"


class TestOrphanPurge:
    async def test_wish_bound_uploads_stay(self, client, auth, world: World, db, settings):
        _, att_id = await fulfilled(client, auth, world)
        async with db.writing() as s:
            for a in (await s.execute(select(CaseAttachment).where(
                    CaseAttachment.id.in_([att_id, world.wish_attachments[0].id])))).scalars():
                a.created_at = utcnow() - timedelta(hours=25)
            await s.commit()
        storage = LocalStorage(Path(settings.upload_dir))
        await purge_orphans(db, storage)
        att = await stored(db, att_id)
        assert att.wish_id == world.wishes[0].id
        assert await storage.exists(att.public_key) and await storage.exists(att.storage_key)
        assert (await stored(db, world.wish_attachments[0].id)).wish_id == world.wishes[0].id
