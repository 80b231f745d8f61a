"""Training by ear: course pages and their JSON, and spoken questions (a unit's quiz, the kiosk's 每日一题)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, abort, jsonify, render_template

from indexer.content.quiz import Question
from indexer.speech.questions import KIND_LABELS, PROMPTS, SpokenQuestion
from indexer.store import Store

from ..places import communities
from ..web import base_url, qr_svg, services, settings
from .catalog import Catalog, current_catalog
from .courses import CourseView, course_sentences, course_views, find_course
from .learner.progress import load_records
from .learner.session import current_learner, learning_db, on_kiosk

bp = Blueprint("training", __name__)


@bp.app_context_processor
def training_helpers():
    """For the home page: whether there can be a 每日一题 here, asked only where a template calls it (the
    touchscreen asks only questions for residents; a phone's learner may have their courses' questions)."""
    return {"has_questions": lambda: any(_may_ask(question) for question in current_catalog().questions.values())}


def _may_ask(question: Question) -> bool:
    return question.for_residents or not on_kiosk()


def roots() -> list[Path]:
    return settings().roots()


def course_summaries() -> list[dict]:
    """Every course's summary (title, documents, minutes, questions), for the course lists and their JSON."""
    with services().store() as store:
        views, _ = course_views(store, roots())
    return [view.summary() for view in views]


def daily_pool(catalog: Catalog, started: Iterable[str] = ()) -> list[Question]:
    """The questions 每日一题 goes round: a signed-in learner's are those of the courses they started; everyone
    else's (the touchscreen's always) only those marked 对象：居民, never a staff-exam question."""
    asked = {
        question for course in started if course in catalog.courses for question in catalog.courses[course].questions
    }
    if asked:
        return [catalog.questions[question] for question in asked if question in catalog.questions]
    return [question for question in catalog.questions.values() if question.for_residents]


def daily_question(questions: list[Question], day: dt.date | None = None) -> Question | None:
    """The same question all day on every kiosk, a different one each day, going round all of them."""
    if not questions:
        return None
    ordered = sorted(questions, key=lambda q: q.id)
    return ordered[(day or dt.date.today()).toordinal() % len(ordered)]


def question_json(question: Question, store: Store) -> dict:
    """A question with its audio: the question, each option, and the answer with its explanation."""
    speech = services().speech
    spoken = SpokenQuestion.of(question)

    def audio(text: str) -> list[str]:
        return [f"/audio/{line.key}.mp3" for line in speech.say(text, store)]

    return {
        "id": question.id,
        "kind": question.kind,
        "kind_label": KIND_LABELS[question.kind],
        "text": question.text,
        "options": [
            {"letter": letter, "text": text, "audio": audio(said)}
            for (letter, text), said in zip(question.options, spoken.options, strict=True)
        ],
        "answer": question.answer,
        "explanation": question.explanation,
        "audio": {"question": audio(spoken.question), "answer": audio(spoken.answer)},
        "source": _source_link(question, store),
    }


def _source_link(question: Question, store: Store) -> dict | None:
    """The passage a question comes from, to play it after answering."""
    entry = next((e for e in store.catalog() if e.source == question.source), None)
    doc = store.document(entry.id) if entry else None
    if doc is None:
        return None
    passage = next((p for p in doc.passages if question.quote in p.text), None)
    url = f"/doc/{doc.id}?play=1" + (f"&p={passage.id}" if passage else "")
    return {"doc": doc.id, "title": doc.title, "passage": passage.id if passage else None, "url": url}


def prompts_json(store: Store) -> dict:
    speech = services().speech
    return {name: [f"/audio/{line.key}.mp3" for line in speech.say(text, store)] for name, text in PROMPTS.items()}


def course_json(view: CourseView, store: Store) -> dict:
    """A course unit by unit with every sentence to play in order, and the ids of each unit's quiz."""
    sentences = course_sentences(view, services().speech, store)
    units = []
    for number, unit in enumerate(view.units):
        units.append(
            {
                "title": unit.title,
                "minutes": round(unit.minutes, 1),
                "parts": [
                    {
                        "doc": part.doc.id,
                        "title": part.doc.title,
                        "section": part.item.heading or None,
                        "url": f"/doc/{part.doc.id}" + (f"?p={part.passages[0].id}" if part.item.heading else ""),
                    }
                    for part in unit.parts
                ],
                "segments": [
                    {
                        "doc": s.doc,
                        "passage": s.passage,
                        "index": s.index,
                        "key": s.key,
                        "url": f"/audio/{s.key}.mp3",
                        "duration": round(s.seconds, 2),
                        "text": s.text,
                    }
                    for s in sentences
                    if s.unit == number
                ],
                "questions": [question.id for question in unit.questions],
            }
        )
    return {**view.summary(), "units": units, "speech_note": services().speech.problem}


@bp.get("/api/courses")
def courses():
    """Every course with its documents, minutes and number of questions."""
    return jsonify(ok=True, courses=course_summaries())


@bp.get("/api/courses/<course_id>")
def course(course_id: str):
    """One course with its sentences unit by unit, as the course player plays them."""
    with services().store() as store:
        view = find_course(store, roots(), course_id)
        if view is None:
            abort(404)
        return jsonify(ok=True, course=course_json(view, store), prompts=prompts_json(store))


@bp.get("/api/questions/daily")
def daily():
    """Today's question: for walk-up visitors one for residents, for a signed-in learner one of their courses."""
    started: set[str] = set()
    if not on_kiosk():
        with learning_db() as db:
            learner = current_learner(db)
            if learner is not None:
                started = set(load_records(db, learner.id).heard)
    question = daily_question(daily_pool(current_catalog(), started))
    if question is None:
        abort(404)
    with services().store() as store:
        return jsonify(ok=True, question=question_json(question, store), prompts=prompts_json(store))


@bp.get("/api/questions/<question_id>")
def question(question_id: str):
    """One question with its audio."""
    found = current_catalog().questions.get(question_id)
    if found is None:
        abort(404)
    with services().store() as store:
        return jsonify(ok=True, question=question_json(found, store), prompts=prompts_json(store))


@bp.get("/courses")
def course_list():
    """The courses, with the learner's progress filled in by the page."""
    return render_template("courses.html", courses=course_summaries())


@bp.get("/course/<course_id>")
def course_page(course_id: str):
    """A course: its units and parts, a player for the whole course in order, and each unit's quiz."""
    with services().store() as store:
        view = find_course(store, roots(), course_id)
    if view is None:
        abort(404)
    link = f"{base_url()}/course/{quote(course_id)}"  # on the big screen, for phones to follow along
    return render_template("course.html", course=view.summary(), units=view.units, link=link, qr=qr_svg(link))


@bp.get("/learn")
def learn():
    """Phones: a learner signs in (name, a 社区 chosen from the hub's list, PIN) and sees their courses; the kiosk
    shows no sign-in."""
    towns: dict[str, list[str]] = {}
    for place in communities(services().data.root):
        towns.setdefault(place.town, []).append(place.name)
    return render_template("learn.html", courses=course_summaries(), towns=towns)
