"""The centre's list of hubs it takes messages from, in city.db: each hub's name, its skeleton and its public key;
and the nonces of the messages of the last minutes, so none is taken twice."""

from __future__ import annotations

import time
from dataclasses import dataclass

from indexer.errors import KioskError

from ..city.database import CityDB
from .keys import public_key
from .names import HubNameError, normal_form, normal_name, skeleton


class EnrolmentError(KioskError):
    """A hub the centre cannot enrol or remove as asked; the message says what to do instead."""


@dataclass(frozen=True)
class Enrolled:
    name: str
    key: str  # as `kiosk hub key` printed it
    enrolled: float


def enrol(db: CityDB, name: str, key: str, centre: str, now: float | None = None) -> Enrolled:
    """Enrol the hub ``name`` with its public ``key``; refused when the name is not one a person can tell from
    the centre's (``centre``) or an enrolled hub's, or the key is another hub's."""
    name, key = normal_name(name), key.strip()
    public_key(key)
    if skeleton(name) == skeleton(centre):
        raise HubNameError(f"「{name}」与中心自己的名称「{centre}」看起来一样：请给站点起一个看得出区别的名字")
    with db.immediate():
        for row in db.conn.execute("SELECT name, key FROM enrolled_hubs"):
            if row["name"] == name:
                raise EnrolmentError(f"「{name}」已经登记过了；要换公钥，先运行 kiosk hub remove {name}，再重新登记")
            if skeleton(row["name"]) == skeleton(name):
                raise HubNameError(f"「{name}」与已登记的站点「{row['name']}」看起来一样：请换一个看得出区别的名字")
            if row["key"] == key:
                raise EnrolmentError(f"这个公钥已经登记给了站点「{row['name']}」：每个站点的公钥都不一样")
        enrolled = Enrolled(name, key, time.time() if now is None else now)
        db.conn.execute("INSERT INTO enrolled_hubs VALUES (?, ?, ?, ?)", (name, skeleton(name), key, enrolled.enrolled))
    return enrolled


def remove(db: CityDB, name: str) -> str:
    """Stop taking messages from the hub ``name``; its name as enrolled, or EnrolmentError if it was not."""
    found = find(db, name)
    if found is None:
        raise EnrolmentError(f"没有登记过站点「{name.strip()}」；kiosk hub list 列出已登记的站点")
    with db.immediate():
        db.conn.execute("DELETE FROM enrolled_hubs WHERE name = ?", (found.name,))
    return found.name


def enrolled(db: CityDB) -> list[Enrolled]:
    """Every enrolled hub, in the order they were enrolled."""
    return [
        Enrolled(row["name"], row["key"], row["enrolled"])
        for row in db.conn.execute("SELECT name, key, enrolled FROM enrolled_hubs ORDER BY enrolled, name")
    ]


def find(db: CityDB, name: str) -> Enrolled | None:
    """The hub enrolled under ``name`` (compared in its normal form), or None."""
    row = db.conn.execute(
        "SELECT name, key, enrolled FROM enrolled_hubs WHERE name = ?", (normal_form(name),)
    ).fetchone()
    return Enrolled(row["name"], row["key"], row["enrolled"]) if row else None


def first_use(db: CityDB, nonce: str, hub: str, sent: float, forget_before: float) -> bool:
    """Remember ``nonce`` of a message ``sent`` by ``hub``; False when it was already used. Nonces of messages
    sent before ``forget_before`` are dropped: messages that old are refused by their time anyway."""
    with db.immediate():
        db.conn.execute("DELETE FROM hub_nonces WHERE sent < ?", (forget_before,))
        added = db.conn.execute("INSERT OR IGNORE INTO hub_nonces VALUES (?, ?, ?)", (nonce, hub, sent)).rowcount
    return added == 1
