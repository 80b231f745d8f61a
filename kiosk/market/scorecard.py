"""A company's scorecard for a quarter: three sources, each scored out of 100 and shown on its own, then combined.

- 服务台 (the front desk's disputes that name the company): per estate managed, the share answered in time and the
  share rated 满意 or 基本满意; its score is the mean of the two shares that can be worked out, times 100.
- 考核 (departments, 乡镇/街道 and communities, by the criteria in criteria.py): the mean of the units' totals.
- 居民评价 (residents on their phones, one to five stars): the mean, with one star 0 and five stars 100.

The combined score is the weighted mean of the sources that have evidence this quarter, the weights (the setting
KIOSK_MARKET_WEIGHTS) renormalised over those: a source with nothing to go on neither helps nor harms."""

from __future__ import annotations

from dataclasses import dataclass

from ..desk.database import Request
from ..desk.states import RATINGS, UNHAPPY
from ..desk.workflow import Rules
from .database import Assessment

SOURCES = ("desk", "assessments", "residents")
SOURCE_NAMES = {"desk": "服务台纠纷", "assessments": "部门、乡镇/街道和社区考核", "residents": "居民评价"}
SATISFIED = tuple(rating for rating in RATINGS if rating != UNHAPPY)  # 满意, 基本满意


@dataclass(frozen=True)
class Source:
    """One source's score out of 100 (None: no evidence this quarter) and the figures behind it, said plainly."""

    key: str
    score: float | None
    figures: str

    @property
    def name(self) -> str:
        return SOURCE_NAMES[self.key]


@dataclass(frozen=True)
class Scorecard:
    quarter: str
    sources: tuple[Source, ...]
    combined: float | None
    weights: dict[str, int]


def combine(scores: dict[str, float | None], weights: dict[str, int]) -> float | None:
    """The weighted mean of the scores present, the weights renormalised over them; None when none is present
    (or every present source has weight 0)."""
    present = {key: score for key, score in scores.items() if score is not None and weights.get(key, 0) > 0}
    total = sum(weights[key] for key in present)
    if not total:
        return None
    return round(sum(score * weights[key] for key, score in present.items()) / total, 1)


@dataclass(frozen=True)
class Dispute:
    """What the scorecard reads of a desk request: answered in time or not (None: not answered and not yet late),
    and its rating."""

    in_time: bool | None
    rating: str


def dispute_of(request: Request, escalated_by_system: bool, rules: Rules, now: float) -> Dispute:
    """A dispute as the scorecard counts it: answered in time when the answer came before its level's deadline
    and no level let it go past one (the tick's escalation says a level did); late when it was, or when it is
    still open past its deadline."""
    if request.answered is not None:
        deadline = rules.due("accepted", request.level, request.arrived)
        on_time = not escalated_by_system and (deadline is None or request.answered <= deadline)
        return Dispute(on_time, request.rating)
    late = escalated_by_system or (request.due is not None and request.due < now)
    return Dispute(False if late else None, request.rating)


def desk_source(disputes: list[Dispute], estates: int) -> Source:
    if not disputes:
        return Source("desk", None, "本季度服务台没有点名这家公司的纠纷")
    decided = [d.in_time for d in disputes if d.in_time is not None]
    rated = [d.rating for d in disputes if d.rating]
    shares = []
    said = [f"纠纷 {len(disputes)} 件，平均每个在管小区 {len(disputes) / max(estates, 1):.1f} 件"]
    if decided:
        shares.append(sum(decided) / len(decided))
        said.append(f"按时答复 {sum(decided)}/{len(decided)}")
    if rated:
        satisfied = sum(rating in SATISFIED for rating in rated)
        shares.append(satisfied / len(rated))
        said.append(f"评价满意或基本满意 {satisfied}/{len(rated)}")
    score = round(100 * sum(shares) / len(shares), 1) if shares else None
    return Source("desk", score, "，".join(said))


def assessments_source(assessments: list[Assessment]) -> Source:
    if not assessments:
        return Source("assessments", None, "本季度还没有单位考核")
    mean = sum(a.total for a in assessments) / len(assessments)
    units = "、".join(a.unit for a in assessments)
    return Source("assessments", round(mean, 1), f"{len(assessments)} 个单位考核（{units}），平均 {mean:.1f} 分")


def residents_source(stars: list[int]) -> Source:
    if not stars:
        return Source("residents", None, "本季度还没有居民评价")
    mean = sum(stars) / len(stars)
    return Source("residents", round((mean - 1) * 25, 1), f"{len(stars)} 位居民评价，平均 {mean:.1f} 星")


def scorecard(quarter: str, sources: tuple[Source, ...], weights: dict[str, int]) -> Scorecard:
    return Scorecard(quarter, sources, combine({s.key: s.score for s in sources}, weights), weights)
