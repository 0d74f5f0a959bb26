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
