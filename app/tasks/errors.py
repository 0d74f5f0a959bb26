"""The errors the key-task domain raises (each with a stable `code` and its text in Chinese and
English)."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound


class TaskNotFound(NotFound):
    code, zh, en = "task_not_found", "重点任务不存在", "Key task not found"


class ReportNotFound(NotFound):
    code, zh, en = "task_report_not_found", "进度报告不存在", "Progress report not found"


class BulletinNotFound(NotFound):
    code, zh, en = "task_bulletin_not_found", "周通报不存在", "Bulletin not found"


class ReportExists(Conflict):
    code = "task_report_exists"
    zh, en = (
        "该责任单位本周已报告，请修改已有报告（PATCH，带 If-Match）",
        "This unit already reported this week: edit that report (PATCH with If-Match)",
    )


class TaskHasChildren(Conflict):
    code = "task_has_children"
    zh, en = "该任务已分解出子任务或已有报告，不能删除", "The task has sub-tasks or reports"


class BulletinPublished(Conflict):
    code = "task_bulletin_published"
    zh, en = "本周通报已发布", "This week's bulletin is already published"


class NotResponsible(Forbidden):
    code = "task_not_responsible"
    zh, en = "您不是该任务责任单位的工作人员", "You are not staff of this responsible unit"
