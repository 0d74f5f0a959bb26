"""The errors the activities domain raises (each with a stable `code` and its text in Chinese
and English)."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable


class ActivityNotFound(NotFound):
    code, zh, en = "activity_not_found", "活动不存在", "Activity not found"


class SignupNotFound(NotFound):
    code, zh, en = "signup_not_found", "报名记录不存在", "Sign-up not found"


class ActivityClosed(Conflict):
    code, zh, en = "activity_closed", "活动已取消", "The activity has been cancelled"


class SignupClosed(Conflict):
    code, zh, en = "signup_closed", "报名已截止", "Sign-up for this activity has closed"


class AlreadySignedUp(Conflict):
    code, zh, en = "signup_exists", "您已报名该活动", "You have already signed up for this activity"


class SignupNotLive(Conflict):
    code = "signup_invalid_state"
    zh, en = "报名记录的当前状态不允许此操作", "Not allowed in the sign-up's current state"


class NotSignupOwner(Forbidden):
    code, zh, en = "signup_not_owner", "只能为本人的报名签到签退", "Only the volunteer may do this"


class OutsideWindow(Conflict):
    code = "attendance_outside_window"
    zh, en = "不在活动签到时间内", "Outside the activity's check-in time window"


class OutOfRange(Unprocessable):
    code = "attendance_out_of_range"
    zh, en = "不在活动地点签到范围内", "Too far from the activity's place"


class NotGuardian(Forbidden):
    code = "signup_not_guardian"
    zh = "只有已关联居民登记的监护人可以为子女报名"
    en = "Only a guardian linked to the resident register may sign up a child"


class ChildAlreadySignedUp(Conflict):
    code = "signup_exists"
    zh, en = "该子女已报名此活动", "This child has already signed up for this activity"


class AudienceResidentsOnly(Forbidden):
    code = "audience_residents_only"
    zh, en = "此活动仅限本社区登记居民参加", "Only residents of the community may take part"


class AudienceAge(Unprocessable):
    code = "audience_age"
    zh, en = "参加者年龄不符合活动要求", "The participant's age is outside the activity's range"


class AudienceUnknown(Forbidden):
    code = "audience_unknown"
    zh = "此活动有年龄或居民限制，您的账号尚未关联居民登记"
    en = "This activity has audience rules and your account is not linked to the register"


class CapacityBelowAccepted(Conflict):
    code = "activity_capacity_below_accepted"
    zh, en = "名额不能少于已报名人数", "Capacity cannot go below the accepted sign-ups"


class ActivityStarted(Conflict):
    code = "activity_started"
    zh, en = "活动已开始，不能修改时间", "The activity has started; its times cannot change"


class CodeInvalid(Unprocessable):
    code = "checkin_code_invalid"
    zh, en = "签到码无效（不是本活动的签到码）", "Not a valid check-in code for this activity"


class CodeExpired(Unprocessable):
    code = "checkin_code_expired"
    zh, en = "签到码已过期，请刷新后重新出示", "The check-in code has expired; show a new one"


class CodeAlreadyUsed(Conflict):
    code = "checkin_code_used"
    zh = "该签到码已用于签到，签退请出示新的签到码"
    en = "This code checked in; show a new one to check out"
