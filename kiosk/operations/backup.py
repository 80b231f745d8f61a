"""Backups of what a hub cannot rebuild, as one verified archive, and bringing a hub back from one.

The archive (.tar.gz) holds ``data/`` (the editor's and the usage counts' SQLite files, copied through SQLite's
backup API, the pronunciations, the secret key, the settings file and the trash), ``content/`` (every text of the
first content root) and ``manifest.json`` (format, version, when, which hub, and each file's size and sha256).
The index, audio cache, vectors and prepared models are left out: `kiosk build` makes them again.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import IO

from indexer.atomic import fsync_folder
from indexer.content.loader import CONTENT_SUFFIXES, METADATA_FILE
from indexer.errors import KioskError, disk_problem, newer_schema
from indexer.speech.engines import USER_PRONUNCIATIONS

from ..city.database import CITY_DB, CityDB
from ..desk.database import DESK_DB, DeskDB
from ..editor.database import EDITOR_DB, Table
from ..editor.secret import SECRET_FILE
from ..hubs.keys import KEY_FILE as HUB_KEY_FILE
from ..library.keys import KEY_FILE
from ..market.database import MARKET_DB, MarketDB
from ..market.photos import PHOTO_FILE, PHOTOS
from ..settings import BUNDLED_CONTENT
from ..training.learner.database import LEARNING_DB, LearningDB
from ..visitors.usage import USAGE_DB, Usage

FORMAT = "suiting-kiosk-backup"
VERSION = 1
MANIFEST = "manifest.json"
SETTINGS_FILE = "kiosk.env"  # the KIOSK_* settings the systemd units read (deploy/kiosk.env.example)
# Each file with the class that owns its schema; CITY_DB: hubs' reports, on a centre only; DESK_DB: the desk's requests;
# MARKET_DB: the 物业超市's company file, assessments and ratings.
DATABASES = {
    EDITOR_DB: Table,
    USAGE_DB: Usage,
    LEARNING_DB: LearningDB,
    CITY_DB: CityDB,
    DESK_DB: DeskDB,
    MARKET_DB: MarketDB,
}
# KEY_FILE: a centre's, that hubs trust; HUB_KEY_FILE: a hub's, that the centre enrolled
PLAIN_FILES = (USER_PRONUNCIATIONS, SECRET_FILE, SETTINGS_FILE, KEY_FILE, HUB_KEY_FILE)
SECRETS = {SECRET_FILE, KEY_FILE, HUB_KEY_FILE}
TRASH = "trash"
DEFAULT_FOLDER = "backups"  # in the data dir when no path is given
NOT_DATA = {DEFAULT_FOLDER, "lost+found", ".write-test"}  # what may be in a data dir that is still "empty"
SUFFIX = ".tar.gz"
ARCHIVE_NAME = re.compile(r"^kiosk-backup-(\d{8}-\d{6})(?:-(\d+))?\.tar\.gz$")
PART_PREFIX = ".kiosk-backup-"
STALE_PART_SECONDS = 24 * 3600  # a half-written archive, or a restore's staging folder, left by a power cut
STAGING_PREFIX = ".restore-"
TRASH_ENTRY = re.compile(r"^\d+\.md$")
# the data dir's folders whose files are kept: the deleted texts, and the 形象墙's photos
FOLDERS = {TRASH: TRASH_ENTRY, PHOTOS: PHOTO_FILE}
CHUNK = 1 << 20
# What a restore accepts, read from each member's header before a byte of it is read. A text is far below what the
# editor (20 MB requests) or the importer (10 MB) can save; a hub's databases after years stay in the tens of MB.
MAX_TEXT_BYTES = 32 * 1024**2
MAX_DATA_FILE_BYTES = 1024**3
MAX_TOTAL_BYTES = 2 * 1024**3
MAX_MANIFEST_BYTES = 16 * 1024**2  # ~100,000 files listed


class BackupError(KioskError):
    """A backup that could not be written, or an archive that will not be restored; the message says why."""


@dataclass(frozen=True)
class Made:
    """A written archive: where, how many files and bytes went in, and the older archives pruned."""

    path: Path
    files: int
    size: int
    pruned: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Restored:
    """What a restore wrote: data files, texts, and the hub and time the archive came from."""

    data_files: int
    texts: int
    host: str
    created: str


# -- backup ----------------------------------------------------------------------------------------


def backup(data_root: Path, content_root: Path, target: Path | None = None, keep: int | None = None) -> Made:
    """Write one archive into ``target`` (a folder, or a file name ending in .tar.gz; default <data>/backups),
    then keep only the newest ``keep`` archives in that folder."""
    data_root, content_root = Path(data_root).expanduser().resolve(), Path(content_root).expanduser().resolve()
    if not data_root.is_dir():
        raise BackupError(f"数据目录不存在：{data_root}；用 --data 或 KIOSK_DATA 指定")
    if not content_root.is_dir():
        raise BackupError(f"内容目录不存在：{content_root}；检查 KIOSK_CONTENT")
    folder, path = _destination(data_root, target)
    _remove_stale(folder, PART_PREFIX)
    files: list[dict] = []
    fd, temp = tempfile.mkstemp(dir=folder, prefix=PART_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                for name, data, mode in _members(data_root, content_root, folder):
                    files.append({"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
                    _add(tar, name, data, mode)
                manifest = {
                    "format": FORMAT,
                    "version": VERSION,
                    "created": datetime.now().astimezone().isoformat(timespec="seconds"),
                    "host": socket.gethostname(),
                    "kiosk": _kiosk_version(),
                    "content_root": str(content_root),
                    "bundled_content": content_root == BUNDLED_CONTENT.resolve(),
                    "files": files,
                }
                _add(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"), 0o644)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_folder(folder)
    pruned = prune(folder, keep, path) if keep else []
    return Made(path, len(files), path.stat().st_size, pruned)


def _destination(data_root: Path, target: Path | None) -> tuple[Path, Path]:
    """The folder and the new archive's path: a dated name inside a folder, or the file name given."""
    if target is None:
        folder = data_root / DEFAULT_FOLDER
    elif target.is_dir() or not target.name.endswith(SUFFIX):
        folder = target
    else:
        folder, name = target.parent, target.name
        if not folder.is_dir():
            raise BackupError(f"备份要写入的文件夹不存在：{folder}（U 盘插好了吗？）")
        return folder.resolve(), folder.resolve() / name
    try:
        folder.mkdir(exist_ok=True)  # not its parents: a USB stick that is not plugged in must not become a folder
    except FileNotFoundError:
        raise BackupError(f"备份要写入的文件夹 {folder.parent} 不存在（U 盘插好了吗？）") from None
    except OSError as exc:
        raise BackupError(f"无法创建备份文件夹 {folder}（{exc.strerror}）") from None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, number = folder / f"kiosk-backup-{stamp}{SUFFIX}", 1
    while path.exists():
        number += 1
        path = folder / f"kiosk-backup-{stamp}-{number}{SUFFIX}"
    return folder.resolve(), path.resolve()


def _members(data_root: Path, content_root: Path, folder: Path):
    """(archive name, bytes, mode) of everything to keep, read once each so the manifest matches the archive."""
    for name in DATABASES:
        if (data_root / name).is_file():
            yield f"data/{name}", _snapshot(data_root / name, folder), 0o644
    for name in PLAIN_FILES:
        if (data_root / name).is_file():
            yield f"data/{name}", (data_root / name).read_bytes(), 0o600 if name in SECRETS else 0o644
    for kept, entry in FOLDERS.items():
        if (data_root / kept).is_dir():
            for path in sorted((data_root / kept).iterdir()):
                if entry.match(path.name) and path.is_file():
                    yield f"data/{kept}/{path.name}", path.read_bytes(), 0o644
    for path in _texts(content_root):
        yield f"content/{path.relative_to(content_root).as_posix()}", path.read_bytes(), 0o644


def _texts(root: Path) -> list[Path]:
    """The text files and metadata.json under a content root; hidden files (temp files, .git) are not texts."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(folder) / name
            if (
                not name.startswith(".")
                and (Path(name).suffix.lower() in CONTENT_SUFFIXES or name == METADATA_FILE)
                and path.is_file()
            ):
                found.append(path)
    return found


def _snapshot(path: Path, folder: Path) -> bytes:
    """A consistent copy of a live SQLite file through its backup API (a writer may be busy), checked, as one
    self-contained file without a -wal beside it."""
    fd, temp = tempfile.mkstemp(dir=folder, prefix=PART_PREFIX, suffix=".db")
    os.close(fd)
    try:
        try:
            source = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=30)
            copy = sqlite3.connect(temp)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
                check = [" ".join(row[0].split()) for row in copy.execute("PRAGMA quick_check")]
            finally:
                copy.close()
                source.close()
        except sqlite3.OperationalError as exc:  # cannot open or read it: permissions, a read-only disk
            raise BackupError(f"无法读取 {path}（{exc}），没有写备份；运行 kiosk doctor 查看怎么处理") from None
        except sqlite3.DatabaseError as exc:
            check = [str(exc)]
        if check != ["ok"]:
            raise BackupError(f"{path} 已损坏（{check[0]}），没有写备份；运行 kiosk doctor 查看怎么处理")
        return Path(temp).read_bytes()
    finally:
        Path(temp).unlink(missing_ok=True)


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _kiosk_version() -> str:
    try:
        return metadata.version("suiting-kiosk")
    except metadata.PackageNotFoundError:
        return ""


def _remove_stale(folder: Path, prefix: str) -> None:
    """Remove what an interrupted backup or restore left in ``folder`` (files or folders named ``prefix``…) once
    a day old: a run still writing its own is never that old."""
    for part in folder.glob(prefix + "*"):
        try:
            if time.time() - part.stat().st_mtime > STALE_PART_SECONDS:
                shutil.rmtree(part) if part.is_dir() else part.unlink()
        except OSError:
            pass


def prune(folder: Path, keep: int, newest: Path | None = None) -> list[Path]:
    """Delete all but the last ``keep`` archives in ``folder`` (by the date in their names), never ``newest``;
    other files are left alone."""
    dated = []
    for path in folder.iterdir():
        match = ARCHIVE_NAME.match(path.name)
        if match and path.is_file():
            dated.append(((match.group(1), int(match.group(2) or 1)), path))
    dated.sort()
    old = [path for _, path in dated[:-keep] if path != newest] if len(dated) > keep else []
    for path in old:
        path.unlink(missing_ok=True)
    return old


# -- restore ---------------------------------------------------------------------------------------


def restore(archive: Path, data_root: Path, content_root: Path, force: bool = False) -> Restored:
    """Bring a hub back from an archive: refused, with nothing touched, when the data dir is in use (unless
    ``force``) or the archive is damaged; texts are written into ``content_root``, none are deleted there."""
    archive = Path(archive).expanduser()
    data_root, content_root = Path(data_root).expanduser().resolve(), Path(content_root).expanduser().resolve()
    if not archive.is_file():
        raise BackupError(f"找不到备份文件：{archive}")
    in_use = sorted(p.name for p in data_root.iterdir() if p.name not in NOT_DATA) if data_root.is_dir() else []
    if in_use and not force:
        raise BackupError(
            f"数据目录 {data_root} 不是空的（已有 {'、'.join(in_use[:4])}）；"
            "确认要用备份覆盖其中的账号、历史和统计时加 --force"
        )
    header = verify(archive)
    listed = {entry["path"]: entry for entry in header["files"]}
    staging: list[Path] = []  # one hidden folder in each root, on its file system, so the last step is renames
    try:
        data_root.mkdir(parents=True, exist_ok=True)
        _check_room(listed, data_root, content_root)
        staged = _stage(archive, listed, data_root, content_root, staging)
        databases = {
            destination
            for _, destination in staged
            if destination.parent == data_root and destination.name in DATABASES
        }
        for temp, destination in staged:
            _check_destination(destination)
            if destination in databases:
                _refuse_newer(temp, destination.name)
        # Everything is read, written and checked: only now is anything in the data dir or content root replaced.
        for temp, destination in staged:
            destination.parent.mkdir(parents=True, exist_ok=True)
            _put_in_place(temp, destination, is_database=destination in databases)
        _clear_trash(data_root, {d.name for _, d in staged if d.parent == data_root / TRASH})
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(f"备份文件读取出错（{exc}），恢复没有完成；请重新恢复") from None
    except OSError as exc:
        raise BackupError(f"恢复时写入失败：{exc.filename or ''}（{disk_problem(exc)}），恢复没有完成") from None
    finally:
        for folder in staging:
            shutil.rmtree(folder, ignore_errors=True)
    texts = sum(1 for name in listed if name.startswith("content/"))
    return Restored(len(listed) - texts, texts, header.get("host", ""), header.get("created", ""))


def _check_room(listed: dict[str, dict], data_root: Path, content_root: Path) -> None:
    """BackupError, before anything is written, when a root's disk cannot hold what goes there."""
    for root, prefix in ((data_root, "data/"), (content_root, "content/")):
        needed = sum(entry["size"] for name, entry in listed.items() if name.startswith(prefix))
        free = shutil.disk_usage(root).free if root.is_dir() else None
        if free is not None and needed > free:
            raise BackupError(
                f"{root} 所在的磁盘只剩 {free // 1024**2} MB，恢复要 {needed // 1024**2} MB；没有改动任何文件"
            )


def _stage(
    archive: Path, listed: dict[str, dict], data_root: Path, content_root: Path, staging: list[Path]
) -> list[tuple[Path, Path]]:
    """Every file of the archive written into a hidden folder of its root and checked again (the archive is read
    a second time); (staged file, destination) pairs, nothing in place yet."""
    folders: dict[Path, Path] = {}
    staged: list[tuple[Path, Path]] = []
    with _open(archive) as tar:
        for member in tar:
            name = _checked_name(member)
            if name == MANIFEST:
                continue
            if name not in listed or member.size != listed[name]["size"]:
                raise BackupError(f"备份文件在恢复时变了：{name} 与清单不符；请重新恢复")
            root = data_root if name.startswith("data/") else content_root
            if root not in folders:
                root.mkdir(parents=True, exist_ok=True)
                _remove_stale(root, STAGING_PREFIX)
                folders[root] = Path(tempfile.mkdtemp(dir=root, prefix=STAGING_PREFIX))
                staging.append(folders[root])
            temp = folders[root] / str(len(staged))
            with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:  # secrets too
                _copy_checked(tar, member, listed[name], out)
            staged.append((temp, root / name.partition("/")[2]))
    return staged


def _check_destination(destination: Path) -> None:
    """BackupError when a restored file cannot go where it belongs: a folder in its place, or a file in the place
    of one of its folders."""
    blocker = destination if destination.is_dir() else None
    for folder in destination.parents:
        if folder.is_dir() or blocker:
            break
        if folder.exists():
            blocker = folder
    if blocker:
        raise BackupError(f"{blocker} 挡住了要恢复的 {destination.name}（文件和文件夹同名）；没有改动任何文件")


def verify(archive: Path) -> dict:
    """The archive's manifest, after reading every byte: refuses anything that is not a whole, unaltered kiosk
    backup holding only plain files at safe relative paths."""
    sizes: dict[str, int] = {}
    digests: dict[str, str] = {}
    header = None
    total = 0
    try:
        with _open(archive) as tar:
            for member in tar:
                name = _checked_name(member)
                if name in sizes or (name == MANIFEST and header is not None):
                    raise BackupError(f"备份文件里「{name}」出现了两次，不能恢复")
                total += member.size
                _check_size(member, name, total)
                if name == MANIFEST:
                    header = _read_manifest(_contents(tar, member).read())
                    continue
                digest = hashlib.sha256()
                stream = _contents(tar, member)
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                sizes[name], digests[name] = member.size, digest.hexdigest()
            while tar.fileobj.read(CHUNK):  # to the end of the gzip stream, whose trailer checks every byte
                pass
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(f"{archive} 不是完整的备份文件（{exc}），不能恢复") from None
    if header is None:
        raise BackupError(f"{archive} 里没有 {MANIFEST}：不是 kiosk 的备份，或者文件不完整，不能恢复")
    listed = {entry["path"]: entry for entry in header["files"]}
    for name, entry in listed.items():
        if name not in sizes:
            raise BackupError(f"备份不完整：缺少 {name}，不能恢复")
        if sizes[name] != entry["size"] or digests[name] != entry["sha256"]:
            raise BackupError(f"备份已损坏：{name} 的校验值不符，不能恢复")
    extra = sorted(set(sizes) - set(listed))
    if extra:
        raise BackupError(f"备份里有清单上没有的文件 {extra[0]}，不能恢复")
    return header


def _open(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r:gz")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(f"{archive} 不是 kiosk 的备份文件（{exc}），不能恢复") from None


def _checked_name(member: tarfile.TarInfo) -> str:
    """The member's name if it is a plain file at a place a backup writes; BackupError otherwise."""
    name = member.name
    parts = name.split("/")
    safe = (
        member.isfile()
        and not member.issparse()  # a few hundred bytes that unpack to any size
        and not name.startswith("/")
        and "\\" not in name
        and "\x00" not in name
        and all(part not in ("", ".", "..") and not part.startswith(".") for part in parts)
    )
    text = len(parts) > 1 and (Path(name).suffix.lower() in CONTENT_SUFFIXES or parts[-1] == METADATA_FILE)
    allowed = safe and (
        name == MANIFEST
        or (parts[0] == "content" and text)
        or (
            parts[0] == "data"
            and (
                name in {f"data/{n}" for n in (*DATABASES, *PLAIN_FILES)}
                or (len(parts) == 3 and parts[1] in FOLDERS and FOLDERS[parts[1]].match(parts[2]))
            )
        )
    )
    if not allowed:
        raise BackupError(f"备份文件里有不允许的条目「{name}」（路径越界、链接、稀疏文件或未知文件），不能恢复")
    return name


def _check_size(member: tarfile.TarInfo, name: str, total: int) -> None:
    """BackupError, from the member's header alone, for more bytes than a hub's backup ever holds."""
    most = (
        MAX_MANIFEST_BYTES
        if name == MANIFEST
        else MAX_TEXT_BYTES
        if name.startswith("content/")
        else MAX_DATA_FILE_BYTES
    )
    if member.size > most:
        raise BackupError(f"备份里的 {name} 有 {member.size // 1024**2} MB，超过上限 {most // 1024**2} MB，不能恢复")
    if total > MAX_TOTAL_BYTES:
        raise BackupError(f"备份解开后超过 {MAX_TOTAL_BYTES // 1024**3} GB，不是一个站点的备份，不能恢复")


def _contents(tar: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    """A member's bytes, once _checked_name has let it through: a plain file, which tarfile always opens."""
    stream = tar.extractfile(member)
    assert stream is not None  # extractfile gives None only for links and folders, which _checked_name refuses
    return stream


def _read_manifest(data: bytes) -> dict:
    try:
        header = json.loads(data.decode("utf-8"))
        files = header["files"]
        if header.get("format") != FORMAT or not all(
            isinstance(f["path"], str) and isinstance(f["size"], int) and isinstance(f["sha256"], str) for f in files
        ):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"{MANIFEST} 不是 kiosk 备份的清单，不能恢复") from None
    if header.get("version") != VERSION:
        raise BackupError(f"备份格式是第 {header.get('version')} 版，这个 kiosk 只认第 {VERSION} 版；请用相同版本恢复")
    return header


def _copy_checked(tar: tarfile.TarFile, member: tarfile.TarInfo, entry: dict, out) -> None:
    """Copy a member out, checking its sha256 again (the archive is read a second time)."""
    digest = hashlib.sha256()
    stream = _contents(tar, member)
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        out.write(chunk)
    out.flush()
    os.fsync(out.fileno())
    if digest.hexdigest() != entry["sha256"]:
        raise BackupError(f"备份文件在恢复时变了：{member.name} 的校验值不符；请重新恢复")


def _clear_trash(data_root: Path, kept: set[str]) -> None:
    """Deleted texts the restored editor.db does not know would be overwritten by later deletions: remove them."""
    trash = data_root / TRASH
    if trash.is_dir():
        for path in trash.iterdir():
            if TRASH_ENTRY.match(path.name) and path.name not in kept:
                path.unlink()


def _refuse_newer(temp: Path, name: str) -> None:
    """BackupError for a database a newer kiosk wrote: this one would refuse to open it once it was restored."""
    conn = sqlite3.connect(f"{temp.as_uri()}?mode=ro", uri=True)
    try:
        found = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError:
        return  # too broken to say: it goes in as it is, and opening it will say so
    finally:
        conn.close()
    known = DATABASES[name].schema_version()
    if found > known:
        raise BackupError(f"备份里的 {newer_schema(name, found, known)}：请先升级 kiosk 再恢复；数据目录没有改动")


def _put_in_place(temp: Path, destination: Path, is_database: bool) -> None:
    """Rename a restored file into place; a database goes through SQLite's backup API instead, so a -wal left
    beside the old file can never be mixed with the restored one (a database too broken for that is replaced)."""
    if is_database and destination.exists():
        source = sqlite3.connect(temp)
        target = sqlite3.connect(destination, timeout=30)
        try:
            source.backup(target)
            return
        except sqlite3.DatabaseError:
            pass
        finally:
            target.close()
            source.close()
        for leftover in (Path(f"{destination}-wal"), Path(f"{destination}-shm")):
            leftover.unlink(missing_ok=True)
    elif destination.is_file() and destination.read_bytes() == temp.read_bytes():
        return  # the text is already there as it was: keep its file date
    os.replace(temp, destination)
