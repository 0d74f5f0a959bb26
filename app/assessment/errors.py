"""The errors the assessment domain raises (sheets, rounds, reviews)."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound


class SheetNotFound(NotFound):
    code, zh, en = "assessment_sheet_not_found", "考核细则不存在", "Scoring sheet not found"


class SheetInUse(Conflict):
    code = "assessment_sheet_in_use"
    zh = "考核细则已用于考核，不能修改或删除；请创建新版本"
    en = "The scoring sheet is in use: it cannot be changed or deleted, only versioned"


class SheetVersionTaken(Conflict):
    code = "assessment_sheet_version_taken"
    zh = "同时有人新建了该细则的版本，请重试"
    en = "Another version of this sheet was created at the same time; retry"


class RoundNotFound(NotFound):
    code, zh, en = "assessment_round_not_found", "考核轮次不存在", "Assessment round not found"


class RoundExists(Conflict):
    code = "assessment_round_exists"
    zh = "该组织本季度已用此细则考核"
    en = "This sheet is already applied to this org for that quarter"


class ItemComputed(Conflict):
    code = "assessment_item_computed"
    zh = "该项由系统根据平台数据计算，不能手工打分"
    en = "This item is computed from the platform's data and cannot be scored by hand"


class RoundPublished(Conflict):
    code = "assessment_round_published"
    zh = "考核轮次已发布，结果已冻结，不能重新计算或修改得分"
    en = "The round is published: its results are frozen and cannot be recomputed or rescored"


class ReviewNotFound(NotFound):
    code, zh, en = "review_not_found", "述职评议不存在", "Review not found"


class ReportNotFound(NotFound):
    code, zh, en = "review_report_not_found", "述职报告不存在", "Report not found"


class ReportExists(Conflict):
    code, zh, en = "review_report_exists", "本组织已提交述职报告", "This org has already filed"


class NotSecretary(Forbidden):
    code = "review_not_secretary"
    zh = "只有该组织的书记（在本组织任职的负责人）可以提交述职报告"
    en = "Only the org's own secretary may file its report"


class ReviewNotOpen(Conflict):
    code, zh, en = "review_not_open", "评议尚未开始", "The review window has not opened yet"


class ReviewClosed(Conflict):
    code, zh, en = "review_closed", "评议已结束", "The review window has closed"


class AlreadyRated(Conflict):
    code, zh, en = "review_already_rated", "您已评议过该报告", "You have already rated this report"
