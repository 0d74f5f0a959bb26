"""Plain async factories and the fixture world: 2 streets × 2 communities × 2 grids, with a
user of every role at the level where that role is held."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases import categories
from app.cases.categories_data import CATEGORIES
from app.core.config import Settings
from app.core.crypto import FieldCipher
from app.core.permissions import CLIENT_SCOPES, Role
from app.core.security import hash_password, issue_access_token
from app.core.types import utcnow
from app.files.service import store_upload
from app.files.storage import FileStorage
from app.models import (
    Activity,
    ActivitySignup,
    Agreement,
    AgreementProject,
    AgreementReport,
    ApiClient,
    AssessmentRound,
    AssessmentSheet,
    AuditEntry,
    Building,
    Cadre,
    Case,
    CaseAttachment,
    Grid,
    GridStaff,
    Household,
    KeyTask,
    MarketGoods,
    Meeting,
    Member,
    MemberFinding,
    Org,
    Patrol,
    PatrolCase,
    PatrolPoint,
    PointsAccount,
    PointsEntry,
    PointsPosting,
    Redemption,
    Registration,
    Resident,
    ResidentImport,
    Review,
    ReviewReport,
    RoleAssignment,
    ServiceCertificate,
    TaskBulletin,
    TaskReport,
    TaskResponsible,
    TeamMembership,
    Unit,
    UnitRegistration,
    User,
    Visit,
    VolunteerTeam,
    WebhookSubscription,
    Wish,
)
from app.orgs import service as orgs
from app.orgs.schemas import OrgKind
from app.patrols.track import Fix, distance_m
from app.people.idcard import birth_date_of, check_digit
from app.webhooks.schemas import EventType
from tests.assessment.factories import add_assessment

PASSWORD = "Passw0rd!2026"
WEBHOOK_SECRET = "whsec_test"
CIPHER = FieldCipher.from_settings(Settings(env="test"))
_HASH = hash_password(PASSWORD)  # hashed once: Argon2 is deliberately slow

ROOT_ROLES = (Role.district_admin, Role.command_operator, Role.auditor)
STREET_ROLES = (Role.street_admin,)
COMMUNITY_ROLES = (Role.community_admin, Role.member, Role.volunteer, Role.unit_liaison)
GRID_ROLES = (Role.grid_head, Role.grid_worker, Role.party_instructor)


@dataclass
class World:
    root: Org
    streets: list[Org] = field(default_factory=list)
    communities: list[Org] = field(default_factory=list)  # [s1c1, s1c2, s2c1, s2c2]
    grids: list[Grid] = field(default_factory=list)  # two per community, same order
    branches: list[Org] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)  # "s1c1g1:grid_worker" → user
    cases: list[Case] = field(default_factory=list)  # one reported case per grid, same order
    attachments: list[CaseAttachment] = field(default_factory=list)  # one per case
    clients: list[ApiClient] = field(default_factory=list)  # one per street
    webhooks: list[WebhookSubscription] = field(default_factory=list)  # one per client
    # One ended patrol (its case linked) and one visit per grid, by the grid's worker, same order.
    patrols: list[Patrol] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    # The register: one building, one household in it and one resident in that, per grid.
    buildings: list[Building] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    residents: list[Resident] = field(default_factory=list)
    user_node: dict[str, Org] = field(default_factory=dict)
    # 双报到 and 微心愿 (add_registrations_and_wishes): per community [s1c1, s1c2, s2c1, s2c2] a
    # member's own account, their Member and an approved registration (so the account holds
    # `member` there); one posted wish per grid, same order as `grids`.
    reg_users: list[User] = field(default_factory=list)
    reg_members: list[Member] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    wishes: list[Wish] = field(default_factory=list)
    # One evidence photo bound to each wish (add_wish_evidence, called by the `world` fixture:
    # it needs file storage), same order as `wishes`; uploaded by the community's reg_user.
    wish_attachments: list[CaseAttachment] = field(default_factory=list)
    # Party members and the search campaign (add_members_and_groups, helper B): one member per
    # grid under its branch, one building group under each branch and one member household
    # under that group (same order as `grids`); one pending finding per community (found in
    # the community, naming the community's second grid branch as the holding branch).
    members: list[Member] = field(default_factory=list)
    building_groups: list[Org] = field(default_factory=list)
    member_households: list[Org] = field(default_factory=list)
    findings: list[MemberFinding] = field(default_factory=list)
    # 共驻共建 (add_coconstruction): one unit under the district (`units[0]`); per community
    # [s1c1, s1c2, s2c1, s2c2] its active registration, an agreement with one project and one
    # community-side report, and one seconded cadre, same order as `communities`.
    units: list[Unit] = field(default_factory=list)
    unit_registrations: list[UnitRegistration] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    agreement_projects: list[AgreementProject] = field(default_factory=list)
    agreement_reports: list[AgreementReport] = field(default_factory=list)
    cadres: list[Cadre] = field(default_factory=list)
    # Resident spreadsheet imports (add_resident_imports): one report per grid, same order as
    # `grids`, with one rejected row.
    resident_imports: list[ResidentImport] = field(default_factory=list)
    # Volunteers (add_activities): per community [s1c1, s1c2, s2c1, s2c2] one open activity it
    # organises (two days ahead, ten seats, at its first grid) and one accepted sign-up by the
    # community's reg_user, same order as `communities`.
    activities: list[Activity] = field(default_factory=list)
    signups: list[ActivitySignup] = field(default_factory=list)
    # The love supermarket (add_market): per community one kind of goods (10 points, 5 in
    # stock) and one reserved redemption of it by the community's reg_user, who was credited
    # 100 points first (their balance: 90), same order as `communities`.
    goods: list[MarketGoods] = field(default_factory=list)
    redemptions: list[Redemption] = field(default_factory=list)
    # Volunteer teams (add_teams): per community one team serving it with the community's
    # reg_user as its member, same order as `communities`.
    teams: list[VolunteerTeam] = field(default_factory=list)
    # The certificate register (add_certificates): per community one certificate it issued to
    # its reg_member for 2026-01-01..2026-06-30, same order as `communities`.
    certificates: list[ServiceCertificate] = field(default_factory=list)
    # Key tasks and joint meetings (tests/factories_steering.py add_steering, called by the
    # `world` fixture): per community one task of its 2026 list naming the community itself as
    # responsible, its 2026-W48 report (one photo bound), a published 2026-W48 bulletin, and
    # its 2026-12 meeting with the community as attendee (one minutes photo bound), same order
    # as `communities`.
    tasks: list[KeyTask] = field(default_factory=list)
    task_responsibles: list[TaskResponsible] = field(default_factory=list)
    task_reports: list[TaskReport] = field(default_factory=list)
    task_report_attachments: list[CaseAttachment] = field(default_factory=list)
    bulletins: list[TaskBulletin] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    meeting_attachments: list[CaseAttachment] = field(default_factory=list)
    # Assessment (tests/assessment/factories.py add_assessment): per street a sheet for its
    # communities (in use), its manual item's id, a 2026-Q4 round, an open review; the
    # review's reports, one per community, same order as `communities`.
    assessment_sheets: list[AssessmentSheet] = field(default_factory=list)
    assessment_manual_items: list[int] = field(default_factory=list)
    assessment_rounds: list[AssessmentRound] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    review_reports: list[ReviewReport] = field(default_factory=list)

    def user(self, role: Role, where: str = "") -> User:
        return self.users[f"{where}:{role}" if where else f"root:{role}"]


async def make_user(session: AsyncSession, username: str, home: Org | None = None) -> User:
    user = User(username=username, password_hash=_HASH, display_name=username,
                org_id=home.id if home else None, org_path=home.path if home else None)
    session.add(user)
    await session.flush()
    return user


async def give_role(session: AsyncSession, user: User, role: Role, org: Org) -> RoleAssignment:
    a = RoleAssignment(user_id=user.id, role=role, org_id=org.id, org_path=org.path)
    session.add(a)
    await session.flush()
    return a


async def make_grid(session: AsyncSession, community: Org, name: str,
                    bbox: tuple[float, float, float, float] | None = None) -> tuple[Grid, Org]:
    branch = await orgs.add_node(session, None, community, OrgKind.grid_branch, f"{name}支部", None)
    grid = Grid(branch_id=branch.id, community_id=community.id, street_id=community.street_id,
                org_path=branch.path, name=name)
    if bbox:
        w, s, e, n = bbox
        grid.boundary = {"type": "Polygon",
                         "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
        grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat = w, s, e, n
    session.add(grid)
    await session.flush()
    return grid, branch


LEAF = next(c for c in CATEGORIES if c.time_limit_hours)


async def make_case(session: AsyncSession, grid: Grid, reporter: User, **changes: object
                    ) -> Case:
    """A reported case in the middle of the grid's square, as a grid worker would file it."""
    now = utcnow()
    assert grid.min_lng is not None and grid.max_lng is not None
    assert grid.min_lat is not None and grid.max_lat is not None
    case = Case(code=f"T{grid.id}-{now.timestamp()}", category_code=LEAF.code,
                description="井盖缺失", lng=(grid.min_lng + grid.max_lng) / 2,
                lat=(grid.min_lat + grid.max_lat) / 2, grid_id=grid.id, org_path=grid.org_path,
                street_id=grid.street_id, community_id=grid.community_id, status="reported",
                reporter_id=reporter.id, reporter_key=f"user:{reporter.id}", reported_at=now,
                due_at=now + timedelta(hours=4))
    for name, value in changes.items():
        setattr(case, name, value)
    session.add(case)
    await session.flush()
    return case


async def make_patrol(session: AsyncSession, grid: Grid, worker: User, *, minutes: int = 30,
                      ago: timedelta = timedelta(hours=2), case: Case | None = None) -> Patrol:
    """An ended patrol across the grid's square: one fix a minute along its southern edge."""
    assert grid.min_lng is not None and grid.min_lat is not None
    start = utcnow() - ago
    step = 0.01 / minutes  # the square's width, walked in `minutes`
    fixes = [Fix(start + timedelta(minutes=i), grid.min_lng + i * step, grid.min_lat, 10.0)
             for i in range(minutes + 1)]
    patrol = Patrol(grid_id=grid.id, org_path=grid.org_path, street_id=grid.street_id,
                    community_id=grid.community_id, worker_id=worker.id, status="ended",
                    started_at=start, ended_at=fixes[-1].at, point_count=len(fixes),
                    last_point_at=fixes[-1].at, distance_m=round(distance_m(fixes), 1))
    session.add(patrol)
    await session.flush()
    session.add_all(PatrolPoint(patrol_id=patrol.id, at=f.at, lng=f.lng, lat=f.lat,
                                accuracy=f.accuracy) for f in fixes)
    if case is not None:
        session.add(PatrolCase(patrol_id=patrol.id, case_id=case.id, linked_by=worker.id))
    await session.flush()
    return patrol


async def make_visit(session: AsyncSession, grid: Grid, author: User, **changes: object) -> Visit:
    visit = Visit(grid_id=grid.id, org_path=grid.org_path, street_id=grid.street_id,
                  community_id=grid.community_id, author_id=author.id, household_ref="1栋1单元101",
                  visited_at=utcnow() - timedelta(hours=1), purpose="routine",
                  notes="独居老人，身体尚可", people_met=1)
    for name, value in changes.items():
        setattr(visit, name, value)
    session.add(visit)
    await session.flush()
    return visit


def id_number(seq: int, born: str = "19500101") -> str:
    """A valid resident ID number (Xuchang, Jian'an: 411023), distinct per `seq` (0..999)."""
    first17 = f"411023{born}{seq:03d}"
    return first17 + check_digit(first17)


def phone_number(seq: int) -> str:
    return f"138{seq:08d}"


async def make_building(session: AsyncSession, grid: Grid, name: str = "1栋") -> Building:
    building = Building(grid_id=grid.id, org_path=grid.org_path, street_id=grid.street_id,
                        community_id=grid.community_id, name=name, floors=6, units=2)
    session.add(building)
    await session.flush()
    return building


async def make_household(session: AsyncSession, building: Building, room: str = "101"
                         ) -> Household:
    household = Household(building_id=building.id, grid_id=building.grid_id,
                          org_path=building.org_path, street_id=building.street_id,
                          community_id=building.community_id, unit_no="1单元", room=room, size=1)
    session.add(household)
    await session.flush()
    return household


async def make_resident(session: AsyncSession, household: Household, seq: int,
                        name: str = "王建国", phone: str | None = None) -> Resident:
    """Encrypted as the service stores it (the test settings' keys)."""
    number = id_number(seq)
    phone = phone or phone_number(seq)
    resident = Resident(
        household_id=household.id, grid_id=household.grid_id, org_path=household.org_path,
        street_id=household.street_id, community_id=household.community_id, name=name,
        gender="male", id_number_cipher=CIPHER.encrypt(number, context="resident.id_number"),
        id_number_index=CIPHER.blind_index(number, context="resident.id_number"),
        phone_cipher=CIPHER.encrypt(phone, context="resident.phone"),
        phone_index=CIPHER.blind_index(phone, context="resident.phone"),
        birth_date=birth_date_of(number), tags=["elderly_alone"],
    )
    session.add(resident)
    await session.flush()
    return resident


async def make_client(session: AsyncSession, org: Org, name: str,
                      url: str = "https://hooks.example.test/grid"
                      ) -> tuple[ApiClient, WebhookSubscription]:
    """A third-party client homed on `org`, subscribed to every case event."""
    client = ApiClient(client_id=f"cli_{name}", name=name, secret_hash=_HASH,
                       api_key_prefix=f"gk_{name}"[:16], api_key_hash=name, org_id=org.id,
                       org_path=org.path, scopes=sorted(CLIENT_SCOPES))
    session.add(client)
    await session.flush()
    sub = WebhookSubscription(client_id=client.id, url=url, events=[e.value for e in EventType],
                              secret_cipher=CIPHER.encrypt(WEBHOOK_SECRET,
                                                           context="webhook.secret"))
    session.add(sub)
    await session.flush()
    return client, sub


async def _staffed(session: AsyncSession, world: World, key: str, node: Org,
                   roles: tuple[Role, ...]) -> None:
    for role in roles:
        user = await make_user(session, f"{key}_{role}".replace(":", "_"), node)
        await give_role(session, user, role, node)
        world.users[f"{key}:{role}"] = user
        world.user_node[f"{key}:{role}"] = node


async def build_world(session: AsyncSession) -> World:
    await categories.sync(session)
    root = await orgs.add_node(session, None, None, OrgKind.district, "测试区", "T")
    world = World(root=root)
    await _staffed(session, world, "root", root, ROOT_ROLES)
    for si in (1, 2):
        street = await orgs.add_node(session, None, root, OrgKind.street, f"街道{si}", None)
        world.streets.append(street)
        await _staffed(session, world, f"s{si}", street, STREET_ROLES)
        client, sub = await make_client(session, street, f"street{si}-app")
        world.clients.append(client)
        world.webhooks.append(sub)
        for ci in (1, 2):
            community = await orgs.add_node(session, None, street, OrgKind.community,
                                             f"社区{si}{ci}", None)
            world.communities.append(community)
            await _staffed(session, world, f"s{si}c{ci}", community, COMMUNITY_ROLES)
            for gi in (1, 2):
                # Each grid a 0.01° square, laid out so none overlap (around Xuchang).
                w = 113.80 + 0.02 * (4 * (si - 1) + 2 * (ci - 1) + (gi - 1))
                grid, branch = await make_grid(session, community, f"网格{si}{ci}{gi}",
                                               (w, 34.00, w + 0.01, 34.01))
                world.grids.append(grid)
                world.branches.append(branch)
                key = f"s{si}c{ci}g{gi}"
                await _staffed(session, world, key, branch, GRID_ROLES)
                for role in GRID_ROLES:
                    session.add(GridStaff(grid_id=grid.id, user_id=world.users[f"{key}:{role}"].id,
                                          role=role))
                worker = world.users[f"{key}:{Role.grid_worker}"]
                world.cases.append(await make_case(session, grid, worker))
                # As the report itself would have left it (GET /audit has rows everywhere).
                session.add(AuditEntry(actor=f"user:{worker.id}", action="case.report",
                                       object_type="case", object_id=str(world.cases[-1].id),
                                       org_path=world.cases[-1].org_path))
                world.patrols.append(await make_patrol(session, grid, worker,
                                                       case=world.cases[-1]))
                world.visits.append(await make_visit(session, grid, worker,
                                                     follow_up_case_id=world.cases[-1].id))
                world.buildings.append(await make_building(session, grid))
                world.households.append(await make_household(session, world.buildings[-1]))
                world.residents.append(await make_resident(session, world.households[-1],
                                                           seq=len(world.residents)))
    await add_registrations_and_wishes(session, world)
    await add_members_and_groups(session, world)
    await add_coconstruction(session, world)
    await add_resident_imports(session, world)
    await add_activities(session, world)
    await add_market(session, world)
    await add_teams(session, world)
    await add_certificates(session, world)
    await add_assessment(session, world)
    await session.flush()
    return world


def reg_member_id_number(seq: int) -> str:
    """A valid ID number for a party member, never equal to a resident's (other birth date)."""
    return id_number(seq, born="19860512")


async def make_reg_member(session: AsyncSession, org: Org, seq: int, user: User | None = None,
                          name: str = "赵志强") -> Member:
    number = reg_member_id_number(seq)
    member = Member(org_id=org.id, org_path=org.path, street_id=org.street_id,
                    community_id=org.community_id, name=name, gender="male",
                    id_number_cipher=CIPHER.encrypt(number, context="member.id_number"),
                    id_number_index=CIPHER.blind_index(number, context="member.id_number"),
                    birth_date=birth_date_of(number), status="full", category="regular",
                    user_id=user.id if user else None)
    session.add(member)
    await session.flush()
    return member


async def make_registration(session: AsyncSession, member: Member, community: Org,
                            status: str = "approved", skills: list[str] | None = None
                            ) -> Registration:
    active = status in ("pending", "approved")
    reg = Registration(member_id=member.id, org_path=community.path,
                       street_id=community.street_id, community_id=community.id,
                       address="幸福路1号", skills=skills or ["法律咨询"], status=status,
                       active_member_id=member.id if active else None,
                       decided_at=utcnow() if status != "pending" else None)
    session.add(reg)
    await session.flush()
    return reg


async def make_wish(session: AsyncSession, grid: Grid, poster: User,
                    resident: Resident | None = None, title: str = "想要一台收音机") -> Wish:
    wish = Wish(grid_id=grid.id, org_path=grid.org_path, street_id=grid.street_id,
                community_id=grid.community_id, resident_id=resident.id if resident else None,
                title=title, status="posted", posted_by=poster.id)
    session.add(wish)
    await session.flush()
    return wish


async def add_registrations_and_wishes(session: AsyncSession, world: World) -> None:
    """Helper C1's world objects (see the World fields they fill)."""
    for i, community in enumerate(world.communities):
        user = await make_user(session, f"regmember{i + 1}", community)
        member = await make_reg_member(session, community, seq=900 + i, user=user)
        world.reg_users.append(user)
        world.reg_members.append(member)
        world.registrations.append(await make_registration(session, member, community))
        await give_role(session, user, Role.member, community)  # what approval grants
    for i, grid in enumerate(world.grids):
        key = next(k for k, o in world.user_node.items()
                   if o.id == grid.branch_id and k.endswith(f":{Role.grid_worker}"))
        world.wishes.append(await make_wish(session, grid, world.users[key],
                                            world.residents[i]))


async def add_wish_evidence(session: AsyncSession, world: World, storage: FileStorage) -> None:
    """One photo bound to each grid's wish (the wishes stay posted: only the download route
    needs a bound file, for the scope matrix)."""
    for i, wish in enumerate(world.wishes):
        owner = world.reg_users[i // 2]
        att = await attach_photo(session, storage, None, owner=f"user:{owner.id}")
        att.wish_id = wish.id
        world.wish_attachments.append(att)
    await session.flush()


async def make_unit(session: AsyncSession, home: Org, name: str = "区卫健委",
                    code: str | None = None, phone: str | None = None) -> Unit:
    unit = Unit(org_id=home.id, org_path=home.path, street_id=home.street_id, name=name,
                code=code, contact_name="刘建华",
                contact_phone_cipher=CIPHER.encrypt(phone or phone_number(700),
                                                    context="unit.contact_phone"))
    session.add(unit)
    await session.flush()
    return unit


async def make_unit_registration(session: AsyncSession, unit: Unit, community: Org
                                 ) -> UnitRegistration:
    reg = UnitRegistration(unit_id=unit.id, org_path=community.path,
                           street_id=community.street_id, community_id=community.id,
                           status="active", active_key=f"{unit.id}:{community.id}",
                           registered_at=utcnow())
    session.add(reg)
    await session.flush()
    return reg


async def make_agreement(session: AsyncSession, unit: Unit, community: Org) -> Agreement:
    agreement = Agreement(unit_id=unit.id, org_path=community.path,
                          street_id=community.street_id, community_id=community.id,
                          title="健康进社区", resources=["义诊"], needs=["老年人体检"],
                          starts_on=date(2026, 1, 1), status="active")
    session.add(agreement)
    await session.flush()
    return agreement


async def make_cadre(session: AsyncSession, unit: Unit, org: Org, seq: int,
                     rank: str = "section", **changes: object) -> Cadre:
    cadre = Cadre(unit_id=unit.id, org_id=org.id, org_path=org.path, street_id=org.street_id,
                  community_id=org.community_id, name="陈志远", rank=rank, position="第一书记",
                  phone_cipher=CIPHER.encrypt(phone_number(seq), context="cadre.phone"),
                  starts_on=date(2026, 1, 1))
    for name, value in changes.items():
        setattr(cadre, name, value)
    session.add(cadre)
    await session.flush()
    return cadre


async def add_coconstruction(session: AsyncSession, world: World) -> None:
    """Helper C2's world objects (see the World fields they fill)."""
    unit = await make_unit(session, world.root, code="WJW")
    world.units.append(unit)
    for i, community in enumerate(world.communities):
        world.unit_registrations.append(await make_unit_registration(session, unit, community))
        agreement = await make_agreement(session, unit, community)
        world.agreements.append(agreement)
        project = AgreementProject(agreement_id=agreement.id, name="义诊", owner="王医生",
                                   status="planned")
        report = AgreementReport(agreement_id=agreement.id, side="community", period="2026-Q3",
                                 summary="已开展义诊两次", created_at=utcnow())
        session.add_all([project, report])
        await session.flush()
        world.agreement_projects.append(project)
        world.agreement_reports.append(report)
        world.cadres.append(await make_cadre(session, unit, community, seq=710 + i))


def member_id_number(seq: int) -> str:
    """Helper B's members: a birth date no resident or registered member of the world has."""
    return id_number(seq, born="19800101")


def finding_id_number(seq: int) -> str:
    """People found by the search campaign who are not members yet."""
    return id_number(seq, born="19900101")


async def make_member(session: AsyncSession, org: Org, number: str, *, name: str = "刘红梅",
                      phone: str | None = None, category: str = "regular",
                      status: str = "full") -> Member:
    """Encrypted as app/members stores it (the test settings' keys)."""
    member = Member(org_id=org.id, org_path=org.path, street_id=org.street_id,
                    community_id=org.community_id, name=name, gender="female",
                    id_number_cipher=CIPHER.encrypt(number, context="member.id_number"),
                    id_number_index=CIPHER.blind_index(number, context="member.id_number"),
                    phone_cipher=CIPHER.encrypt(phone, context="member.phone") if phone else None,
                    phone_index=(CIPHER.blind_index(phone, context="member.phone")
                                 if phone else None),
                    birth_date=birth_date_of(number), status=status, category=category,
                    joined_on=birth_date_of(number) + timedelta(days=366 * 25))
    session.add(member)
    await session.flush()
    return member


async def make_finding(session: AsyncSession, org: Org, number: str, *,
                       branch: Org | None = None, category: str = "pocket",
                       phone: str | None = None, badge_posted: bool = False) -> MemberFinding:
    finding = MemberFinding(
        org_id=org.id, org_path=org.path, street_id=org.street_id,
        community_id=org.community_id, name="陈志刚", gender="male",
        id_number_cipher=CIPHER.encrypt(number, context="member.id_number"),
        id_number_index=CIPHER.blind_index(number, context="member.id_number"),
        phone_cipher=CIPHER.encrypt(phone, context="member.phone") if phone else None,
        phone_index=CIPHER.blind_index(phone, context="member.phone") if phone else None,
        category_found=category, work_unit="便民超市", badge_posted=badge_posted,
        branch_id=branch.id if branch else None, status="pending")
    session.add(finding)
    await session.flush()
    return finding


async def add_members_and_groups(session: AsyncSession, world: World) -> None:
    """Helper B's world objects (see the World fields they fill)."""
    for i, branch in enumerate(world.branches):
        world.members.append(await make_member(session, branch, member_id_number(i),
                                               phone=phone_number(700 + i)))
        group = await orgs.add_node(session, None, branch, OrgKind.building_group,
                                    f"{branch.name}1栋党小组", None)
        world.building_groups.append(group)
        world.member_households.append(await orgs.add_node(
            session, None, group, OrgKind.member_household, f"{branch.name}党员中心户", None))
    for i, community in enumerate(world.communities):
        world.findings.append(await make_finding(
            session, community, finding_id_number(i), branch=world.branches[2 * i + 1],
            phone=phone_number(800 + i)))


def token_for(settings: Settings, user: User) -> dict[str, str]:
    token = issue_access_token(settings, subject=f"user:{user.id}", ttl_seconds=600)
    return {"Authorization": f"Bearer {token}"}


def png_bytes(colour: str = "red") -> bytes:
    """A small real PNG (attachments are checked by their bytes)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


async def attach_photo(session: AsyncSession, storage: FileStorage, case: Case | None,
                       owner: str | None = None) -> CaseAttachment:
    stored = await store_upload(storage, data=png_bytes(), declared_name="现场.png",
                                key_prefix="cases")
    att = CaseAttachment(case_id=case.id if case else None,
                         uploaded_by=owner or (case.reporter_key if case else "system"),
                         storage_key=stored.key, public_key=stored.public_key, mime=stored.mime,
                         size=stored.size, sha256=stored.sha256,
                         public_size=stored.public_size, public_sha256=stored.public_sha256,
                         original_name=stored.original_name)
    session.add(att)
    await session.flush()
    return att


async def add_resident_imports(session: AsyncSession, world: World) -> None:
    """One stored import report per grid (helper A: resident import/export)."""
    for grid in world.grids:
        report = ResidentImport(
            grid_id=grid.id, org_path=grid.org_path, street_id=grid.street_id,
            community_id=grid.community_id, filename="居民信息表.xlsx", mode="valid_rows",
            status="completed", rows_total=2, rows_created=1, rows_rejected=1,
            rejected=[{"row": 3, "field": "id_number", "code": "id_checksum",
                       "zh": "身份证号校验位错误", "en": "The ID number's check digit is wrong"}],
        )
        session.add(report)
        world.resident_imports.append(report)
    await session.flush()


async def make_activity(session: AsyncSession, org: Org, *, title: str = "暑期书法班",
                        capacity: int = 10, points_per_hour: int = 10,
                        lng: float | None = 113.805, lat: float | None = 34.005,
                        starts_in: timedelta = timedelta(days=2),
                        hours: float = 2) -> Activity:
    starts = utcnow() + starts_in
    activity = Activity(org_id=org.id, org_path=org.path, street_id=org.street_id,
                        community_id=org.community_id, title=title, kind="class",
                        starts_at=starts, ends_at=starts + timedelta(hours=hours),
                        capacity=capacity, accepted_count=0, lng=lng, lat=lat, radius_m=200,
                        points_per_hour=points_per_hour, status="open")
    session.add(activity)
    await session.flush()
    return activity


async def make_signup(session: AsyncSession, activity: Activity, user: User,
                      status: str = "accepted") -> ActivitySignup:
    signup = ActivitySignup(activity_id=activity.id, user_id=user.id, status=status,
                            active_user_id=user.id, org_path=activity.org_path,
                            street_id=activity.street_id, community_id=activity.community_id)
    if status == "accepted":
        activity.accepted_count += 1
    session.add(signup)
    await session.flush()
    return signup


async def add_activities(session: AsyncSession, world: World) -> None:
    for i, community in enumerate(world.communities):
        grid = world.grids[2 * i]
        activity = await make_activity(session, community, lng=(grid.min_lng or 0) + 0.005,
                                       lat=(grid.min_lat or 0) + 0.005)
        world.activities.append(activity)
        world.signups.append(await make_signup(session, activity, world.reg_users[i]))


async def post_points(session: AsyncSession, user: User, community: Org, amount: int, *,
                      kind: str = "service", other: str | None = None) -> PointsEntry:
    """A balanced ledger entry moving `amount` to the user (and the account row with it)."""
    entry = PointsEntry(kind=kind, memo=kind, org_path=community.path,
                        street_id=community.street_id, community_id=community.id)
    session.add(entry)
    await session.flush()
    session.add_all([
        PointsPosting(entry_id=entry.id, account=f"user:{user.id}", user_id=user.id,
                      amount=amount),
        PointsPosting(entry_id=entry.id, account=other or f"issued:{community.id}",
                      amount=-amount),
    ])
    account = (await session.execute(select(PointsAccount).where(
        PointsAccount.user_id == user.id))).scalar_one_or_none()
    if account is None:
        account = PointsAccount(user_id=user.id, balance=0)
        session.add(account)
    account.balance += amount
    await session.flush()
    return entry


async def add_market(session: AsyncSession, world: World) -> None:
    for i, community in enumerate(world.communities):
        goods = MarketGoods(org_path=community.path, street_id=community.street_id,
                            community_id=community.id, name="洗衣液", price_points=10, stock=4,
                            active=True)
        session.add(goods)
        await session.flush()
        user = world.reg_users[i]
        await post_points(session, user, community, 100)
        entry = await post_points(session, user, community, -10, kind="redemption",
                                  other=f"market:{community.id}")
        redemption = Redemption(goods_id=goods.id, user_id=user.id, quantity=1, points=10,
                                status="reserved", entry_id=entry.id, org_path=community.path,
                                street_id=community.street_id, community_id=community.id)
        session.add(redemption)
        await session.flush()
        world.goods.append(goods)
        world.redemptions.append(redemption)


async def add_certificates(session: AsyncSession, world: World) -> None:
    for i, community in enumerate(world.communities):
        cert = ServiceCertificate(
            number=f"ZYZM-{community.id}-2026-W{i:05d}", member_id=world.reg_members[i].id,
            issuer_org_id=community.id, org_path=community.path, street_id=community.street_id,
            community_id=community.id, period_from=date(2026, 1, 1),
            period_to=date(2026, 6, 30), hours=2.0, activities=1, content="道德讲堂（讲座）")
        session.add(cert)
        world.certificates.append(cert)
    await session.flush()


async def add_teams(session: AsyncSession, world: World) -> None:
    for i, community in enumerate(world.communities):
        team = VolunteerTeam(org_id=community.id, org_path=community.path,
                             street_id=community.street_id, community_id=community.id,
                             kind="studio", name=f"书法工作室{i + 1}", leader_name="王建国")
        session.add(team)
        await session.flush()
        session.add(TeamMembership(team_id=team.id, user_id=world.reg_users[i].id,
                                   org_path=team.org_path, street_id=team.street_id,
                                   community_id=team.community_id))
        world.teams.append(team)
    await session.flush()
