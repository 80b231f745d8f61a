"""Every saved version of every text the editor wrote, with side-by-side differences and restore."""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass

from .database import Table

ACTIONS = ("编辑前", "新建", "上传", "修改", "删除", "从回收站恢复", "恢复旧版")


@dataclass(frozen=True)
class Version:
    """One saved text of a document."""

    id: int
    source: str
    saved_at: float
    author: str
    action: str
    text: str

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))


class History(Table):
    """Versions in the editor's database, newest last."""

    def record(self, source: str, text: str, author: str, action: str) -> int:
        """Store a version and return its number."""
        with self.conn:
            return self.insert(
                "INSERT INTO versions (source, saved_at, author, action, text) VALUES (?, ?, ?, ?, ?)",
                (source, time.time(), author, action, text),
            )

    def versions(self, source: str) -> list[Version]:
        """All versions of a document, newest first."""
        rows = self.conn.execute("SELECT * FROM versions WHERE source = ? ORDER BY id DESC", (source,))
        return [Version(**row) for row in rows]

    def sources(self, prefix: str) -> list[str]:
        """Every file with versions whose name starts with ``prefix`` (the course files: "_courses/")."""
        rows = self.conn.execute(
            "SELECT DISTINCT source FROM versions WHERE substr(source, 1, ?) = ? ORDER BY source", (len(prefix), prefix)
        )
        return [row["source"] for row in rows]

    def has_versions(self, source: str) -> bool:
        return self.conn.execute("SELECT 1 FROM versions WHERE source = ? LIMIT 1", (source,)).fetchone() is not None

    def version(self, version_id: int) -> Version | None:
        row = self.conn.execute("SELECT * FROM versions WHERE id = ?", (version_id,)).fetchone()
        return Version(**row) if row else None

    def previous(self, version: Version) -> Version | None:
        """The version of the same document saved just before this one."""
        row = self.conn.execute(
            "SELECT * FROM versions WHERE source = ? AND id < ? ORDER BY id DESC LIMIT 1", (version.source, version.id)
        ).fetchone()
        return Version(**row) if row else None


def diff_table(old: str, new: str, old_label: str, new_label: str) -> str:
    """An HTML table showing the two texts side by side, changed lines highlighted (difflib escapes the text)."""
    differ = difflib.HtmlDiff(tabsize=2, wrapcolumn=34)  # ~34 hanzi fit in half of an editor's screen
    return differ.make_table(old.splitlines(), new.splitlines(), old_label, new_label, context=True, numlines=2)


def changed_lines(old: str, new: str) -> int:
    """How many lines differ, for the one-line summary above a difference table."""
    return sum(1 for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line[:1] in "+-")
