"""The editor's course pages: the list, the course form (texts picked from the library, ordered in units, with the
listening time as the kiosk estimates it), save and delete. Course files are written like texts: atomically into the
editors' folder, each save a version in the texts' history; a course from another content root is overridden by a
file of the same id in the editors' folder, as the loader reads the first root's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import abort, flash, g, redirect, render_template, request, url_for

from indexer.content.courses import (
    COURSE_KINDS,
    COURSES_FOLDER,
    DEFAULT_PASS_MARK,
    Course,
    CourseItem,
    Unit,
    load_courses,
    parse_course,
    parse_item,
    resolve,
)
from indexer.content.documents import Document
from indexer.errors import ContentError

from ..training.courses import CourseView, course_documents, course_views
from ..web import services
from . import bp
from .course_form import CourseForm, UnitForm, course_id_of, course_path, course_source
from .files import content_root, name_part, read_text, write_text
from .history import History
from .publish import publish_lock

LIBRARY_SHOWN = 20
bp.add_app_template_global(course_source, "editor_course_source")


@dataclass(frozen=True)
class Row:
    """One picked text or section as the form shows it; an empty title means the library does not have it."""

    label: str
    title: str
    heading: str
    minutes: float


def _roots() -> list[Path]:
    """The roots the kiosk reads courses from, the editors' own first."""
    return [Path(root) for root in services().settings.roots()]


def _history() -> History:
    return History(services().data.root)


def _course_files(course_id: str) -> list[Path]:
    """The course's files in the content roots, the editors' own first; the kiosk reads the first one."""
    try:
        return [path for path in (course_path(root, course_id) for root in _roots()) if path.is_file()]
    except ContentError:
        return []


def _where(course_id: str) -> str:
    """ "own" (only in the editors' folder), "override" (there, over a bundled one), "bundled" (only elsewhere)."""
    files = _course_files(course_id)
    if not files or files[0] != course_path(content_root(), course_id):
        return "bundled"
    return "override" if len(files) > 1 else "own"


@bp.app_template_filter("editor_minutes")
def minutes_label(minutes: float) -> str:
    """Listening time as the form shows it: whole minutes, as the kiosk's course list rounds them."""
    return "不到 1 分钟" if minutes < 0.5 else f"约 {round(minutes)} 分钟"


def _minutes_each(items: list[CourseItem], documents: dict[str, Document]) -> dict[str, float]:
    """Each item's listening time by label, estimated as the kiosk estimates a unit's (one unit per item)."""
    units, _ = resolve(Course("", "", "", tuple(Unit(item.label, (item,)) for item in items), ""), documents)
    return {unit.title: unit.minutes for unit in units if unit.parts}


@bp.get("/courses")
def courses():
    """Every course, the editors' own and the bundled ones, with what it holds and what it cannot find."""
    with services().store() as store:
        views, problems = course_views(store, _roots())
    shown = {view.course.id for view in views}
    with _history() as history:
        deleted = [
            course_id
            for course_id in map(course_id_of, history.sources(f"{COURSES_FOLDER}/"))
            if course_id and course_id not in shown and not _course_files(course_id)
        ]
    rows = [(view, _where(view.course.id)) for view in views]
    return render_template("editor/courses.html", rows=rows, problems=problems, deleted=deleted)


@bp.get("/courses/new")
def course_new():
    """An empty course with one unit to add texts to."""
    return render_course(CourseForm(units=[UnitForm("第一单元")]), focus="title")


@bp.get("/courses/edit")
def course_edit():
    """A course's fields and units, as the kiosk reads it now."""
    course_id = request.args.get("id", "")
    course = next((c for c in load_courses(_roots())[0] if c.id == course_id), None)
    if course is None:
        abort(404)
    _, digest = read_text(Path(course.file))
    return render_course(CourseForm.from_course(course, digest))


@bp.post("/courses/edit")
def course_form():
    """Every button of the form: save, or search the library, add, move or remove, and show the form again."""
    form = CourseForm.from_request(request.form)
    op = request.form.get("op", "")
    if op != "save":
        return render_course(form, focus=form.apply(op) or "q")
    try:
        return _save(form)
    except ContentError as exc:
        return render_course(form, error=f"没有保存：{exc}", status=400)


def _save(form: CourseForm):
    """Check the course with the loader the kiosk uses, write it atomically into the editors' folder, keep the
    version (and, the first time, the file as it was); nothing is written when anything is wrong."""
    form.check()
    is_new = not form.id
    course_id = form.id or name_part(form.title, 40) or "未命名课程"
    path = course_path(content_root(), course_id)
    text = form.yaml_text()
    course = parse_course(text, course_id, f"课程「{form.title}」")
    with services().store() as store:
        _, missing = resolve(course, course_documents(store, [course]))
    if missing:
        raise ContentError("；".join(missing) + "。请把它从课程里移除，或换一篇")
    source = course_source(course_id)
    with publish_lock:
        files = _course_files(course_id)
        if is_new and files:
            return render_course(
                form,
                status=409,
                error=(f"没有保存：已经有一门课程的文件名是「{course_id}」。请换一个课程名称，或打开那门课程去修改。"),
            )
        if not is_new and not files:
            return render_course(
                form,
                status=409,
                error=("没有保存：这门课程已经不在了（可能刚被删除，可以在课程列表的「已删除的课程」里恢复）。"),
            )
        current = None
        if files:
            current, digest = read_text(files[0])
            if form.base and digest != form.base:
                return render_course(
                    form,
                    status=409,
                    error=(
                        "没有保存：这门课程在您编辑期间已被别人修改并保存。为了不覆盖对方的修改，这次没有保存。"
                        "请记下您的改动，重新打开这门课程再改。"
                    ),
                )
            if _unchanged(current, course):
                flash("内容没有变化，不需要保存。", "ok")
                return redirect(url_for("editor.course_edit", id=course_id))
        with _history() as history:
            if current is not None and not history.has_versions(source):
                history.record(source, current, "（编辑前的原文）", "编辑前")
            write_text(path, text)
            history.record(source, text, g.editor.name, "新建" if is_new else "修改")
    override = (
        "（这是内置的课程：修改另存在编辑文件夹里，删除这份就恢复内置的版本）"
        if _where(course_id) == "override"
        else ""
    )
    flash(f"已保存「{form.title}」{override}。展示端的课程列表和课程页现在就是新的内容。", "ok")
    return redirect(url_for("editor.course_edit", id=course_id))


def _unchanged(current: str, course: Course) -> bool:
    """Whether the file says the same course already (however it is laid out), so nothing needs writing."""
    try:
        return parse_course(current, course.id, course.file) == course
    except ContentError:
        return False


def render_course(form: CourseForm, error: str | None = None, status: int = 200, focus: str = ""):
    """The course form with each picked text's title and minutes, each unit's and the whole course's minutes, and
    the library texts found for the search box."""
    course = form.course()
    with services().store() as store:
        documents = course_documents(store, [course])
        found, total = _library(store, form.query) if form.query else ([], 0)
    units, problems = resolve(course, documents)
    minutes = _minutes_each([item for unit in course.units for item in unit.items], documents)
    rows = [[_row(label, documents, minutes) for label in unit.items] for unit in form.units]
    versions, where = 0, ""
    if form.id:
        with _history() as history:
            versions = len(history.versions(course_source(form.id)))
        where = _where(form.id)
    return render_template(
        "editor/course.html",
        form=form,
        rows=rows,
        units=units,
        minutes=CourseView(course, units, problems).minutes,
        found=found,
        found_total=total,
        found_minutes=_minutes_each([CourseItem(doc.source) for doc in found], {doc.source: doc for doc in found}),
        error=error,
        focus=focus,
        versions=versions,
        where=where,
        source=course_source(form.id) if form.id else "",
        default_pass_mark=DEFAULT_PASS_MARK,
        kinds=COURSE_KINDS,
    ), status


def _row(label: str, documents: dict[str, Document], minutes: dict[str, float]) -> Row:
    item = parse_item(label)
    found = label in minutes  # resolved: the text is built and has the section
    return Row(label, documents[item.source].title if found else "", item.heading, minutes.get(label, 0.0))


def _library(store, query: str) -> tuple[list[Document], int]:
    """The texts whose title, file, shelf or volume contain what was searched for (the first few), and how many."""
    entries = [
        entry
        for entry in store.catalog()
        if query in entry.title or query in entry.source or query in entry.collection or query in entry.volume
    ]
    return [doc for doc in map(store.document, (entry.id for entry in entries[:LIBRARY_SHOWN])) if doc], len(entries)


@bp.post("/courses/delete")
def course_delete():
    """Delete a course file of the editors' folder (its versions stay in the history, to restore it from); a bundled
    course it overrode is heard again."""
    course_id = request.form.get("id", "")
    try:
        path = course_path(content_root(), course_id)
    except ContentError as exc:
        abort(400, description=str(exc))
    with publish_lock:
        if not path.is_file():
            abort(404)
        text, _ = read_text(path)
        with _history() as history:
            history.record(course_source(course_id), text, g.editor.name, "删除")
        path.unlink()
    if _course_files(course_id):
        flash(f"已删除编辑文件夹里对「{course_id}」的修改，展示端恢复用内置的版本。", "ok")
    else:
        flash(f"已删除课程「{course_id}」，展示端不再显示。需要时可以在「已删除的课程」里打开历史版本恢复。", "ok")
    return redirect(url_for("editor.courses"))
