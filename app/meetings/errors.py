"""The errors the joint-meetings domain raises (stable `code`, Chinese and English text)."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound


class MeetingNotFound(NotFound):
    code, zh, en = "meeting_not_found", "联席会议不存在", "Meeting not found"


class InvalidTransition(Conflict):
    code = "meeting_invalid_transition"
    zh, en = "会议当前状态不允许此操作", "Not allowed from the meeting's current status"


class NotAttendee(Forbidden):
    code = "meeting_not_attendee"
    zh, en = "您不是该会议的参会方", "You are not expected at this meeting"


class SignInClosed(Conflict):
    code = "meeting_sign_in_closed"
    zh, en = "签到码未生成或已过期", "No sign-in code is open for this meeting"


class WrongCode(Forbidden):
    code = "meeting_code_invalid"
    zh, en = "签到码不正确", "Wrong sign-in code"
