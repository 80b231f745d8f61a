"""Who may do what in the 物业超市. Centre staff (and admins) keep the company file and decide admission and
removal; they, the 乡镇/街道 and the communities enter the quarterly assessments and see the scorecards. Editors,
trainers and counsel have no part in it."""

from __future__ import annotations

from typing import Protocol

EDIT_ROLES = ("centre", "admin")  # edit the file, import and export it, admit and remove companies
# see the file and scorecards, and enter assessments: a community or 乡镇/街道 in its own name, the centre in the name
# of the department it types (the guard admits these roles to the market's pages, and only these)
MARKET_ROLES = ("community", "township", "centre", "admin")
NOT_MARKET = "物业超市只有中心、乡镇/街道和社区的工作人员以及管理员可以使用。"
NOT_CENTRE = "企业档案的修改、导入导出和入驻决定只有中心的工作人员和管理员可以做。"


class Staff(Protocol):
    @property
    def role(self) -> str: ...


def may_edit(user: Staff) -> bool:
    """Whether this account keeps the company file (and so reads the contacts) and decides admission."""
    return user.role in EDIT_ROLES
