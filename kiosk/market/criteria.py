"""The city's criteria for the assessment that departments, 乡镇/街道 and communities enter each quarter: one list,
each criterion with the most points it gives, adding up to 100. Changing the list changes the form and the
arithmetic together; assessments already entered keep the points they were given (stored by criterion)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    points: int
    hint: str


CRITERIA = (
    Criterion("service", "日常服务", 25, "保洁、绿化、秩序维护、设施设备维修养护是否到位"),
    Criterion("fees", "收费和公开", 15, "按合同和规定收费，物业费、公共收益按时公示"),
    Criterion("safety", "安全和应急", 20, "消防、电梯等安全管理，突发事件和灾害天气的应急处置"),
    Criterion("complaints", "投诉处理", 20, "居民投诉和报修及时回应、办结，不推诿"),
    Criterion("community", "配合社区和部门工作", 20, "党建引领、文明城市创建、疫情防控、矛盾化解中的配合"),
)
TOTAL = sum(criterion.points for criterion in CRITERIA)
assert TOTAL == 100, "the criteria's points add up to 100"


def scored(values: dict[str, str]) -> dict[str, int]:
    """Points per criterion from a form, each a whole number from 0 to its most; ValueError naming the one that is
    not."""
    points = {}
    for criterion in CRITERIA:
        text = str(values.get(criterion.key, "")).strip()
        if not text.isdigit() or not 0 <= int(text) <= criterion.points:
            raise ValueError(f"「{criterion.name}」请打 0 到 {criterion.points} 之间的整数分")
        points[criterion.key] = int(text)
    return points
