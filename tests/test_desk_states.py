"""The desk's state machine, every action from every place by every kind of actor: allowed where the rules say,
refused everywhere else; and who may see and handle a request (roles.py), every role against every level."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from kiosk.desk.roles import may_handle, may_see
from kiosk.desk.states import KINDS, LEVELS, MOVES, STATUSES, Place, RefusedMove, allowed, moved

ACTORS = ("staff", "resident", "system")
WAITING = {"registered", "escalated", "returned", "reopened"}
HANDLED = {"accepted", "in_progress"}


def expected(action: str, kind: str, status: str, level: str, by: str) -> tuple[str, str] | None:
    """The rules in words, written apart from the table: (status, level) after the action, None when refused."""
    up = LEVELS[LEVELS.index(level) + 1] if level != "centre" else None
    down = LEVELS[LEVELS.index(level) - 1] if level != "community" else None
    if by == "resident":
        return ("rated", level) if action == "rate" and status == "answered" else None
    if by == "system":  # the tick only ever sends an open dispute up, and the centre has no level above
        return (
            ("escalated", up)
            if action == "escalate" and kind == "dispute" and up and status in WAITING | HANDLED
            else None
        )
    if action == "accept" and status in WAITING:
        return ("accepted", level)
    if action == "start" and status == "accepted":
        return ("in_progress", level)
    if action == "answer" and status in HANDLED:
        return ("answered", level)
    if action == "escalate" and kind == "dispute" and up and status in WAITING | HANDLED:
        return ("escalated", up)
    if action == "return" and kind == "dispute" and down and status in WAITING | HANDLED:
        return ("returned", down)
    if action == "joint" and kind == "dispute" and level == "centre" and status in HANDLED:
        return (status, level)
    return None


@pytest.mark.parametrize(
    ("action", "kind", "status", "level", "by"), list(itertools.product(MOVES, KINDS, STATUSES, LEVELS, ACTORS))
)
def test_every_action_from_every_place(action, kind, status, level, by):
    place = Place(kind, status, level)
    want = expected(action, kind, status, level, by)
    assert allowed(action, place, by) is (want is not None)
    if want is None:
        with pytest.raises(RefusedMove):
            moved(action, place, by, rating="满意")
    else:
        after = moved(action, place, by, rating="满意")
        assert (after.status, after.level) == want
        assert after.joint is (action == "joint")


def test_an_unknown_action_is_refused():
    assert not allowed("delete", Place("dispute", "registered", "community"))
    with pytest.raises(RefusedMove):
        moved("delete", Place("dispute", "registered", "community"))


def test_a_joint_consultation_is_flagged_once():
    flagged = moved("joint", Place("dispute", "accepted", "centre"))
    assert flagged.joint and not allowed("joint", flagged)


@pytest.mark.parametrize(
    ("rating", "reason", "reopened", "after"),
    [
        ("满意", "", False, "rated"),
        ("基本满意", "还行", False, "rated"),
        ("不满意", "", False, "rated"),  # no reason: recorded, not reopened
        ("不满意", "   ", False, "rated"),
        ("不满意", "漏水还在", False, "reopened"),
        ("不满意", "还是漏水", True, "rated"),  # reopened once already: recorded, not reopened again
    ],
)
def test_unhappy_with_a_reason_reopens_once(rating, reason, reopened, after):
    place = Place("dispute", "answered", "township", reopened=reopened)
    found = moved("rate", place, "resident", rating, reason)
    assert found.status == after and found.level == "township"
    assert found.reopened is (reopened or after == "reopened")


def test_a_rating_must_be_one_of_the_three():
    with pytest.raises(RefusedMove, match="满意"):
        moved("rate", Place("consult", "answered", "centre"), "resident", "很好")


@dataclass
class User:
    role: str
    unit: str = ""


@dataclass
class Asked:
    kind: str
    level: str
    community: str = "幸福里社区"
    town: str = "城关街道"


USERS = {
    "admin": User("admin"),
    "counsel": User("counsel"),
    "centre": User("centre"),
    "township": User("township", "城关街道"),
    "other township": User("township", "东城街道"),
    "community": User("community", "幸福里社区"),
    "other community": User("community", "花园社区"),
    "editor": User("editor"),
    "trainer": User("trainer"),
}
# (user, kind, level) → (sees, handles); the rest of the product is (False, False)
RIGHTS = {
    **{("admin", kind, level): (True, True) for kind in KINDS for level in LEVELS},
    **{("counsel", "consult", level): (True, True) for level in LEVELS},
    ("centre", "dispute", "centre"): (True, True),
    ("centre", "dispute", "township"): (True, False),
    ("centre", "dispute", "community"): (True, False),
    ("township", "dispute", "township"): (True, True),
    ("township", "dispute", "community"): (True, False),
    ("community", "dispute", "community"): (True, True),
}


@pytest.mark.parametrize(("who", "kind", "level"), list(itertools.product(USERS, KINDS, LEVELS)))
def test_each_role_sees_its_level_and_below_and_handles_its_own(who, kind, level):
    request = Asked(kind, level)
    assert (may_see(USERS[who], request), may_handle(USERS[who], request)) == RIGHTS.get(
        (who, kind, level), (False, False)
    )
