"""The errors the volunteer teams domain raises."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound


class TeamNotFound(NotFound):
    code, zh, en = "team_not_found", "志愿者队伍不存在", "Team not found"


class TeamMemberNotFound(NotFound):
    code, zh, en = "team_member_not_found", "该志愿者不在队伍中", "Not a member of this team"


class TeamMemberExists(Conflict):
    code, zh, en = "team_member_exists", "该志愿者已在队伍中", "Already a member of this team"
