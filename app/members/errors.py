"""The errors the members domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound


class MemberNotFound(NotFound):
    code, zh, en = "member_not_found", "党员不存在", "Member not found"


class MemberNotLinked(NotFound):
    code = "member_not_linked"
    zh, en = "当前账号未关联党员信息", "This account is not linked to a party member"


class MemberExists(Conflict):
    code = "member_exists"
    zh, en = "该身份证号的党员已登记", "A member with this ID number is already registered"


class UserAlreadyLinked(Conflict):
    code = "member_user_linked"
    zh, en = "该账号已关联其他党员", "This account is already linked to another member"


class BuildingGroupNotFound(NotFound):
    code, zh, en = "building_group_not_found", "楼栋党小组不存在", "Building group not found"


class MemberHouseholdNotFound(NotFound):
    code, zh, en = "member_household_not_found", "党员中心户不存在", "Member household not found"


class BuildingInOtherGroup(Conflict):
    code = "building_in_other_group"
    zh, en = "楼栋已由其他楼栋党小组联系", "A building is already covered by another group"


class HouseholdInOtherCare(Conflict):
    code = "household_in_other_care"
    zh = "住户已由其他党员中心户联系"
    en = "A household is already in another member household's care"


class FindingNotFound(NotFound):
    code, zh, en = "finding_not_found", "寻找党员记录不存在", "Finding not found"


class FindingNotPending(Conflict):
    code = "finding_not_pending"
    zh, en = "该记录已处理，不能再核实或驳回", "The finding has already been decided"


class MemberHeldElsewhere(Conflict):
    code = "member_held_elsewhere"
    zh = "该党员的组织关系在您管理范围以外的党组织，请由其所在党组织核实"
    en = "The member is held by an organisation outside your scope; it has to verify"
