"""Who at the desk may see a request, handle it, and read the resident's name and phone. Pure: a user's role and
unit against a request's kind, level, community and township.

Each level sees its own level and below (中心 ⊃ 乡镇/街道 ⊃ 社区), within its unit: a community's staff only their
community's requests at the community level, a township's only its township's at the township or community level,
the centre every dispute. Counsel (法律咨询台) sees the legal questions. Only the handler of the level a request is at
(and an admin) changes it and reads who asked."""

from __future__ import annotations

from typing import Protocol

from .states import LEVELS

DESK_ROLES = ("counsel", "community", "township", "centre")
DESK_ROLE_NAMES = {"counsel": "法律咨询", "community": "社区调处", "township": "乡镇/街道调处", "centre": "中心调处"}
UNIT_ROLES = ("community", "township")  # an account of these belongs to one community, or one 乡镇/街道
STAFF_ROLES = (*DESK_ROLES, "admin")  # who may open the desk's staff pages at all


class Staff(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def unit(self) -> str: ...


class Located(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def community(self) -> str: ...
    @property
    def town(self) -> str: ...


def may_see(user: Staff, request: Located) -> bool:
    """Whether the request is in this user's queue at all."""
    if user.role == "admin":
        return True
    if user.role == "counsel":
        return request.kind == "consult"
    if request.kind != "dispute" or user.role not in LEVELS:
        return False
    if LEVELS.index(request.level) > LEVELS.index(user.role):
        return False  # above this level: its own and below only
    return _in_unit(user, request)


def may_handle(user: Staff, request: Located) -> bool:
    """Whether this user acts on the request where it is now (and so reads the resident's name and phone)."""
    if user.role == "admin":
        return True
    if user.role == "counsel":
        return request.kind == "consult"
    return request.kind == "dispute" and request.level == user.role and _in_unit(user, request)


def _in_unit(user: Staff, request: Located) -> bool:
    if user.role == "community":
        return request.community == user.unit
    if user.role == "township":
        return request.town == user.unit
    return True
