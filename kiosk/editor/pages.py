"""The editor's pages: the list, write and edit, upload for review, delete and trash, history, pronunciations."""

from __future__ import annotations

from pathlib import Path

from flask import abort, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup

from indexer.content.fields import FIELDS
from indexer.content.importing import MAX_UPLOAD_BYTES, convert_upload
from indexer.content.loader import discover, read_source
from indexer.content.parse import document_id, parse_document, strip_controls
from indexer.errors import ContentError

from ..visitors.shelves import shelf_names, volume_names
from ..web import services
from . import bp, parts
from . import pronunciations as dictionary
from .course_form import course_id_of, course_path
from .files import EditForm, Trash, content_root, path_in, read_text, safe_source, source_for, write_text
from .history import History, changed_lines, diff_table
from .publish import Published, audio_progress, publish, publish_lock, revoice

PAGE_SIZE = 100
STATUS_CLASS = {"现行": "valid", "已修订": "revised", "已废止": "repealed"}


def _path(source: str) -> Path:
    try:
        return path_in(content_root(), source)
    except ContentError as exc:
        abort(400, description=str(exc))


def _versioned_path(source: str) -> Path:
    """The file a history entry is of: a text, or a course file (their versions share the history)."""
    course_id = course_id_of(source)
    if course_id is None:
        return _path(source)
    try:
        return course_path(content_root(), course_id)
    except ContentError as exc:
        abort(400, description=str(exc))


@bp.app_template_global("editor_edit_url")
def edit_url(source: str) -> str:
    """Where a versioned file is edited: the course form for a course file, the edit page for a text."""
    course_id = course_id_of(source)
    return url_for("editor.course_edit", id=course_id) if course_id else url_for("editor.edit", source=source)


def _data_root() -> Path:
    return services().data.root


@bp.app_template_filter("editor_status_class")
def status_class(status: str) -> str:
    return STATUS_CLASS.get(status, "")


# -- the list --------------------------------------------------------------------------------------


@bp.get("/")
def index():
    """Every published text with a shelf filter and a text filter, audio progress, and files that failed."""
    shelf = request.args.get("shelf", "")
    query = request.args.get("q", "").strip()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    root = content_root()
    store = services().store()
    try:
        catalog = store.catalog()
        files = store.files()
        shelves = shelf_names(entry.collection for entry in catalog)
        rows = [
            entry
            for entry in catalog
            if (not shelf or entry.collection == shelf)
            and (not query or query in entry.title or query in entry.source or query in entry.volume)
        ]
        total = len(rows)
        rows = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        editable = {source for source, record in files.items() if Path(record.root).resolve() == root}
        # Audio progress of the editors' own texts: a law library beside them is voiced when someone listens,
        # and counting its long texts' sentences would slow the list down.
        progress = audio_progress(services().speech, store, [r.id for r in rows if r.source in editable])
    finally:
        store.close()
    return render_template(
        "editor/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=-(-total // PAGE_SIZE),
        shelf=shelf,
        query=query,
        shelves=shelves,
        editable=editable,
        progress=progress,
        problems=_unpublished(root, files) if not query and not shelf else [],
        speech_problem=services().speech.problem,
    )


UNPUBLISHED_SHOWN = 50


def _unpublished(root: Path, files: dict) -> list[tuple[str, str]]:
    """Files in the editors' folder that the index does not hold, with the reason (usually a format error)."""
    problems = []
    try:
        found = discover([root])
    except ContentError:
        return []
    for file in found:
        if file.source in files:
            continue
        try:
            parse_document(read_source(file, {}))
            reason = "还没有发布"
        except ContentError as exc:
            reason = str(exc)
        problems.append((file.source, reason))
        if len(problems) >= UNPUBLISHED_SHOWN:
            break
    return problems


@bp.post("/publish")
def publish_all():
    """Publish whatever is in the content folders now (e.g. files copied in by hand)."""
    result = publish(services(), parts().vectors)
    _flash_published(result, None)
    return redirect(url_for("editor.index"))


# -- write and edit --------------------------------------------------------------------------------


@bp.get("/new")
def new():
    """An empty form for a new text (the statistics page passes a title that visitors searched for)."""
    form = EditForm(values={"collection": request.args.get("shelf", ""), "title": request.args.get("title", "")[:100]})
    return render_edit(form)


@bp.get("/edit")
def edit():
    """A text's fields and body with a live preview and a play button per paragraph."""
    source = request.args.get("source", "")
    path = _path(source)
    if not path.is_file():
        abort(404)
    try:
        text, digest = read_text(path)
    except ContentError as exc:
        abort(400, description=f"这个文件无法打开：{exc}")
    return render_edit(EditForm.from_text(source, text, digest))


def render_edit(form: EditForm, error: str | None = None, status: int = 200, action: str = ""):
    """The edit page for a form, with the parsed preview (or the parser's reason it cannot be read)."""
    preview, preview_error = None, None
    try:
        preview = form.document(form.source or None)
    except ContentError as exc:
        preview_error = str(exc)
    doc_id = document_id(form.source) if form.source and not form.is_new else None
    published, progress, versions = False, None, 0
    store = services().store()
    try:
        if doc_id and store.document(doc_id) is not None:
            published = True
            progress = audio_progress(services().speech, store, [doc_id]).get(doc_id)
        catalog = store.catalog()
    finally:
        store.close()
    if form.source and not form.is_new:
        with History(_data_root()) as history:
            versions = len(history.versions(form.source))
    volumes = volume_names(e.volume for e in catalog)
    return render_template(
        "editor/edit.html",
        form=form,
        error=error,
        preview=preview,
        preview_error=preview_error,
        doc_id=doc_id,
        published=published,
        progress=progress,
        versions=versions,
        fields=FIELDS,
        suggestions={"collection": shelf_names(e.collection for e in catalog), "volume": volumes},
        action=action or ("新建" if form.is_new else "修改"),
        speech_problem=services().speech.problem,
    ), status


@bp.post("/save")
def save():
    """Check the text with the parser, write it atomically, record the version, publish, queue its audio."""
    form = EditForm.from_request(request.form)
    action = request.form.get("action", "")
    action = action if action in ("新建", "上传", "修改") else ("新建" if form.is_new else "修改")
    try:
        form.source = safe_source(form.source) if form.source else source_for(form.fields())
        text = form.markdown()
        form.document(form.source)
    except ContentError as exc:
        return render_edit(form, error=str(exc), status=400, action=action)
    path = _path(form.source)
    author = g.editor.name
    with publish_lock:
        current = None
        if path.exists():
            if form.is_new:
                return render_edit(
                    form,
                    status=409,
                    action=action,
                    error=(f"已经有一篇文件名是「{form.source}」的文章。请改一下标题或文件名，或者打开那篇去修改。"),
                )
            current, digest = read_text(path)
            if form.base and digest != form.base:
                return render_edit(
                    form,
                    status=409,
                    action=action,
                    error=(
                        "保存前发现：这篇文章在您编辑期间已被别人修改并保存。为了不覆盖对方的修改，这次没有保存。"
                        "请先复制您改的内容，再重新打开这篇文章，把修改补进去。"
                    ),
                )
            if current == text:
                flash("内容没有变化，不需要保存。", "ok")
                return redirect(url_for("editor.edit", source=form.source))
        elif not form.is_new:
            return render_edit(
                form,
                status=409,
                action=action,
                error=("这篇文章已经不在原来的位置了（可能被删除了，可以到回收站恢复）。"),
            )
        with History(_data_root()) as history:
            if current is not None and not history.has_versions(form.source):
                history.record(form.source, current, "（编辑前的原文）", "编辑前")
            write_text(path, text)
            history.record(form.source, text, author, action)
        result = publish(services(), parts().vectors)
    _flash_published(result, form.source, saved=True)
    return redirect(url_for("editor.edit", source=form.source))


def _flash_published(result: Published, source: str | None, saved: bool = False) -> None:
    """One line for the editor: saved and published (with audio queued), or what went wrong."""
    for problem in result.problems:
        flash(("已保存，但" if saved else "") + problem, "error")
    reason = result.skipped_reason(source) if source else None
    if reason:
        flash(f"已保存，但没有发布：{reason}", "error")
    elif result.report is not None:
        report = result.report
        changed = len(report.added) + len(report.updated) + len(report.removed)
        done = "已保存并发布，展示端现在就能搜到。" if saved else f"已发布：{changed} 篇有变化。"
        audio = f"已安排合成 {result.queued} 句语音，完成前收听时会现场合成。" if result.queued else ""
        flash(done + audio, "ok")
        if not saved and report.skipped:
            flash(
                "有 "
                + str(len(report.skipped))
                + " 个文件没有发布："
                + "；".join(f"{s}（{r}）" for s, r in report.skipped[:5]),
                "error",
            )


# -- upload -----------------------------------------------------------------------------------------


@bp.get("/upload")
def upload_form():
    """Choose a Word, PDF or text file and its shelf."""
    return _upload_page(request.args.get("shelf", ""))


def _upload_page(shelf: str, error: str | None = None):
    """The upload form, with the shelf chosen and why the last file was refused."""
    with services().store() as store:
        shelves = shelf_names(e.collection for e in store.catalog())
    return render_template(
        "editor/upload.html", shelves=shelves, limit_mb=MAX_UPLOAD_BYTES // 1024 // 1024, error=error, shelf=shelf
    )


@bp.post("/upload")
def upload():
    """Convert the file and show it in the edit form for review; nothing is saved until the editor saves."""
    upload = request.files.get("file")
    shelf = request.form.get("collection", "").strip()
    volume = request.form.get("volume", "").strip()
    try:
        if upload is None or not upload.filename:
            raise ContentError("请先选择一个文件")
        converted = convert_upload(upload.filename, upload.read())
    except ContentError as exc:
        return _upload_page(shelf, str(exc)), 400
    chosen = {key: value for key, value in (("collection", shelf), ("volume", volume)) if value}  # win over the file
    form = EditForm.from_front_matter(
        {"title": converted.title, **converted.fields, **chosen},
        converted.body,
        notes=[
            f"来自上传的文件「{strip_controls(Path(upload.filename).name)}」：请核对下面的内容，确认无误后点「保存并发布」。",
            *converted.notes,
        ],
    )
    return render_edit(form, action="上传")


# -- delete, trash ---------------------------------------------------------------------------------


@bp.post("/delete")
def delete():
    """Move a text to the trash (it can be restored) and take it off the kiosk."""
    source = request.form.get("source", "")
    path = _path(source)
    if not path.is_file():
        abort(404)
    text, _ = read_text(path)
    try:
        title = EditForm.from_text(source, text).title or source
    except ContentError:
        title = source
    with publish_lock:
        with History(_data_root()) as history:
            history.record(source, text, g.editor.name, "删除")
        with Trash(_data_root()) as trash:
            trash.put(path, source, title, g.editor.name)
        result = publish(services(), parts().vectors)
    for problem in result.problems:
        flash(problem, "error")
    flash(f"「{title}」已移到回收站，展示端不再显示。需要时可以在回收站恢复。", "ok")
    return redirect(url_for("editor.index"))


@bp.get("/trash")
def trash():
    """Deleted texts, newest first, each with a restore button."""
    with Trash(_data_root()) as bin_:
        entries = bin_.entries()
    return render_template("editor/trash.html", entries=entries)


@bp.post("/trash/restore")
def restore_from_trash():
    """Put a deleted text back where it was and publish it again."""
    entry_id = request.form.get("id", type=int)
    with publish_lock:
        try:
            with Trash(_data_root()) as bin_:
                entry = bin_.restore(entry_id or 0, content_root())
        except ContentError as exc:
            flash(str(exc), "error")
            return redirect(url_for("editor.trash"))
        text, _ = read_text(_path(entry.source))
        with History(_data_root()) as history:
            history.record(entry.source, text, g.editor.name, "从回收站恢复")
        result = publish(services(), parts().vectors)
    _flash_published(result, entry.source, saved=True)
    return redirect(url_for("editor.edit", source=entry.source))


# -- history ---------------------------------------------------------------------------------------


@bp.get("/history")
def history():
    """Every saved version of a text, with who saved it and when."""
    source = request.args.get("source", "")
    path = _versioned_path(source)
    with History(_data_root()) as store:
        versions = store.versions(source)
    if not versions and not path.is_file():
        abort(404)
    return render_template("editor/history.html", source=source, versions=versions, exists=path.is_file())


@bp.get("/history/diff")
def diff():
    """A version beside the one before it, or beside the text as it is now (?to=current)."""
    version_id = request.args.get("id", type=int)
    with History(_data_root()) as store:
        version = store.version(version_id or 0)
        if version is None:
            abort(404)
        older = store.previous(version)
    path = _versioned_path(version.source)
    if request.args.get("to") == "current":
        current = read_text(path)[0] if path.is_file() else ""
        old, new, old_label, new_label = version.text, current, f"第 {version.id} 版（{version.when}）", "现在的内容"
    else:
        old = older.text if older else ""
        old_label = f"第 {older.id} 版（{older.when}）" if older else "（之前没有）"
        new, new_label = version.text, f"第 {version.id} 版（{version.when}，{version.action}）"
    table = Markup(diff_table(old, new, old_label, new_label))
    return render_template("editor/diff.html", version=version, table=table, changed=changed_lines(old, new))


@bp.post("/history/restore")
def restore_version():
    """Make an old version the current text again (recorded as a new version, so this can be undone too)."""
    version_id = request.form.get("id", type=int)
    with History(_data_root()) as store:
        version = store.version(version_id or 0)
    if version is None:
        abort(404)
    path = _versioned_path(version.source)
    course = course_id_of(version.source) is not None  # the kiosk reads course files as they are: nothing to build
    with publish_lock:
        with History(_data_root()) as store:
            write_text(path, version.text)
            store.record(version.source, version.text, g.editor.name, "恢复旧版")
        result = None if course else publish(services(), parts().vectors)
    flash(f"已恢复到第 {version.id} 版（{version.when}）。", "ok")
    if result is not None:
        _flash_published(result, version.source, saved=True)
    return redirect(edit_url(version.source))


# -- pronunciations --------------------------------------------------------------------------------


@bp.get("/pronunciations")
def pronunciations():
    """The editors' corrections, an add form, and the bundled ones to search through."""
    query = request.args.get("q", "").strip()
    bundled = dictionary.bundled()
    if query:
        bundled = [e for e in bundled if query in e.term]
    return render_template(
        "editor/pronunciations.html",
        entries=dictionary.entries(_data_root()),
        bundled=bundled[:200],
        bundled_total=len(bundled),
        query=query,
        error=None,
        term=request.args.get("term", ""),
        pinyin=dictionary.default_reading(request.args["term"]) if request.args.get("term") else "",
    )


@bp.post("/pronunciations")
def change_pronunciation():
    """Add (or replace) or remove one entry; the voice uses the new reading at once."""
    term = request.form.get("term", "").strip()
    try:
        if request.form.get("remove"):
            dictionary.remove(_data_root(), term)
            message = f"已删除「{term}」的读音纠正。"
        else:
            entry = dictionary.add(_data_root(), term, request.form.get("pinyin", ""))
            message = f"已保存：「{entry.term}」读作 {entry.pinyin}。"
    except dictionary.PronunciationError as exc:
        return render_template(
            "editor/pronunciations.html",
            entries=dictionary.entries(_data_root()),
            bundled=[],
            bundled_total=0,
            query="",
            error=str(exc),
            term=term,
            pinyin=request.form.get("pinyin", ""),
        ), 400
    services().reload_speech()
    documents, queued = revoice(services(), term)
    if queued:
        flash(message + f"正在为 {documents} 篇含「{term}」的文章重新合成 {queued} 句语音；试听马上用新读音。", "ok")
    else:
        flash(message + "试听和以后合成的语音都用新读音。", "ok")
    return redirect(url_for("editor.pronunciations"))
