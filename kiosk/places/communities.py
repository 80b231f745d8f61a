"""The list of 社区 in editor.db: read, add, rename (its learners follow), remove (refused while learners belong to
it, unless they move to another 社区 of the list), and the one-time seeding from the learners a hub already has."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.errors import KioskError

from ..editor.database import Table
from ..training.learner import learners
from ..training.learner.database import LEARNING_DB, LearningDB
from ..training.learner.learners import LearnerError


class PlaceError(KioskError):
    """A 社区 cannot be added, renamed, removed or signed in from; the message says why, in Chinese."""


@dataclass(frozen=True)
class Community:
    """One 社区 the hub serves, and the 乡镇/街道 it belongs to."""

    town: str
    name: str

    def public(self) -> dict:
        """As /api/communities lists it."""
        return {"town": self.town, "name": self.name}


class Communities(Table):
    """The communities table of editor.db, seeded on first use from learning.db (see the migration)."""

    def __init__(self, data_root: Path):
        super().__init__(data_root)
        self.data_root = Path(data_root)
        if not self.refusal:
            self._seed_once()

    def _seed_once(self) -> None:
        """The (乡镇/街道, 社区) of the hub's learners, added once, when the migration that made the list asks for
        it: a hub that had learners before the list keeps every one of them able to sign in. A 社区 name found
        under two 乡镇/街道 is listed under the first."""
        if self.conn.execute("SELECT 1 FROM communities_unseeded").fetchone() is None:
            return
        units: list[tuple[str, str]] = []
        if (self.data_root / LEARNING_DB).is_file():
            with LearningDB(self.data_root) as db:
                units = learners.units(db)
        with self.immediate():
            if self.conn.execute("DELETE FROM communities_unseeded").rowcount:
                for position, (town, name) in enumerate(units):
                    self.conn.execute(
                        "INSERT OR IGNORE INTO communities (name, town, position) VALUES (?, ?, ?)",
                        (name, town, position),
                    )

    def all(self) -> list[Community]:
        return [
            Community(row["town"], row["name"])
            for row in self.conn.execute("SELECT town, name FROM communities ORDER BY town, position")
        ]

    def get(self, name: str) -> Community | None:
        row = self.conn.execute("SELECT town, name FROM communities WHERE name = ?", (name,)).fetchone()
        return Community(row["town"], row["name"]) if row else None


def _clean(value: object, field: str) -> str:
    """A 乡镇/街道 or 社区 name as stored, by the learners' own rule (so a listed name is one a learner can hold)."""
    try:
        return learners.clean(value, field)
    except LearnerError as exc:
        raise PlaceError(str(exc)) from None


def communities(data_root: Path) -> list[Community]:
    """Every 社区 of the hub, by 乡镇/街道, then in the order they were added."""
    with Communities(data_root) as table:
        return table.all()


def find_community(data_root: Path, name: str) -> Community | None:
    """The listed 社区 of this name (cleaned as stored), or None."""
    try:
        name = _clean(name, "community")
    except PlaceError:
        return None
    with Communities(data_root) as table:
        return table.get(name)


def listed_community(data_root: Path, town: str, name: str) -> Community:
    """The listed 社区 a learner signs in from; PlaceError, naming the list, when it is not on it (or the
    乡镇/街道 sent is not its own; an empty one is taken to be)."""
    if not str(name or "").strip():
        raise PlaceError("请从名单里选您的社区")
    with Communities(data_root) as table:
        community = table.get(_clean(name, "community"))
    if community is None:
        raise PlaceError(f"「{name}」不在物业港的社区名单上。请从名单里选社区；名单里没有的，请培训老师先添加。")
    if str(town or "").strip() and _clean(town, "town") != community.town:
        raise PlaceError(f"「{community.name}」属于{community.town}，不属于「{town}」。请从名单里重新选。")
    return community


def add_community(data_root: Path, town: str, name: str) -> Community:
    """Add a 社区 at the end of its 乡镇/街道; PlaceError for a name already listed (under any 乡镇/街道)."""
    community = Community(_clean(town, "town"), _clean(name, "community"))
    with Communities(data_root) as table, table.immediate():
        _refuse_listed(table, community.name)
        position = table.conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM communities").fetchone()[0]
        table.conn.execute(
            "INSERT INTO communities (name, town, position) VALUES (?, ?, ?)",
            (community.name, community.town, position),
        )
    return community


def rename_community(data_root: Path, name: str, new_name: str, new_town: str | None = None) -> Community:
    """Rename a 社区 (or move it to another 乡镇/街道); its learners follow, so they sign in as before. PlaceError
    for an unknown 社区, a name already listed, or a learner who would meet a namesake there (merge them first)."""
    with Communities(data_root) as table, table.immediate():  # the list's write lock held while learners move
        old = _listed(table, name)
        new = Community(_clean(new_town, "town") if new_town else old.town, _clean(new_name, "community"))
        if new.name != old.name:
            _refuse_listed(table, new.name)
        table.conn.execute("UPDATE communities SET name = ?, town = ? WHERE name = ?", (new.name, new.town, old.name))
        _move_learners(table.data_root, old, new)
    return new


def remove_community(data_root: Path, name: str, move_to: str | None = None) -> int:
    """Take a 社区 off the list; how many learners moved. While learners belong to it, refused unless they move
    to ``move_to``, another listed 社区 (so no learner is left unable to sign in, and none is lost)."""
    with Communities(data_root) as table, table.immediate():
        old = _listed(table, name)
        target = _listed(table, move_to) if move_to else None
        if target == old:
            raise PlaceError("学员要转到另一个社区，不能转到要删除的这个社区")
        size = _size(table.data_root, old)
        if size and target is None:
            raise PlaceError(
                f"「{old.name}」还有 {size} 位学员，不能直接删除。请选一个社区把他们转过去，或者把这个社区改名。"
            )
        table.conn.execute("DELETE FROM communities WHERE name = ?", (old.name,))
        return _move_learners(table.data_root, old, target) if target and size else 0


def _listed(table: Communities, name: object) -> Community:
    found = table.get(_clean(name, "community"))
    if found is None:
        raise PlaceError(f"社区名单上没有「{name}」")
    return found


def _refuse_listed(table: Communities, name: str) -> None:
    found = table.get(name)
    if found is not None:
        raise PlaceError(f"社区名单上已经有「{name}」了（属于{found.town}）")


def _size(data_root: Path, community: Community) -> int:
    """How many learners belong to the 社区."""
    if not (data_root / LEARNING_DB).is_file():
        return 0
    with LearningDB(data_root) as db:
        return learners.community_size(db, community.name)


def _move_learners(data_root: Path, old: Community, new: Community) -> int:
    """Move the learners of one 社区 to another, as learners.move_community does; PlaceError on a namesake there."""
    if not (data_root / LEARNING_DB).is_file():
        return 0
    with LearningDB(data_root) as db:
        try:
            return learners.move_community(db, old.name, new.town, new.name)
        except LearnerError as exc:
            raise PlaceError(str(exc)) from None
