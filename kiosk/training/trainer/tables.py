"""The trainer's tables, each built once per request and then shown on the page, written to Excel and to CSV from
the same rows, so a file always holds exactly what the page shows: who completed which course, completions per
社区, listening time per learner and per 社区, and the questions answered wrongly most often."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from indexer.content.documents import Document
from indexer.content.parse import document_id
from indexer.content.quiz import Question
from indexer.store import Store

from ..catalog import Catalog
from ..durations import clock
from ..learner import reports
from ..learner.database import LearningDB
from . import queries

KINDS = ("text", "int", "duration", "percent", "datetime", "date", "link")  # a duration is seconds, shown h:mm


@dataclass(frozen=True)
class Column:
    """A column: its heading, what its values are, and at most how wide it gets in Excel (in characters)."""

    title: str
    kind: str = "text"
    max_width: int = 40


@dataclass(frozen=True)
class Link:
    """A cell that links somewhere on this server (a path) or elsewhere."""

    text: str
    url: str


@dataclass
class Row:
    """One row's values, in column order, and what the page needs besides (a learner's id for a link)."""

    values: tuple
    meta: dict = field(default_factory=dict)


@dataclass
class Table:
    """A table as the page shows it and the exports write it; ``title`` is the heading and the Excel sheet's name."""

    id: str
    title: str
    columns: tuple[Column, ...]
    rows: list[Row]
    empty: str = "这段时间没有记录。"


@dataclass(frozen=True)
class Filters:
    """Which 乡镇/街道, 社区 and course a page is narrowed to ('' for all)."""

    town: str = ""
    community: str = ""
    course: str = ""

    def where(self, course_column: str) -> tuple[str, tuple[str, ...]]:
        """The filters as SQL conditions (``AND …``) on the learners table ``l`` and a course column, with their
        parameters."""
        return (
            f" AND (? = '' OR l.town = ?) AND (? = '' OR l.community = ?) AND (? = '' OR {course_column} = ?)",
            (self.town, self.town, self.community, self.community, self.course, self.course),
        )

    def keeps(self, town: str, community: str, course: str | None = None) -> bool:
        return (
            (not self.town or town == self.town)
            and (not self.community or community == self.community)
            and (course is None or not self.course or course == self.course)
        )


def cell_text(kind: str, value) -> str:
    """A value as the page and the CSV write it: times to the minute, listening as h:mm."""
    if value is None:
        return ""
    if kind == "datetime":
        return value.strftime("%Y-%m-%d %H:%M")
    if kind == "date":
        return value.isoformat()
    if kind == "duration":
        return clock(value)
    if kind == "percent":
        return f"{value:.1f}"
    if kind == "link":
        return value.text
    return str(value)


def local_time(at: float | None) -> dt.datetime | None:
    """A stored time as the hub's local time, to the minute (what the page shows is what the file holds)."""
    if at is None:
        return None
    return dt.datetime.fromtimestamp(at).replace(second=0, microsecond=0)


def course_title(catalog: Catalog, course: str) -> str:
    plan = catalog.courses.get(course)
    return plan.title if plan else f"（已删除的课程：{course}）"


# -- who completed what ---------------------------------------------------------------------------------------------

UNIT_COLUMNS = (Column("乡镇/街道", max_width=20), Column("社区", max_width=20))
COMPLETION_COLUMNS = (
    *UNIT_COLUMNS,
    Column("姓名", max_width=16),
    Column("课程", max_width=30),
    Column("完成时间", "datetime"),
    Column("本课累计收听（时:分）", "duration"),
)
COUNT_COLUMNS = (*UNIT_COLUMNS, Column("课程", max_width=30), Column("完成人数", "int"), Column("本社区学员数", "int"))


def completions_table(db: LearningDB, catalog: Catalog, since: float, until: float, filters: Filters) -> Table:
    """One row per learner and course completed in the period, by 乡镇/街道, 社区 and name: the street office's list."""
    seconds = queries.course_seconds(db)
    rows = [
        Row(
            (
                r["town"],
                r["community"],
                r["name"],
                course_title(catalog, r["course"]),
                local_time(r["at"]),
                seconds.get((r["learner"], r["course"]), 0.0),
            ),
            {"learner": r["learner"], "course": r["course"]},
        )
        for r in reports.completions(db, since, until, filters.town, filters.community)
        if filters.keeps(r["town"], r["community"], r["course"])
    ]
    return Table("completions", "完成名单", COMPLETION_COLUMNS, rows, "这段时间还没有人学完课程。")


def counts_table(db: LearningDB, catalog: Catalog, since: float, until: float, filters: Filters) -> Table:
    """How many learners of each 社区 completed each course in the period, beside how many learners it has."""
    sizes = queries.unit_sizes(db)
    rows = [
        Row(
            (
                r["town"],
                r["community"],
                course_title(catalog, r["course"]),
                r["learners"],
                sizes.get((r["town"], r["community"]), 0),
            )
        )
        for r in reports.completion_counts(db, since, until)
        if filters.keeps(r["town"], r["community"], r["course"])
    ]
    return Table("counts", "各社区完成人数", COUNT_COLUMNS, rows, "这段时间还没有人学完课程。")


# -- who kept listening -----------------------------------------------------------------------------------------------

LEARNER_LISTENING_COLUMNS = (
    *UNIT_COLUMNS,
    Column("姓名", max_width=16),
    Column("收听（时:分）", "duration"),
    Column("听过的句子", "int"),
    Column("最近收听", "datetime"),
)
UNIT_LISTENING_COLUMNS = (
    *UNIT_COLUMNS,
    Column("学员数", "int"),
    Column("收听人数", "int"),
    Column("收听（时:分）", "duration"),
    Column("听过的句子", "int"),
)


def learner_listening_table(db: LearningDB, since: float, until: float, filters: Filters) -> Table:
    """Listening time each learner was credited in the period, those who heard nothing included: who kept listening."""
    rows = [
        Row(
            (r["town"], r["community"], r["name"], r["seconds"], r["sentences"], local_time(r["last"])),
            {"learner": r["learner"], "quiet": not r["sentences"]},
        )
        for r in reports.listening_by_learner(db, since, until, filters.town, filters.community)
    ]
    return Table("learners", "每位学员的收听", LEARNER_LISTENING_COLUMNS, rows, "还没有学员。")


def unit_listening_table(db: LearningDB, since: float, until: float, filters: Filters) -> Table:
    """Listening time per 社区 in the period and how many of its learners listened at all."""
    rows = [
        Row((r["town"], r["community"], r["learners"], r["listeners"], r["seconds"], r["sentences"]))
        for r in reports.listening_by_unit(db, since, until)
        if filters.keeps(r["town"], r["community"])
    ]
    return Table("units", "各社区的收听", UNIT_LISTENING_COLUMNS, rows, "还没有学员。")


# -- which questions go wrong -----------------------------------------------------------------------------------------

QUESTION_COLUMNS = (
    Column("题目", max_width=60),
    Column("分册", max_width=20),
    Column("作答次数", "int"),
    Column("答错次数", "int"),
    Column("正确率（%）", "percent"),
    Column("最常见的错误答案", max_width=30),
    Column("正确答案", max_width=30),
    Column("出处", "link", max_width=30),
)


def questions_table(db: LearningDB, catalog: Catalog, since: float, until: float, course: str, store: Store) -> Table:
    """Every question answered in the period (in one course, or anywhere), most often wrong first, with its most
    common wrong answer and the passage it comes from: where the teaching needs fixing."""
    stats = reports.question_stats(db, since, until, course)
    sources = source_links(
        store, [catalog.questions[r["question"]] for r in stats if r["question"] in catalog.questions]
    )
    rows = []
    for r in stats:
        question = catalog.questions.get(r["question"])
        text = question.text if question else f"（题库里已没有这道题：{r['question']}）"
        right = question.answer if question else None
        rows.append(
            Row(
                (
                    text,
                    question.volume if question else "",
                    r["attempts"],
                    r["wrong"],
                    r["right_percent"],
                    answer_text(question, r["common_wrong"]),
                    answer_text(question, right),
                    sources.get(r["question"]),
                ),
                {"question": r["question"]},
            )
        )
    return Table("questions", "答题情况", QUESTION_COLUMNS, rows, "这段时间还没有人答题。")


def answer_text(question: Question | None, answer: str | None) -> str | None:
    """An answer with its options' words: "C. 十五日", "A. …；C. …", or 对/错 as given."""
    if not answer:
        return None
    if question is None or question.kind == "truefalse":
        return answer
    options = dict(question.options)
    return "；".join(f"{letter}. {options[letter]}" if letter in options else letter for letter in answer)


def source_links(store: Store, questions: Iterable[Question], play: bool = False) -> dict[str, Link]:
    """For each question, a link to the kiosk's page of its 出处 document, at the passage it quotes (and playing
    it from there, with ``play``)."""
    documents: dict[str, Document | None] = {}
    links = {}
    for question in questions:
        doc_id = document_id(question.source)
        if doc_id not in documents:
            documents[doc_id] = store.document(doc_id)
        doc = documents[doc_id]
        if doc is None:
            continue
        passage = next((p for p in doc.passages if question.quote in p.text), None)
        query = "&".join(part for part in (f"p={passage.id}" if passage else "", "play=1" if play else "") if part)
        links[question.id] = Link(doc.title, f"/doc/{doc.id}" + (f"?{query}" if query else ""))
    return links
