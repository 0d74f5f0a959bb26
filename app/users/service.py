"""User accounts and role assignments: who may grant what, where."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.crypto import FieldCipher, mask_phone
from app.core.errors import Conflict, Forbidden, Unprocessable
from app.core.permissions import ROLE_NODE_KINDS, ROLE_PERMISSIONS, Perm, Role
from app.core.scope import authorize, covers, permissions_at, scope_paths
from app.core.security import Principal
from app.models import Org, RoleAssignment, User
from app.orgs import service as orgs
from app.users import repository as repo
from app.users.errors import LastRootAdmin, RoleNotFound, SelfLockout, UserNotFound
from app.users.schemas import Me, RoleAssign, RoleRead, UserCreate, UserRead

PHONE_CONTEXT = "user.phone"


@dataclass
class Person:
    """Who an actor is, for showing them beside what they did: their display name, their home
    org (whose scope decides if the name is shown in full) and the roles they hold where."""

    name: str
    org_path: str | None
    roles: list[tuple[str, str]] = field(default_factory=list)  # (role, org path)


async def people(session: AsyncSession, user_ids: set[int]) -> dict[int, Person]:
    """The users by id with their roles, in one statement (none for no ids)."""
    if not user_ids:
        return {}
    out: dict[int, Person] = {}
    for row in await repo.people(session, sorted(user_ids)):
        person = out.setdefault(row.id, Person(row.display_name, row.org_path))
        if row.role is not None:
            person.roles.append((row.role, row.role_path))
    return out


async def client_names(session: AsyncSession, client_ids: set[int]) -> dict[int, str]:
    """Third-party applications' names by id (none for no ids)."""
    return await repo.client_names(session, sorted(client_ids)) if client_ids else {}


def role_read(a: RoleAssignment) -> RoleRead:
    return RoleRead(id=a.id, role=Role(a.role), org_id=a.org_id, org_path=a.org_path)


def user_read(user: User, roles: list[RoleAssignment], cipher: FieldCipher) -> UserRead:
    phone = cipher.decrypt(user.phone_cipher, context=PHONE_CONTEXT) if user.phone_cipher else None
    return UserRead(
        id=user.id, username=user.username, display_name=user.display_name,
        phone=mask_phone(phone), org_id=user.org_id, is_active=user.is_active,
        roles=[role_read(r) for r in roles if r.user_id == user.id], created_at=user.created_at,
    )


async def me(session: AsyncSession, principal: Principal, cipher: FieldCipher) -> Me:
    rows = await repo.me(session, principal.id) if principal.kind == "user" else []
    if not rows:
        raise UserNotFound()
    user = rows[0]
    phone = cipher.decrypt(user.phone_cipher, context=PHONE_CONTEXT) if user.phone_cipher else None
    roles = [RoleRead(id=r.role_id, role=Role(r.role), org_id=r.org_id, org_path=r.org_path)
             for r in rows if r.role is not None]
    return Me(id=user.id, username=user.username, display_name=user.display_name,
              phone=mask_phone(phone), roles=roles)


async def get(session: AsyncSession, principal: Principal, user_id: int) -> User:
    user = await repo.get_readable(session, principal, user_id)
    if user is None:
        raise UserNotFound()
    return user


async def read(session: AsyncSession, principal: Principal, user: User, cipher: FieldCipher
               ) -> UserRead:
    """A user as the caller may see them: only the role assignments inside the caller's scope
    (a role elsewhere is a scoped row of another subtree)."""
    roles = await repo.roles_of(session, [user.id])
    if not (principal.kind == "user" and principal.id == user.id):
        paths = scope_paths(principal, Perm.user_read)
        roles = [r for r in roles if any(covers(p, r.org_path) for p in paths)]
    return user_read(user, roles, cipher)


async def rehome(session: AsyncSession, principal: Principal, from_org: Org, to_org: Org
                 ) -> None:
    """Accounts homed on a node that is going away move up to `to_org` (they keep working)."""
    await repo.rehome(session, from_org.id, to_org.id, to_org.path)
    await audit.record(session, principal, "user.rehome", "org", from_org.id,
                       org_path=to_org.path, detail={"to_org_id": to_org.id})


async def holders(session: AsyncSession, roles: list[Role], org_ids: list[int]) -> set[int]:
    """Users holding any of `roles` directly on any of the nodes (whom to notify)."""
    ids = [i for i in org_ids if i]
    if not ids:
        return set()
    return set(await repo.holders(session, [r.value for r in roles], ids))


async def assignment(session: AsyncSession, user_id: int, role: Role, org_id: int
                     ) -> RoleAssignment | None:
    """The user's grant of `role` at exactly `org_id`, if they hold one."""
    return await repo.assignment(session, user_id, role, org_id)


async def _home_org(session: AsyncSession, principal: Principal, org_id: int | None) -> Org:
    if org_id is None:
        paths = scope_paths(principal, Perm.user_write)
        grant = next((g for g in principal.grants if g.org_path in paths), None)
        if grant is None:
            raise Forbidden()
        org_id = grant.org_id
    return await orgs.get(session, principal, org_id, Perm.user_write)


async def create(session: AsyncSession, principal: Principal, data: UserCreate,
                 cipher: FieldCipher, *, password_hash: str) -> User:
    """`password_hash` of `data.password`, made by the caller outside the transaction."""
    home = await _home_org(session, principal, data.org_id)
    if await repo.username_taken(session, data.username):
        raise Conflict("用户名已被使用", "Username already taken", code="username_taken")
    user = User(username=data.username, password_hash=password_hash,
                display_name=data.display_name, org_id=home.id, org_path=home.path)
    if data.phone:
        index = cipher.blind_index(data.phone, context=PHONE_CONTEXT)
        if await repo.phone_taken(session, index):
            raise Conflict("该手机号已被其他账号使用", "Phone already in use", code="phone_taken")
        user.phone_cipher = cipher.encrypt(data.phone, context=PHONE_CONTEXT)
        user.phone_index = index
    session.add(user)
    await session.flush()
    await audit.record(session, principal, "user.create", "user", user.id, org_path=home.path)
    return user


def _check_grantable(principal: Principal, role: Role, org: Org) -> None:
    if org.kind not in ROLE_NODE_KINDS[role]:
        kinds = "、".join(sorted(ROLE_NODE_KINDS[role]))
        raise Unprocessable(
            f"角色 {role} 只能分配在以下类型的组织上：{kinds}",
            f"Role {role} can only be held on: {kinds}",
            code="role_org_kind_mismatch",
            errors=[{"field": "org_id", "message": f"{org.kind} not allowed for {role}"}],
        )
    held = permissions_at(principal, org.path)
    if Perm.user_write not in held or not ROLE_PERMISSIONS[role] <= held:
        # Nobody can hand out more than they hold at that node.
        raise Forbidden("不能授予超出自身权限的角色", "Cannot grant a role beyond your own")


async def grant(session: AsyncSession, principal: Principal | None, user: User, role: Role,
                org: Org) -> RoleAssignment:
    existing = await repo.assignment(session, user.id, role, org.id)
    if existing is not None:
        raise Conflict("该用户已在此组织拥有该角色", "The user already holds this role here",
                       code="role_exists")
    assignment = RoleAssignment(user_id=user.id, role=role, org_id=org.id, org_path=org.path,
                                created_by=principal.id if principal else None)
    session.add(assignment)
    await session.flush()
    await audit.record(session, principal, "role.grant", "user", user.id, org_path=org.path,
                       detail={"role": role, "org_id": org.id})
    return assignment


async def assign_role(session: AsyncSession, principal: Principal, user_id: int,
                      data: RoleAssign) -> RoleAssignment:
    user = await get(session, principal, user_id)
    org = await orgs.get(session, principal, data.org_id, Perm.user_write)
    _check_grantable(principal, data.role, org)
    return await grant(session, principal, user, data.role, org)


def _is_root(path: str) -> bool:
    return path.count("/") == 2  # "/<id>/": a node without a parent


async def revoke(session: AsyncSession, principal: Principal | None,
                 assignment: RoleAssignment) -> None:
    """Every way a role goes ends here: the root's last active administrator stays (409),
    or nobody could manage the deployment until `gridapi create-admin`."""
    if assignment.role == Role.district_admin and _is_root(assignment.org_path):
        holders = await repo.lock_holders(session, assignment.role, assignment.org_id)
        if not any(active for i, active in holders if i != assignment.id):
            raise LastRootAdmin()
    await audit.record(session, principal, "role.revoke", "user", assignment.user_id,
                       org_path=assignment.org_path,
                       detail={"role": assignment.role, "org_id": assignment.org_id})
    await session.delete(assignment)
    await session.flush()


async def remove_role(session: AsyncSession, principal: Principal, user_id: int,
                      assignment_id: int) -> None:
    user = await get(session, principal, user_id)
    assignment = await session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.user_id != user.id:
        raise RoleNotFound()
    # An assignment outside the caller's scope answers exactly like a missing one.
    authorize(principal, Perm.user_write, assignment.org_path, not_found=RoleNotFound())
    org = await orgs.get(session, principal, assignment.org_id, Perm.user_write)
    _check_grantable(principal, Role(assignment.role), org)
    if principal.kind == "user" and assignment.user_id == principal.id:
        await _refuse_self_lockout(session, principal, assignment)
    await revoke(session, principal, assignment)


async def _refuse_self_lockout(session: AsyncSession, principal: Principal,
                               assignment: RoleAssignment) -> None:
    """One's own grant may go only if one's other grants (read now, not from the principal
    cache) still give everything it gave at its node."""
    others = [a for a in await repo.roles_of(session, [principal.id]) if a.id != assignment.id]
    kept: set[Perm] = set()
    for a in others:
        if covers(a.org_path, assignment.org_path):
            kept |= ROLE_PERMISSIONS[Role(a.role)]
    if not ROLE_PERMISSIONS[Role(assignment.role)] <= kept:
        raise SelfLockout()
