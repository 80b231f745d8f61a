"""Incremental index build: re-index only files whose content changed, drop deleted ones, report the rest."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.index import FileIndex, LockError
from whoosh.writing import CLEAR

from indexer.atomic import write_atomic
from indexer.content.documents import Document
from indexer.content.loader import ContentFile, discover, load_metadata, read_source
from indexer.content.parse import document_id, parse_document
from indexer.search.analysis import synonyms
from indexer.search.input_words import write_input_words
from indexer.search.pinyin_keys import shortened, syllables, title_keys
from indexer.search.schema import BrokenIndex, abandon, create_index, has_index, make_schema, open_checked
from indexer.search.vectors import passage_text, text_digest

from .database import DatabaseError
from .datadir import DataDir
from .errors import ContentError, SearchError, disk_problem
from .store import FileRecord, Store

Progress = Callable[[int, int, str], None]
# Bump when what goes into the index for the same file changes: the next build then re-indexes everything.
INDEX_FORMAT = "4"
FORMAT_FILE = "format"
REPLACED = {"damaged": "已损坏", "newer": "是更新版本的 kiosk 写的"}  # kiosk.db a full build replaces, and why


@dataclass
class BuildReport:
    """What a build did, for the summary line and the exit code."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    changed_docs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.skipped


def build_index(data: DataDir, roots: list[Path], full: bool = False, progress: Progress | None = None) -> BuildReport:
    """Bring the index and document store in line with the content roots. Cut short at any moment (a power cut),
    it leaves the last complete index and store in use, and the next build finishes the job."""
    started = time.monotonic()
    report = BuildReport()
    files = discover(roots)
    metadata = {}
    for root in roots:
        metadata.update(load_metadata(root))
    opened = _readable_index(data, report)
    full = full or opened is None or _index_format(data) != INDEX_FORMAT
    store = _open_store(data, full, report)
    try:
        if full:
            store.conn.execute("DELETE FROM files")
            store.conn.execute("DELETE FROM documents")
        known = store.files()
        changed = _changed_files(files, known, store, report)
        present = {f.source for f in files}
        removed = [record for source, record in known.items() if source not in present]
        if not (full or changed or removed):
            if opened is not None and not data.input_words.exists():  # an index built before there were any
                _write_input_words(data, opened, store, report)
            store.commit()
            report.seconds = time.monotonic() - started
            return report  # nothing to write: no new index segment, the kiosk's warm searcher stays valid
        try:
            if opened is None:
                ix = create_index(data.index)
            elif full:
                # Written into the index it replaces, whose old segments go in the same commit (CLEAR): until then,
                # and if the build is cut short, the kiosk keeps searching the old index.
                ix = open_checked(data.index, make_schema())
            else:
                ix = opened
            writer = ix.writer(timeout=5.0)
        except LockError:
            raise SearchError("另一个建库任务正在进行，请等它完成后再试") from None
        except OSError as exc:
            raise SearchError(_not_written(data, exc)) from None
        try:
            for record in removed:
                writer.delete_by_term("doc", record.doc_id)
                store.remove(record.source, record.doc_id)
                report.removed.append(record.source)
            titles: dict[tuple[str, str, str], str] = {}
            for done, (file, record) in enumerate(changed, 1):
                if progress:
                    progress(done, len(changed), file.source)
                try:
                    doc = parse_document(read_source(file, metadata))
                except ContentError as exc:
                    report.skipped.append((file.source, str(exc)))
                    continue
                _warn_duplicate_title(doc, titles, report)
                if not full:
                    writer.delete_by_term("doc", doc.id)
                _add_document(writer, doc)
                store.save(record, doc)
                (report.updated if file.source in known else report.added).append(file.source)
                report.changed_docs.append(doc.id)
            _add_terms(writer, full)
            writer.commit(mergetype=CLEAR if full else None)
            _sync(data.index)  # on disk before the store says so: a power cut cannot undo one and not the other
        except BaseException as exc:
            abandon(writer, ix)
            if isinstance(exc, OSError):
                raise SearchError(_not_written(data, exc)) from None
            raise
        store.commit()
        try:
            write_atomic(data.index / FORMAT_FILE, INDEX_FORMAT.encode("ascii"))
        except OSError as exc:
            raise SearchError(_not_written(data, exc)) from None
        _write_input_words(data, ix, store, report)
    finally:
        store.close()
    report.seconds = time.monotonic() - started
    return report


def _readable_index(data: DataDir, report: BuildReport) -> FileIndex | None:
    """The index as it is; None when there is none, or when its files do not open (then it is rebuilt whole)."""
    if not has_index(data.index):
        return None
    try:
        return open_checked(data.index)
    except BrokenIndex:
        report.warnings.append(("检索库", "文件已损坏（可能是断电留下的），已全部重建"))
        return None


def _open_store(data: DataDir, full: bool, report: BuildReport) -> Store:
    """kiosk.db; a full build replaces a damaged one, or one a newer kiosk wrote, with a new file, as everything in
    it is rebuilt anyway."""
    store = None
    try:
        store = Store(data.database)
        if full:
            store.check()
        return store
    except DatabaseError as exc:
        if store is not None:
            store.close()
        if not (full and exc.kind in REPLACED):
            raise
        replaced = REPLACED[exc.kind]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{data.database}{suffix}").unlink(missing_ok=True)
    report.warnings.append((data.database.name, f"{replaced}，已换成新的文件并全部重建"))
    return Store(data.database)


def _write_input_words(data: DataDir, ix: FileIndex, store: Store, report: BuildReport) -> None:
    """The keyboard's pinyin candidates from the library as it is now indexed; not written, they are a warning
    (the keyboard offers the last ones), never a failed build."""
    reader = ix.reader()
    try:
        write_input_words(data, reader, [entry.title for entry in store.catalog()], store.tags())
    except OSError as exc:
        report.warnings.append((data.input_words.name, f"拼音候选词没有更新：{disk_problem(exc)}"))
    finally:
        reader.close()


def _not_written(data: DataDir, exc: OSError) -> str:
    return (
        f"检索库没有更新：{disk_problem(exc)}（{data.index}）。处理好后再运行 kiosk build；在这之前照旧检索原来的内容"
    )


def _sync(folder: Path) -> None:
    """Flush the index's files and its folder entry to the disk."""
    for path in [*(p for p in folder.iterdir() if p.is_file()), folder]:
        handle = os.open(path, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _index_format(data: DataDir) -> str | None:
    """The format the index in the data dir was written in; None for none, or one from before formats were kept."""
    try:
        return (data.index / FORMAT_FILE).read_text(encoding="ascii").strip()
    except OSError:
        return None


def _changed_files(
    files: list[ContentFile], known: dict[str, FileRecord], store: Store, report: BuildReport
) -> list[tuple[ContentFile, FileRecord]]:
    """Files whose bytes differ from what was indexed; a changed mtime alone only updates the record."""
    changed = []
    for file in files:
        try:
            stat = file.path.stat()
            old = known.get(file.source)
            if old and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns:
                report.unchanged += 1
                continue
            digest = hashlib.sha1(file.path.read_bytes()).hexdigest()
        except OSError as exc:
            report.skipped.append((file.source, f"无法读取：{exc.strerror}"))
            continue
        record = FileRecord(
            file.source, str(file.root), stat.st_size, stat.st_mtime_ns, digest, document_id(file.source)
        )
        if old and old.hash == digest:
            store.touch(record)
            report.unchanged += 1
        else:
            changed.append((file, record))
    return changed


def _warn_duplicate_title(doc: Document, seen: dict[tuple[str, str, str], str], report: BuildReport) -> None:
    key = (doc.title, doc.collection, doc.effective)
    if key in seen:
        report.warnings.append((doc.source, f"与 {seen[key]} 标题相同"))
    else:
        seen[key] = doc.source


def _add_document(writer, doc: Document) -> None:
    """One record per readable passage, and one for the title's pinyin."""
    writer.add_document(
        id=f"{doc.id}:doc",
        doc=doc.id,
        kind="doc",
        collection=doc.collection,
        status=doc.status,
        pinyin=" ".join(title_keys(doc.title)),
    )
    for passage in doc.passages:
        if passage.kind == "heading":
            continue
        writer.add_document(
            id=f"{doc.id}:{passage.id}",
            doc=doc.id,
            kind="passage",
            title=doc.title,
            headings=" ".join(passage.headings),
            body=passage.text,
            collection=doc.collection,
            status=doc.status,
            article=passage.article,
            article_no=passage.article_no,
            embedded=text_digest(passage_text(doc.title, " ".join(passage.headings), passage.text)),
        )


def _add_terms(writer, full: bool) -> None:
    """Key terms findable by pinyin initials or full pinyin: wyf → 物业费, tsd → 停水停电."""
    if not full:
        writer.delete_by_term("kind", "term")
    terms = {t for word, targets in synonyms().items() for t in (word, *targets) if len(t) > 1}
    for term in sorted(terms):
        parts = syllables(term)
        if parts:
            keys = {"".join(p[0] for p in parts), "".join(parts)}
            short = shortened(term, parts)
            if short:  # 停水停电 also as people shorten it: 停水电, tsd
                keys |= {"".join(p[0] for p in short), "".join(short)}
            writer.add_document(id=f"term:{term}", doc="term", kind="term", term=term, pinyin=" ".join(sorted(keys)))
