"""One learner's quiz answers for the trainer: the latest answer to each question, wrong ones first, with the right
answer and the passage the question comes from, to play it with them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from indexer.store import Store

from ..catalog import Catalog
from ..learner.database import LearningDB
from .tables import Link, answer_text, local_time, source_links


@dataclass(frozen=True)
class LearnerAnswer:
    """The learner's latest answer to one question, and how many times they answered it."""

    question: str
    text: str
    given: str | None
    right_answer: str | None
    right: bool
    tries: int
    at: dt.datetime | None
    source: Link | None


def learner_answers(db: LearningDB, catalog: Catalog, learner_id: str, store: Store) -> list[LearnerAnswer]:
    """Each question the learner answered, their latest answer to it; wrong ones first, then the latest first."""
    rows = db.conn.execute(
        "SELECT question, answer, right, at, tries FROM (SELECT question, answer, right, at, "
        "COUNT(*) OVER (PARTITION BY question) AS tries, "
        "ROW_NUMBER() OVER (PARTITION BY question ORDER BY at DESC, rowid DESC) AS newest "
        "FROM attempts WHERE learner = ?) WHERE newest = 1 ORDER BY right, at DESC",
        (learner_id,),
    ).fetchall()
    sources = source_links(
        store, [catalog.questions[r["question"]] for r in rows if r["question"] in catalog.questions], play=True
    )
    answers = []
    for r in rows:
        question = catalog.questions.get(r["question"])
        answers.append(
            LearnerAnswer(
                r["question"],
                question.text if question else f"（题库里已没有这道题：{r['question']}）",
                answer_text(question, r["answer"]),
                answer_text(question, question.answer) if question else None,
                bool(r["right"]),
                r["tries"],
                local_time(r["at"]),
                sources.get(r["question"]),
            )
        )
    return answers
