"""The desk's state machine as one table: which action may move a request from which status, at which level, for
which kind of request, and where it lands. Pure: no database, no clock, no user; roles.py says who may act."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("consult", "dispute")
KIND_NAMES = {"consult": "法律咨询", "dispute": "纠纷调处"}
LEVELS = ("community", "township", "centre")  # 社区 → 乡镇/街道 → 中心, lowest first
LEVEL_NAMES = {"community": "社区", "township": "乡镇/街道", "centre": "中心"}
STATUS_NAMES = {
    "registered": "已登记，等待受理",
    "escalated": "已转交上一级，等待受理",
    "returned": "已退回下一级，等待受理",
    "reopened": "重新办理，等待受理",
    "accepted": "已受理",
    "in_progress": "办理中",
    "answered": "已答复，等待评价",
    "rated": "已评价，办结",
}
STATUSES = tuple(STATUS_NAMES)
WAITING = frozenset({"registered", "escalated", "returned", "reopened"})  # someone at its level must accept it
HANDLED = frozenset({"accepted", "in_progress"})
OPEN = WAITING | HANDLED  # the level owes an answer: deadlines run, overdue ones go up
RATINGS = ("满意", "基本满意", "不满意")
UNHAPPY = "不满意"
FIRST_LEVEL = {"consult": "centre", "dispute": "community"}  # counsel sits at the centre's 法律咨询台


@dataclass(frozen=True)
class Move:
    """One row of the table: ``action`` moves a request of one of ``kinds`` in one of ``sources`` at one of
    ``levels`` to ``target`` (None: the status stays, as when flagging a joint consultation) and ``shift`` levels
    up (+1) or down (-1). ``by`` is "staff" (the level's handler), "resident" or "system"; a "staff" move
    that names "system" too is also made by the escalation tick."""

    action: str
    sources: frozenset[str]
    target: str | None
    levels: tuple[str, ...] = LEVELS
    kinds: tuple[str, ...] = KINDS
    shift: int = 0
    by: tuple[str, ...] = ("staff",)
    needs_note: bool = False  # a reason (return) or the answer itself (answer)


MOVES = {
    move.action: move
    for move in (
        Move("accept", WAITING, "accepted"),
        Move("start", frozenset({"accepted"}), "in_progress"),
        Move("answer", HANDLED, "answered", needs_note=True),
        Move("escalate", OPEN, "escalated", LEVELS[:-1], ("dispute",), +1, ("staff", "system")),
        Move("return", OPEN, "returned", LEVELS[1:], ("dispute",), -1, needs_note=True),
        Move("joint", HANDLED, None, ("centre",), ("dispute",), needs_note=True),
        Move("rate", frozenset({"answered"}), "rated", by=("resident",)),
    )
}
ACTION_NAMES = {
    "register": "登记",
    "accept": "受理",
    "start": "开始办理",
    "answer": "答复",
    "escalate": "转交上一级",
    "return": "退回下一级",
    "joint": "提请重大问题会诊",
    "rate": "评价",
    "company": "更正物业公司",  # a line that moves nothing (workflow.correct_company)
    "reopen": "不满意，重新办理",
    "anonymise": "到保存期限，删去个人信息",
    "publish": "去掉个人信息后发布到文库",
}
STAFF_ACTIONS = tuple(action for action, move in MOVES.items() if "staff" in move.by)


class RefusedMove(ValueError):
    """The action is not allowed from where the request is; the message says why, in Chinese."""


@dataclass(frozen=True)
class Place:
    """Where a request is in the machine."""

    kind: str
    status: str
    level: str
    joint: bool = False
    reopened: bool = False


def allowed(action: str, place: Place, by: str = "staff") -> bool:
    """Whether ``action`` made by ``by`` may move a request from ``place``."""
    move = MOVES.get(action)
    if move is None or by not in move.by:
        return False
    if action == "joint" and place.joint:
        return False  # flagged once is enough
    return place.kind in move.kinds and place.level in move.levels and place.status in move.sources


def actions(place: Place, by: str = "staff") -> list[str]:
    """The actions ``by`` may take from ``place``, in the table's order (for the staff page's buttons)."""
    return [action for action in MOVES if allowed(action, place, by)]


def moved(action: str, place: Place, by: str = "staff", rating: str = "", reason: str = "") -> Place:
    """Where ``action`` takes the request; RefusedMove when the table does not allow it. A rating of 不满意 with a
    reason reopens a request that was never reopened; any other rating (or a second 不满意) closes it."""
    if not allowed(action, place, by):
        raise RefusedMove(f"现在是「{STATUS_NAMES.get(place.status, place.status)}」，不能{_name(action)}")
    move = MOVES[action]
    if action == "rate":
        if rating not in RATINGS:
            raise RefusedMove(f"评价只能是 {'、'.join(RATINGS)}")
        if rating == UNHAPPY and reason.strip() and not place.reopened:
            return Place(place.kind, "reopened", place.level, place.joint, reopened=True)
    level = LEVELS[LEVELS.index(place.level) + move.shift]
    return Place(place.kind, move.target or place.status, level, place.joint or action == "joint", place.reopened)


def _name(action: str) -> str:
    return ACTION_NAMES.get(action, action)
