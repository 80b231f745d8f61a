"""Bulk import from the editor: a folder on the kiosk PC (a USB stick, the law library) copied in and indexed in
the background, with progress the page polls."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask import flash, g, jsonify, redirect, render_template, request, url_for

from indexer.build import build_index
from indexer.content.importing import import_folder
from indexer.errors import ContentError, KioskError

from ..services import Services
from . import bp, parts
from .files import content_root
from .guard import admin_only
from .publish import VectorFollower, publish_lock

MOUNT_POINTS = (Path("/media"), Path("/mnt"), Path("/run/media"))
FAILURES_SHOWN = 20
log = logging.getLogger("kiosk.editor")


@dataclass
class ImportJob:
    """One import's state, as the page shows it."""

    source: str = ""
    folder: str = ""
    by: str = ""
    stage: str = "idle"  # idle | copying | indexing | done | failed
    done: int = 0
    total: int = 0
    current: str = ""
    started: float = 0.0
    finished: float = 0.0
    summary: str = ""
    failures: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.stage in ("copying", "indexing")

    def step(self, stage: str, done: int, total: int, current: str) -> None:
        self.stage, self.done, self.total, self.current = stage, done, total, current

    def to_dict(self) -> dict:
        elapsed = (self.finished or time.time()) - self.started if self.started else 0.0
        return {**asdict(self), "running": self.running, "elapsed": round(elapsed, 1)}


class Importer:
    """At most one import at a time per server; the build itself is also locked against other builds."""

    def __init__(self, services: Services, vectors: VectorFollower) -> None:
        self.services = services
        self.vectors = vectors
        self.job = ImportJob()
        self._lock = threading.Lock()

    def start(self, source: Path, folder: str | None, by: str) -> None:
        with self._lock:
            if self.job.running:
                raise ContentError(f"已经在导入「{self.job.source}」，请等它完成")
            self.job = ImportJob(
                source=str(source), folder=folder or source.name, by=by, stage="copying", started=time.time()
            )
        threading.Thread(
            target=self._run, args=(self.job, source, folder), daemon=True, name="kiosk-editor-import"
        ).start()

    def _run(self, job: ImportJob, source: Path, folder: str | None) -> None:
        kiosk = self.services
        try:
            root = Path(kiosk.settings.content[0])
            copied = import_folder(
                source, root, folder, progress=lambda done, total, name: job.step("copying", done, total, name)
            )
            job.folder = copied.folder
            job.failures = [f"{name}：{reason}" for name, reason in copied.failed]
            job.step("indexing", 0, 0, "")
            with publish_lock:
                built = build_index(
                    kiosk.data,
                    kiosk.settings.roots(),
                    progress=lambda done, total, name: job.step("indexing", done, total, name),
                )
            job.failures += [f"{name}：{reason}" for name, reason in built.skipped]
            self.vectors.follow()
            job.summary = (
                f"复制 {len(copied.copied)} 个，转换 {len(copied.converted)} 个，"
                f"未变 {copied.unchanged} 个，忽略 {len(copied.ignored)} 个；"
                f"检索库新增 {len(built.added)} 篇，更新 {len(built.updated)} 篇。语音在收听时合成。"
            )
            job.stage = "done"
        except KioskError as exc:
            job.summary, job.stage = f"导入没有完成：{exc}", "failed"
        except Exception:  # a thread has no error page: say so on the import page and in the log
            log.exception("editor import failed")
            job.summary, job.stage = "导入时出了意外的错误，已导入的文件保留，可以再导入一次继续。", "failed"
        finally:
            job.finished = time.time()


def importer() -> Importer:
    return parts().importer


def _suggested_folders() -> list[Path]:
    """Folders on plugged-in drives, so the admin can pick instead of typing a path."""
    found = []
    for mount in MOUNT_POINTS:
        drives = _folders_in(mount)  # /media/<drive>, and /media/<user>/<drive> on desktops
        found += drives + [folder for drive in drives for folder in _folders_in(drive)]
    return found[:30]


def _folders_in(folder: Path) -> list[Path]:
    """Sub-folders in name order; none for a folder that is missing or not readable."""
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:
        return []


@bp.get("/import")
@admin_only
def import_page():
    """Choose a folder on this PC to import, and watch the import that is running."""
    return render_template(
        "editor/import.html",
        job=importer().job,
        suggestions=_suggested_folders(),
        root=content_root(),
        error=None,
        source="",
        folder="",
    )


@bp.post("/import")
@admin_only
def start_import():
    """Check the folder and start copying it in the background."""
    source_text = request.form.get("source", "").strip()
    folder = request.form.get("folder", "").strip() or None
    source = Path(source_text).expanduser()
    error = None
    if not source_text:
        error = "请填写要导入的文件夹在这台电脑上的位置"
    elif not source.is_absolute():
        error = "请填写完整的位置，以 / 开头，例如 /media/u盘/法规库"
    elif not source.is_dir():
        error = f"这台电脑上没有文件夹「{source}」；U 盘插好了吗？"
    else:
        try:
            importer().start(source.resolve(), folder, g.editor.name)
        except ContentError as exc:
            error = str(exc)
    if error:
        return render_template(
            "editor/import.html",
            job=importer().job,
            suggestions=_suggested_folders(),
            root=content_root(),
            error=error,
            source=source_text,
            folder=folder or "",
        ), 400
    flash(f"开始导入「{source}」，可以离开这个页面，导入会继续。", "ok")
    return redirect(url_for("editor.import_page"))


@bp.get("/api/import")
@admin_only
def import_progress():
    """The running or last import, for the page to show progress."""
    job = importer().job.to_dict()
    job["failures"] = job["failures"][:FAILURES_SHOWN]
    return jsonify(ok=True, job=job)
