"""Each account's session key: signing in puts it in the editor cookie and every request must carry it, so the
server can end sessions that a saved copy of the cookie would otherwise keep open until SESSION_HOURS are over."""

from __future__ import annotations

import hmac
import secrets

from .database import Table


class SessionKeys(Table):
    """The editor_sessions table: one key per account, shared by its browsers. The database itself drops an
    account's key when its password changes or the account is removed (triggers in the migration), so a re-added
    name starts with a key no old cookie holds."""

    def key_for(self, name: str) -> str:
        """The key a new session of this account carries, made when it has none."""
        with self.conn:  # one transaction: a sign-out in between cannot leave the key read here missing
            self.conn.execute("INSERT OR IGNORE INTO editor_sessions VALUES (?, ?)", (name, secrets.token_urlsafe(32)))
            return self.conn.execute("SELECT key FROM editor_sessions WHERE name = ?", (name,)).fetchone()["key"]

    def holds(self, name: str, key: object) -> bool:
        """Whether a cookie's key is this account's current one."""
        row = self.conn.execute("SELECT key FROM editor_sessions WHERE name = ?", (name,)).fetchone()
        return row is not None and isinstance(key, str) and hmac.compare_digest(row["key"].encode(), key.encode())

    def end_all(self, name: str) -> None:
        """End every session of this account, in every browser (signing out)."""
        with self.conn:
            self.conn.execute("DELETE FROM editor_sessions WHERE name = ?", (name,))
