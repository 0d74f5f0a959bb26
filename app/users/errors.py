"""The errors the users domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound


class UserNotFound(NotFound):
    code, zh, en = "user_not_found", "用户不存在", "User not found"


class RoleNotFound(NotFound):
    code, zh, en = "role_assignment_not_found", "角色分配不存在", "Role assignment not found"


class SelfLockout(Conflict):
    code = "role_self_lockout"
    zh = "不能移除自己的访问权限所依赖的角色：请由上级管理员操作"
    en = "You cannot remove a role your own access depends on; ask an administrator above you"


class LastRootAdmin(Conflict):
    code = "last_root_admin"
    zh = "这是最后一位区级管理员，不能移除：请先把该角色分配给另一位在用账号"
    en = "This is the last district administrator; assign the role to another active account first"
