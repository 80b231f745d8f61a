"""Files written whole or not at all: a reader, or the kiosk after a power cut, sees the old file or the new one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, sync_folder: bool = True) -> None:
    """Temp file in the same folder, fsync, then rename (and fsync the folder, so the rename survives a power cut
    too; the audio cache skips that per sentence, as a lost rename there only means rendering it again)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    if sync_folder:
        fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power cut; a filesystem that cannot sync folders (FAT on a USB stick)
    is left as it is, the new file being in place already."""
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
