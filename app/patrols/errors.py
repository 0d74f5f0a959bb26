"""The errors the patrols domain raises (each with a stable `code`
and its text in Chinese and English)."""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden, NotFound


class PatrolNotFound(NotFound):
    code, zh, en = "patrol_not_found", "巡查记录不存在", "Patrol not found"


class NotPatrolOwner(Forbidden):
    code = "patrol_not_owner"
    zh, en = "只有巡查的网格员本人可以操作", "Only the patrol's own worker may do this"


class NotGridStaff(Forbidden):
    code = "patrol_not_grid_staff"
    zh, en = "只有本网格的网格员、网格长可以记录巡查", "Only the grid's own staff log patrols there"


class PatrolAlreadyRunning(Conflict):
    code = "patrol_already_running"

    def __init__(self, patrol_id: int) -> None:
        super().__init__(
            f"您还有一次巡查（编号 {patrol_id}）尚未结束，请先结束",
            f"Patrol {patrol_id} is still running: end it first",
            headers={"Location": f"/api/v1/patrols/{patrol_id}"},
        )


class PatrolClosed(Conflict):
    code = "patrol_closed"
    zh = "巡查结束已超过 24 小时，记录不能再修改"
    en = "The patrol ended more than 24 hours ago; its log is closed"


class TrackFull(Conflict):
    code = "patrol_track_full"

    def __init__(self, limit: int) -> None:
        super().__init__(f"一次巡查最多 {limit} 个轨迹点", f"A patrol holds at most {limit} points")
