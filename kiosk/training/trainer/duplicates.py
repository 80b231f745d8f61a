"""Learners who are likely one person: the same name in two 社区, or, in one 社区, names of one surname that are one
character apart (张晓梅 and 张小梅; 张伟 and 李伟 are two people, not a slip of the pen). Only a trainer sees these,
on the learners' pages; each pair links to the merge that joins them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from ..learner.learners import Learner

SAME_NAME = "同名，在另一个社区"
ONE_APART = "同一个社区，同姓，名字只差一个字"


@dataclass(frozen=True)
class Likely:
    """Two learners who may be one person, and why the trainer is told so."""

    first: Learner
    second: Learner
    reason: str


def one_apart(a: str, b: str) -> bool:
    """Whether two different names differ by one character, not a digit: one replaced, added or left out
    (网格员01号 and 网格员02号 are numbered apart, on purpose)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        return len(differ) == 1 and not (differ[0][0].isdigit() or differ[0][1].isdigit())
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter and not longer[i].isdigit() for i in range(len(longer)))


def likely_duplicates(people: Iterable[Learner]) -> list[Likely]:
    """Every pair of these learners that is likely one person, by 乡镇/街道, 社区 and name of the first."""
    by_name: dict[str, list[Learner]] = defaultdict(list)
    by_unit: dict[tuple[str, str], list[Learner]] = defaultdict(list)
    for person in people:
        by_name[person.name].append(person)
        by_unit[(person.town, person.community)].append(person)
    found = [Likely(a, b, SAME_NAME) for namesakes in by_name.values() for a, b in combinations(namesakes, 2)]
    found += [
        Likely(a, b, ONE_APART)
        for unit in by_unit.values()
        for a, b in combinations(unit, 2)
        if a.name[0] == b.name[0] and one_apart(a.name, b.name)
    ]
    return sorted(found, key=lambda pair: (pair.first.town, pair.first.community, pair.first.name, pair.second.name))


def likely_duplicates_of(learner: Learner, people: Iterable[Learner]) -> list[Learner]:
    """The learners who are likely the same person as this one."""
    pairs = likely_duplicates(people)
    return [
        pair.second if pair.first.id == learner.id else pair.first
        for pair in pairs
        if learner.id in (pair.first.id, pair.second.id)
    ]
