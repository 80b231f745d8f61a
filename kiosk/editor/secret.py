"""The Flask secret key: generated once into <data dir>/secret_key (mode 0600) and read from there ever after."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from indexer.errors import ConfigError

SECRET_FILE = "secret_key"


def load_secret_key(data_root: Path) -> str:
    """The key in the data dir, created on first use; two processes starting at once end up with the same key."""
    path = Path(data_root) / SECRET_FILE
    key = _read(path)
    if key:
        return key
    new_key = secrets.token_hex(32)
    fd, temp = tempfile.mkstemp(dir=data_root, prefix=".secret-")  # mkstemp creates it with mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(new_key)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temp, path)  # whole file or nothing; fails if another process won the race, whose key then wins
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links
            _create_exclusive(path, new_key)
    finally:
        os.unlink(temp)
    key = _read(path)
    if not key:
        raise ConfigError(f"无法读取密钥文件 {path}；删除它后重新启动")
    return key


def _create_exclusive(path: Path, key: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise ConfigError(f"无法读取密钥文件 {path}（{exc.strerror}）") from None
