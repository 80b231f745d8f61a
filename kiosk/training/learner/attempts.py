"""Quiz answers: checked on the hub against the question file (never trusted from the phone), stored once each."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.content.quiz import Question

from ..catalog import Catalog
from .database import LearningDB

GONE = "这道题已经不在题库里了"
NO_COURSE = "没有这门课"


@dataclass(frozen=True)
class Answer:
    """One answer as a phone sends it: its own id (a UUID made on the phone), the question, course and answer."""

    id: str
    question: str
    course: str
    answer: str


@dataclass
class Checked:
    """A batch of answers checked: how many were stored, seen before, or refused, and one result per answer."""

    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    results: list[dict] = field(default_factory=list)
    questions: set[str] = field(default_factory=set)  # questions answered in this batch, for completions


def normalized(question: Question, answer: str) -> str:
    """The answer as Question.is_right compares it: letters sorted and once each, or 对/错 as written."""
    answer = answer.strip()
    return answer if question.kind == "truefalse" else "".join(sorted(set(answer.upper())))


def record_attempts(
    db: LearningDB, learner_id: str | None, answers: list[Answer], catalog: Catalog, now: float
) -> Checked:
    """Check every answer; for a learner, store each new one (an id seen before counts once and is answered as
    it was then). An anonymous visitor's answers are checked and nothing is stored."""
    checked = Checked()
    with db.conn:
        for sent in answers:
            question = catalog.questions.get(sent.question)
            if question is None or (sent.course and sent.course not in catalog.courses):
                checked.refused += 1
                checked.results.append(
                    {
                        "id": sent.id,
                        "right": None,
                        "answer": None,
                        "explanation": None,
                        "error": GONE if question is None else NO_COURSE,
                    }
                )
                continue
            right = question.is_right(sent.answer)
            if learner_id is not None:
                stored = db.conn.execute(
                    "INSERT OR IGNORE INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (sent.id, learner_id, question.id, sent.course, normalized(question, sent.answer), int(right), now),
                ).rowcount
                if stored:
                    checked.accepted += 1
                    checked.questions.add(question.id)
                else:
                    checked.duplicates += 1
                    first = db.conn.execute(
                        "SELECT learner, question, right FROM attempts WHERE id = ?", (sent.id,)
                    ).fetchone()
                    if first["learner"] == learner_id and first["question"] == question.id:
                        right = bool(first["right"])
            checked.results.append(
                {"id": sent.id, "right": right, "answer": question.answer, "explanation": question.explanation}
            )
    return checked
