"""Editor accounts: password hashes, roles, and the lock-out after repeated wrong passwords (per user name)."""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from indexer.errors import KioskError

from ..desk.roles import DESK_ROLE_NAMES, DESK_ROLES, UNIT_ROLES
from ..lockout import LOCK_SECONDS, MAX_FAILURES, after_failure, minutes_locked
from ..places import communities
from .database import Table

ROLES = ("editor", "trainer", "admin", *DESK_ROLES)
ROLE_NAMES = {"editor": "编辑", "trainer": "培训老师", "admin": "管理员", **DESK_ROLE_NAMES}
MIN_PASSWORD = 8
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common_passwords.txt"
NAME = re.compile(r"^[\w.\-]{2,32}$")  # \w takes hanzi too: 王编辑 is a fine user name

UNIT = "COALESCE(n.unit, '') AS unit"
WITH_UNIT = "LEFT JOIN user_units n ON n.name = u.name"

clock = time.time  # tests move the clock instead of waiting 15 minutes


class AccountError(KioskError):
    """An account cannot be created or changed; the message says why, in Chinese."""


class SignInError(KioskError):
    """Sign-in refused: wrong name or password, or the name is locked for a while."""


@dataclass(frozen=True)
class User:
    """A signed-in editor."""

    name: str
    role: str
    unit: str = ""  # the community or 乡镇/街道 of a desk account of that level

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def role_name(self) -> str:
        found = ROLE_NAMES.get(self.role, self.role)
        return f"{found} · {self.unit}" if self.unit else found


@dataclass(frozen=True)
class AccountState:
    """An account as the admin page lists it."""

    user: User
    created: float
    failures: int
    locked_until: float

    @property
    def locked(self) -> bool:
        return self.locked_until > clock()


class Accounts(Table):
    """Users and sign-in failures in the editor's database."""

    def add(self, name: str, password: str, role: str = "editor", unit: str = "") -> User:
        """Create an account; refuses a taken name, a bad name or role, a short password, or a desk account of a
        community or township whose unit is missing or not on the hub's list (and a unit for any other role)."""
        name = _check_name(name)
        if role not in ROLES:
            raise AccountError(f"角色只能是 {' 或 '.join(ROLES)}")
        unit = self.check_unit(role, unit)
        _check_password(password)
        if self.get(name) is not None:
            raise AccountError(f"用户「{name}」已经存在；要改密码请用 kiosk user password {name}")
        with self.conn:
            self.conn.execute(
                "INSERT INTO users VALUES (?, ?, ?, ?)", (name, generate_password_hash(password), role, clock())
            )
            if unit:
                self.conn.execute("INSERT OR REPLACE INTO user_units VALUES (?, ?)", (name, unit))
        return User(name, role, unit)

    def check_unit(self, role: str, unit: str) -> str:
        """The unit a desk account of ``role`` belongs to, checked against the hub's community list."""
        unit = (unit or "").strip()
        if role not in UNIT_ROLES:
            if unit:
                raise AccountError(f"只有 {' 和 '.join(UNIT_ROLES)} 账号属于某个社区或乡镇/街道，{role} 不用 --unit")
            return ""
        known = communities(self.path.parent)
        names = {c.name for c in known} if role == "community" else {c.town for c in known}
        what = "社区" if role == "community" else "乡镇/街道"
        if not unit:
            raise AccountError(f"{role} 账号要用 --unit 写明属于哪个{what}")
        if unit not in names:
            listed = "、".join(sorted(names)) or "（名单是空的：先用 kiosk communities add 乡镇/街道 社区 添加）"
            raise AccountError(f"本站的社区名单里没有{what}「{unit}」；可选：{listed}")
        return unit

    def set_password(self, name: str, password: str) -> None:
        """Give an existing account a new password (and lift any lock-out)."""
        _check_password(password)
        if self.get(name) is None:
            raise AccountError(f"没有用户「{name}」")
        with self.conn:
            self.conn.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?", (generate_password_hash(password), name)
            )
            self.conn.execute("DELETE FROM signin_failures WHERE name = ?", (name,))

    def remove(self, name: str) -> None:
        """Delete an account; a signed-in session of it stops working at its next request."""
        if self.get(name) is None:
            raise AccountError(f"没有用户「{name}」")
        with self.conn:
            self.conn.execute("DELETE FROM users WHERE name = ?", (name,))
            self.conn.execute("DELETE FROM signin_failures WHERE name = ?", (name,))

    def get(self, name: str) -> User | None:
        row = self.conn.execute(
            f"SELECT u.name, u.role, {UNIT} FROM users u {WITH_UNIT} WHERE u.name = ?", (name,)
        ).fetchone()
        return User(row["name"], row["role"], row["unit"]) if row else None

    def states(self) -> list[AccountState]:
        """Every account with its lock-out state, by name."""
        rows = self.conn.execute(
            f"SELECT u.name, u.role, {UNIT}, u.created, COALESCE(f.failures, 0) AS failures, "
            f"COALESCE(f.locked_until, 0) AS locked_until FROM users u {WITH_UNIT} "
            "LEFT JOIN signin_failures f ON f.name = u.name ORDER BY u.name"
        )
        return [
            AccountState(User(r["name"], r["role"], r["unit"]), r["created"], r["failures"], r["locked_until"])
            for r in rows
        ]

    def unlock(self, name: str) -> None:
        with self.conn:
            self.conn.execute("DELETE FROM signin_failures WHERE name = ?", (name,))

    def authenticate(self, name: str, password: str) -> User:
        """The user for a right name and password; counts failures and locks the name after too many.

        The slow hash check runs outside any transaction; the lock check and the count it decides run in one
        write transaction on the row as it is then, so a burst of tries counts every failure and a right
        password that arrives once the name is locked is refused like a wrong one."""
        name = (name or "").strip()
        _refuse_if_locked(self._failures(name), clock())  # a locked name costs no hash work
        stored = self.conn.execute(
            f"SELECT u.password_hash, u.role, {UNIT} FROM users u {WITH_UNIT} WHERE u.name = ?", (name,)
        ).fetchone()
        # An unknown name costs the same hash check as a known one, so timing does not tell which names exist.
        right = check_password_hash(stored["password_hash"] if stored else _dummy_hash(), password or "")
        with self.immediate():
            now = clock()
            row = self._failures(name)
            _refuse_if_locked(row, now)
            if right and stored:
                self.conn.execute("DELETE FROM signin_failures WHERE name = ?", (name,))
                return User(name, stored["role"], stored["unit"])
            failures, locked_until = after_failure(
                row["failures"] if row else 0, row["locked_until"] if row else 0, now
            )
            self.conn.execute("INSERT OR REPLACE INTO signin_failures VALUES (?, ?, ?)", (name, failures, locked_until))
        if locked_until:
            raise SignInError(
                f"用户名或密码不对。已连续输错 {MAX_FAILURES} 次，这个账号锁定 {LOCK_SECONDS // 60} 分钟。"
            )
        raise SignInError(f"用户名或密码不对（还可以再试 {MAX_FAILURES - failures} 次）。")

    def _failures(self, name: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT failures, locked_until FROM signin_failures WHERE name = ?", (name,)
        ).fetchone()


def _refuse_if_locked(failures: sqlite3.Row | None, now: float) -> None:
    """SignInError while the name's lock-out lasts."""
    minutes = minutes_locked(failures["locked_until"], now) if failures else None
    if minutes:
        raise SignInError(
            f"这个账号连续输错 {MAX_FAILURES} 次密码，已暂时锁定。请 {minutes} 分钟后再试，或请管理员解锁。"
        )


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME.match(name):
        raise AccountError("用户名要 2 到 32 个字，只用汉字、字母、数字和 . _ -")
    return name


def _check_password(password: str) -> None:
    """AccountError for a password an outsider would guess first: short, only spaces, or one of the commonest."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少要 {MIN_PASSWORD} 个字符")
    if not password.strip():
        raise AccountError("密码不能只有空格")
    if len(set(password)) == 1 or password.lower() in _common_passwords():
        raise AccountError("这个密码太常见，很容易被猜到：请换一个，例如几个词加上数字")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The shipped list of the commonest passwords, in lower case."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return generate_password_hash("not a password of anyone")
