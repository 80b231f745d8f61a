"""Learners who are likely one person: the same name in two 社区, or names one character apart in one 社区 (张晓梅,
张小梅). Only a trainer sees these, on the learners' pages; each pair links to the merge that joins them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from ..learner.learners import Learner

SAME_NAME = "同名，在另一个社区"
ONE_APART = "同一个社区，名字只差一个字"


@dataclass(frozen=True)
class Likely:
    """Two learners who may be one person, and why the trainer is told so."""

    first: Learner
    second: Learner
    reason: str


def one_apart(a: str, b: str) -> bool:
    """Whether two different names differ by one character: one replaced, added or left out."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


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
        if one_apart(a.name, b.name)
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
