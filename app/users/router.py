"""User accounts, the caller's own profile, and role assignments."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response, status

from app.core.auth import CurrentPrincipal
from app.core.db import SessionDep, end_reads
from app.core.deps import CipherDep, PasswordsDep
from app.core.errors import problems
from app.core.idempotency import Idempotent
from app.core.inputs import Id
from app.core.routing import DomainRouter
from app.users import service
from app.users.schemas import Me, RoleAssign, RoleRead, UserCreate, UserRead

router = DomainRouter(tags=["users"])


@router.get("/me")
async def get_me(principal: CurrentPrincipal, session: SessionDep, cipher: CipherDep) -> Me:
    """当前登录用户及其角色（角色、组织、组织路径）。"""
    return await service.me(session, principal, cipher)


async def _password_hash(body: UserCreate, principal: CurrentPrincipal, session: SessionDep,
                         passwords: PasswordsDep) -> str:
    """The new account's password hash, made before the unit of work writes anything (the
    Idempotency-Key claim comes after it): 100–300 ms of CPU must not hold a transaction or
    SQLite's write lock. After authentication, so strangers cannot spend our CPU on it."""
    await end_reads(session)
    return await passwords.hash(body.password)


PasswordHashDep = Annotated[str, Depends(_password_hash)]


@router.post("/users", status_code=status.HTTP_201_CREATED,
             dependencies=[Depends(_password_hash), Idempotent],
             responses=problems(404, 403, 409, 422))
async def create_user(body: UserCreate, principal: CurrentPrincipal, session: SessionDep,
                      cipher: CipherDep, password_hash: PasswordHashDep) -> UserRead:
    """新建账号（不含角色）；所属组织须在管理范围内。"""
    user = await service.create(session, principal, body, cipher, password_hash=password_hash)
    return service.user_read(user, [], cipher)


@router.get("/users/{user_id}", responses=problems(404, 403))
async def get_user(user_id: Id, principal: CurrentPrincipal, session: SessionDep,
                   cipher: CipherDep) -> UserRead:
    user = await service.get(session, principal, user_id)
    return await service.read(session, principal, user, cipher)


@router.post("/users/{user_id}/roles", status_code=status.HTTP_201_CREATED,
             dependencies=[Idempotent], responses=problems(404, 403, 409, 422))
async def assign_role(user_id: Id, body: RoleAssign, principal: CurrentPrincipal,
                      session: SessionDep) -> RoleRead:
    """在某组织上给用户分配角色；不能超出自己的范围与权限。"""
    assignment = await service.assign_role(session, principal, user_id, body)
    return service.role_read(assignment)


@router.delete("/users/{user_id}/roles/{assignment_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses=problems(404, 403, 409))
async def remove_role(user_id: Id, assignment_id: Id, principal: CurrentPrincipal,
                      session: SessionDep) -> Response:
    """移除角色分配。不能移除自己的访问权限所依赖的角色（409 `role_self_lockout`），也不能移除
    根组织上最后一位在用的区级管理员（409 `last_root_admin`）。"""
    await service.remove_role(session, principal, user_id, assignment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
