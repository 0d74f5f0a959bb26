"""The errors the users domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import NotFound


class UserNotFound(NotFound):
    code, zh, en = "user_not_found", "用户不存在", "User not found"


class RoleNotFound(NotFound):
    code, zh, en = "role_assignment_not_found", "角色分配不存在", "Role assignment not found"
