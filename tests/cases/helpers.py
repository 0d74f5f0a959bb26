"""Shared helpers of the cases API tests: the fixture world's geometry and the calls every test
file makes (report a case, move it, upload a photo)."""

from __future__ import annotations

import io
from typing import Any

from PIL import ExifTags, Image

from app.core.permissions import Role
from app.models import User
from tests.factories import LEAF, World

API = "/api/v1"
# Another leaf category, for "same place, other category" checks.
OTHER_LEAF = "E0101"


def centre_of(k: int) -> tuple[float, float]:
    """The middle of the fixture world's grid k (tests/factories.py build_world), where the
    world's case of that grid sits."""
    return 113.80 + 0.02 * k + 0.005, 34.005


def grid_index(world: World, key: str) -> int:
    """"s2c1g2" → its position in `world.grids` / `world.cases`."""
    si, ci, gi = int(key[1]), int(key[3]), int(key[5])
    return 4 * (si - 1) + 2 * (ci - 1) + (gi - 1)


def body(k: int = 0, **changes: Any) -> dict[str, Any]:
    lng, lat = centre_of(k)
    return {"category_code": LEAF.code, "description": "井盖缺失", "lng": lng, "lat": lat,
            **changes}


async def report(client: Any, auth: Any, world: World, key: str = "s1c1g1",
                 reporter: User | None = None, **changes: Any) -> dict[str, Any]:
    """A case reported through the API by the grid worker of `key` in the middle of that grid."""
    who = reporter or world.user(Role.grid_worker, key)
    r = await client.post(f"{API}/cases", headers=auth(who),
                          json=body(grid_index(world, key), **changes))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def act(client: Any, auth: Any, user: User, case_id: int, action: str,
              expect: int = 200, headers: dict[str, str] | None = None,
              **fields: Any) -> dict[str, Any]:
    r = await client.post(f"{API}/cases/{case_id}/transitions",
                          headers=auth(user, **(headers or {})),
                          json={"action": action, **fields})
    assert r.status_code == expect, r.text
    return dict(r.json())


async def timeline(client: Any, auth: Any, user: User, case_id: int) -> list[dict[str, Any]]:
    r = await client.get(f"{API}/cases/{case_id}/timeline", headers=auth(user))
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


# Somewhere in grid s1c1g1 (WGS-84), as a phone's receiver would write it.
GPS_LNG_DMS, GPS_LAT_DMS = (113.0, 48.0, 18.0), (34.0, 0.0, 18.0)


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LAT_DMS
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = GPS_LNG_DMS
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def gif_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, format="GIF")
    return out.getvalue()
