"""A hub's copy of the centre's library on disk: files by hash, one folder per snapshot, and ``current``.

``library/objects/`` holds every file by SHA-256 (written whole or not at all); ``library/snapshots/<serial>/`` is
a snapshot's tree of hard links to them; ``library/current`` is a symlink to the one being served, replaced in
one rename. Until that rename the previous snapshot serves, whatever happened to the sync before it.
"""

from __future__ import annotations

import errno
import os
import shutil
from contextlib import suppress
from pathlib import Path

from indexer.atomic import fsync_folder, write_atomic
from indexer.datadir import DataDir
from indexer.speech.engines import LIBRARY_PRONUNCIATIONS

from .manifest import Manifest, ManifestError, parse

MANIFEST_NAME = "_manifest.json"  # in a snapshot's folder; not content (the loader skips names starting with _)
KEPT_SNAPSHOTS = 2  # the current one and the one before


class LocalLibrary:
    def __init__(self, data: DataDir):
        self.folder = data.library
        self.current_link = data.library_current
        self.objects = self.folder / "objects"
        self.snapshots = self.folder / "snapshots"
        self.incoming = self.folder / "incoming"  # partial downloads, resumed by the next sync

    def object_path(self, sha: str) -> Path:
        return self.objects / sha[:2] / sha

    def has(self, sha: str) -> bool:
        return self.object_path(sha).is_file()

    def read(self, sha: str) -> bytes:
        return self.object_path(sha).read_bytes()

    def partial(self, sha: str) -> Path:
        self.incoming.mkdir(parents=True, exist_ok=True)
        return self.incoming / f"{sha}.part"

    def keep(self, sha: str, checked: Path) -> None:
        """Move a downloaded file whose hash was checked into the objects (on disk before it is named)."""
        target = self.object_path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(checked, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(checked, target)

    def current(self) -> Manifest | None:
        """The manifest of the snapshot being served; None before the first sync."""
        try:
            return parse((self.current_link / MANIFEST_NAME).read_bytes())
        except (OSError, ManifestError):
            return None

    def switch(self, manifest: Manifest, signed: bytes) -> None:
        """Make the snapshot's folder from objects already here, then serve it: one rename."""
        folder = self.snapshots / str(manifest.serial)
        if not (folder / MANIFEST_NAME).is_file():
            building = self.snapshots / f".{manifest.serial}.building"
            shutil.rmtree(building, ignore_errors=True)
            for text in manifest.texts:
                _link(self.object_path(text.sha256), building / text.path)
            if manifest.pronunciations:
                _link(self.object_path(manifest.pronunciations.sha256), building / LIBRARY_PRONUNCIATIONS)
            write_atomic(building / MANIFEST_NAME, signed)
            os.replace(building, folder)
            fsync_folder(self.snapshots)
        link = self.folder / "current.new"
        link.unlink(missing_ok=True)
        os.symlink(Path("snapshots") / str(manifest.serial), link)
        os.replace(link, self.current_link)
        fsync_folder(self.folder)

    def prune(self) -> int:
        """Delete snapshots but the newest two and objects neither names; returns bytes freed."""
        if not self.snapshots.is_dir():
            return 0
        current = os.readlink(self.current_link) if self.current_link.is_symlink() else ""
        folders = sorted(
            (p for p in self.snapshots.iterdir() if p.name.isascii() and p.name.isdigit()), key=lambda p: int(p.name)
        )
        kept = folders[-KEPT_SNAPSHOTS:] + [p for p in folders if Path(current).name == p.name]
        wanted: set[str] = set()
        for folder in folders:
            if folder in kept:
                with suppress(OSError, ManifestError):
                    wanted |= {blob.sha256 for blob in parse((folder / MANIFEST_NAME).read_bytes()).blobs()}
            else:
                shutil.rmtree(folder, ignore_errors=True)
        freed = 0
        for path in self.objects.glob("??/*") if self.objects.is_dir() else []:
            if path.name not in wanted:
                freed += path.stat().st_size
                path.unlink()
        return freed


def _link(source: Path, target: Path) -> None:
    """A hard link (no copy, and the same mtime for an unchanged text, so the index sees it unchanged)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(source, target)
