"""Demo people for 幸福社区: a small register in each of its grids (imported through the same
spreadsheet import an office uses), `demo_member` as a party member registered with the
community, and one small wish in the demo grid — so every people screen has something to show.

Idempotent: a grid that already has residents is left alone, the member is found by its user,
the wish by its title. Every ID number is made up (region 411003, checksum valid); no phone
numbers, because any well-formed mainland mobile number may be somebody's.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.crypto import FieldCipher
from app.core.db import Database
from app.core.security import system_actor
from app.core.types import utcnow
from app.members.service import ID_CONTEXT
from app.models import Grid, Member, Org, Registration, Resident, User, Wish
from app.people import importer
from app.people.idcard import check_digit
from app.people.sheets import COLUMNS
from app.seed.demo_data import person_name

REGION = "411003"  # 建安区
WISH_TITLE = "想要一台收音机听戏"
TAGS = ["独居老人", "", "退役军人", "", "低保户", "", "残疾人", "", "留守儿童", ""]


def id_number(grid_no: int, seq: int, born: date) -> str:
    first17 = f"{REGION}{born:%Y%m%d}{(grid_no * 50 + seq) % 1000:03d}"
    return first17 + check_digit(first17)


def register_csv(grid_no: int) -> bytes:
    """Two buildings × two units × three rooms, two people each: the office's own layout."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.zh for c in COLUMNS])
    seq = 0
    for building in ("1栋", "2栋"):
        for unit in ("1单元", "2单元"):
            for room in ("101", "201", "301"):
                for relation in ("户主", "配偶"):
                    seq += 1
                    born = date(1940 + (seq * 7) % 60, 1 + seq % 12, 1 + seq % 28)
                    writer.writerow([
                        building, unit, room, person_name(grid_no * 100 + seq), "",
                        id_number(grid_no, seq, born), "", "汉族",
                        relation, TAGS[seq % len(TAGS)],
                    ])
    return out.getvalue().encode("utf-8-sig")


async def _registers(session: AsyncSession, cipher: FieldCipher, grids: list[Grid],
                     created: Counter[str]) -> None:
    for grid_no, grid in enumerate(grids, start=1):
        have = await session.scalar(select(func.count()).select_from(Resident)
                                    .where(Resident.grid_id == grid.id))
        if have:
            continue
        report = await importer.import_file(
            session, system_actor("seed"), cipher, grid=grid,
            file=io.BytesIO(register_csv(grid_no)), filename="demo-register.csv",
            mode="all_or_nothing")
        created["residents"] += report.rows_created


async def _member(session: AsyncSession, cipher: FieldCipher, community: Org, grid: Grid,
                  created: Counter[str]) -> Member | None:
    user = await session.scalar(select(User).where(User.username == "demo_member"))
    if user is None:
        return None
    member = await session.scalar(select(Member).where(Member.user_id == user.id))
    if member is not None:
        return member
    born = date(1985, 6, 15)
    number = id_number(99, 1, born)
    member = Member(
        org_id=grid.branch_id, org_path=grid.org_path, street_id=grid.street_id,
        community_id=grid.community_id, name=user.display_name or "党员", gender="male",
        id_number_cipher=cipher.encrypt(number, context=ID_CONTEXT),
        id_number_index=cipher.blind_index(number, context=ID_CONTEXT),
        birth_date=born, education="本科", joined_on=date(2010, 7, 1), status="full",
        category="regular", work_unit="建安区某局", badge_posted=True, user_id=user.id)
    session.add(member)
    await session.flush()
    # Registered with the community where the demo member lives, already approved (the demo
    # login holds the member role there).
    session.add(Registration(
        member_id=member.id, org_path=community.path, street_id=community.street_id,
        community_id=community.id, address="幸福社区1栋1单元101", skills=["法律咨询", "书法"],
        status="approved", active_member_id=member.id, decided_at=utcnow(),
        reason=None))
    created["party_members"] += 1
    created["community_registrations"] += 1
    return member


async def _wish(session: AsyncSession, grid: Grid, created: Counter[str]) -> None:
    if await session.scalar(select(Wish.id).where(Wish.grid_id == grid.id,
                                                  Wish.title == WISH_TITLE)):
        return
    resident = await session.scalar(select(Resident).where(Resident.grid_id == grid.id)
                                    .order_by(Resident.id))
    worker = await session.scalar(select(User.id).where(User.username == "demo_grid_worker"))
    session.add(Wish(grid_id=grid.id, org_path=grid.org_path, street_id=grid.street_id,
                     community_id=grid.community_id,
                     resident_id=resident.id if resident else None, title=WISH_TITLE,
                     description="独居老人，喜欢豫剧，家里的收音机坏了。", status="posted",
                     posted_by=worker))
    created["wishes"] += 1


async def seed(db: Database, settings: Settings, community_code: str) -> Counter[str]:
    """The people of the demo community; returns what was created."""
    created: Counter[str] = Counter()
    cipher = FieldCipher.from_settings(settings)
    async with db.writing() as session:
        community = await session.scalar(select(Org).where(Org.code == community_code))
        if community is None:
            return created
        grids = list(await session.scalars(select(Grid).where(
            Grid.community_id == community.id).order_by(Grid.id)))
        if not grids:
            return created
        await _registers(session, cipher, grids, created)
        await _member(session, cipher, community, grids[0], created)
        await _wish(session, grids[0], created)
    return created
