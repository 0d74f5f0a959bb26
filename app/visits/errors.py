"""The errors the visits domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import Forbidden, NotFound


class VisitNotFound(NotFound):
    code, zh, en = "visit_not_found", "走访记录不存在", "Visit not found"


class NotGridStaff(Forbidden):
    code = "visit_not_grid_staff"
    zh, en = "只有本网格的网格员、网格长可以记录走访", "Only the grid's own staff log visits there"


class NotVisitAuthor(Forbidden):
    code = "visit_not_author"
    zh, en = "只有记录人或管理员可以修改走访记录", "Only the author or an admin may correct a visit"


class EditWindowClosed(Forbidden):
    code = "visit_edit_window_closed"
    zh = "走访记录提交 7 天后只能由管理员修改"
    en = "After 7 days only an admin may correct a visit"
