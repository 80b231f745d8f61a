"""The centre's file of hubs' reports, <data dir>/city.db: each hub's daily counts as it last sent them (and, in
tables of kiosk/hubs/enrolment.py's, the hubs it takes them from)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from indexer.database import Database

from ..visitors.usage import KEEP_DAYS, days_back
from .validate import TABLES, Report

CITY_DB = "city.db"
# What the wall counts: the centre's own reports and those of hubs enrolled now. A hub removed leaves the wall at
# once (its reports stay, and show again if it is enrolled again), as do reports filed before hubs were enrolled.
SHOWN = "(hub = :centre OR hub IN (SELECT name FROM enrolled_hubs))"


class CityDB(Database):
    """Hubs and their daily rows, one table per part of a report (see TABLES), keyed by hub and day first."""

    MIGRATIONS: tuple[str, ...] = (
        """
    CREATE TABLE IF NOT EXISTS hubs (hub TEXT PRIMARY KEY, reported REAL NOT NULL);
    CREATE TABLE IF NOT EXISTS days (
        hub TEXT NOT NULL, day TEXT NOT NULL, plays INTEGER NOT NULL, minutes REAL NOT NULL,
        searches INTEGER NOT NULL, unanswered INTEGER NOT NULL, PRIMARY KEY (hub, day)
    );
    CREATE TABLE IF NOT EXISTS texts (
        hub TEXT NOT NULL, day TEXT NOT NULL, doc TEXT NOT NULL, title TEXT NOT NULL, plays INTEGER NOT NULL,
        minutes REAL NOT NULL, PRIMARY KEY (hub, day, doc)
    );
    CREATE TABLE IF NOT EXISTS questions (
        hub TEXT NOT NULL, day TEXT NOT NULL, query TEXT NOT NULL, times INTEGER NOT NULL,
        PRIMARY KEY (hub, day, query)
    );
    CREATE TABLE IF NOT EXISTS completions (
        hub TEXT NOT NULL, day TEXT NOT NULL, town TEXT NOT NULL, community TEXT NOT NULL, course TEXT NOT NULL,
        learners INTEGER NOT NULL, PRIMARY KEY (hub, day, town, community, course)
    );
    """,
        # The hubs the centre takes signed messages from (kiosk/hubs/enrolment.py), and the nonces of recent ones.
        """
    CREATE TABLE IF NOT EXISTS enrolled_hubs (
        name TEXT PRIMARY KEY, skeleton TEXT NOT NULL UNIQUE, key TEXT NOT NULL UNIQUE, enrolled REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS hub_nonces (nonce TEXT PRIMARY KEY, hub TEXT NOT NULL, sent REAL NOT NULL);
    """,
    )
    TIMEOUT = 10.0
    REPAIR = "删除它即可：各站点下次同步时会重新报告最近的数据"

    def __init__(self, data_root: Path):
        super().__init__(Path(data_root) / CITY_DB)

    def file(self, report: Report, now: float | None = None) -> None:
        """Replace the hub's counts for the report's days (so a period sent twice counts once), in one transaction;
        days past the keeping period are dropped."""
        now = time.time() if now is None else now
        days = [(report.hub, day) for day in report.days]
        with self.conn:
            self.conn.execute(
                "INSERT INTO hubs VALUES (?, ?) ON CONFLICT (hub) DO UPDATE SET reported = excluded.reported",
                (report.hub, now),
            )
            for table, (_, fields, _) in TABLES.items():
                self.conn.executemany(f"DELETE FROM {table} WHERE hub = ? AND day = ?", days)
                self.conn.executemany(
                    f"INSERT INTO {table} VALUES (?{', ?' * len(fields)})",
                    [(report.hub, *row) for row in report.rows[table]],
                )
                self.conn.execute(f"DELETE FROM {table} WHERE day < ?", (days_back(KEEP_DAYS),))
            self.conn.execute("DELETE FROM hubs WHERE reported < ?", (now - KEEP_DAYS * 86400,))

    def hubs(self, since: str, today: str, centre: str) -> list[sqlite3.Row]:
        """Every hub shown (see SHOWN) with its last report time and its counts of today and of the period, most
        listened first."""
        return self.conn.execute(
            "SELECT h.hub, h.reported, "
            "COALESCE(SUM(CASE WHEN d.day = :today THEN d.plays END), 0) AS plays_today, "
            "COALESCE(SUM(CASE WHEN d.day = :today THEN d.minutes END), 0) AS minutes_today, "
            "COALESCE(SUM(CASE WHEN d.day = :today THEN d.searches END), 0) AS searches_today, "
            "COALESCE(SUM(d.plays), 0) AS plays, COALESCE(SUM(d.minutes), 0) AS minutes, "
            "COALESCE(SUM(d.searches), 0) AS searches, COALESCE(SUM(d.unanswered), 0) AS unanswered "
            f"FROM (SELECT * FROM hubs WHERE {SHOWN}) h "
            "LEFT JOIN days d ON d.hub = h.hub AND d.day >= :since AND d.day <= :today "
            "GROUP BY h.hub ORDER BY plays DESC, plays_today DESC, h.hub",
            {"since": since, "today": today, "centre": centre},
        ).fetchall()

    def daily_plays(self, since: str, centre: str) -> list[sqlite3.Row]:
        """(hub, day, plays) for every day of the period a hub shown reported."""
        return self.conn.execute(
            f"SELECT hub, day, plays FROM days WHERE day >= :since AND {SHOWN}", {"since": since, "centre": centre}
        ).fetchall()

    def texts(self, since: str, centre: str, limit: int) -> list[sqlite3.Row]:
        """The most played texts city-wide (doc, title as a hub sent it, plays, minutes)."""
        return self.conn.execute(
            "SELECT doc, MAX(title) AS title, SUM(plays) AS plays, SUM(minutes) AS minutes FROM texts "
            f"WHERE day >= :since AND {SHOWN} GROUP BY doc ORDER BY plays DESC, minutes DESC, doc LIMIT :limit",
            {"since": since, "centre": centre, "limit": limit},
        ).fetchall()

    def questions(self, since: str, centre: str, limit: int) -> list[sqlite3.Row]:
        """Searches that found nothing city-wide, most asked first, then asked at the most hubs (query, times)."""
        return self.conn.execute(
            f"SELECT query, SUM(times) AS times FROM questions WHERE day >= :since AND {SHOWN} "
            "GROUP BY query ORDER BY times DESC, COUNT(DISTINCT hub) DESC, query LIMIT :limit",
            {"since": since, "centre": centre, "limit": limit},
        ).fetchall()

    def completions(self, since: str, centre: str, limit: int) -> list[sqlite3.Row]:
        """Learners who completed each course per 乡镇/街道 and 社区, most first (town, community, course,
        learners)."""
        return self.conn.execute(
            "SELECT town, community, course, SUM(learners) AS learners FROM completions "
            f"WHERE day >= :since AND {SHOWN} "
            "GROUP BY town, community, course ORDER BY learners DESC, town, community, course LIMIT :limit",
            {"since": since, "centre": centre, "limit": limit},
        ).fetchall()

    def completed(self, since: str, centre: str) -> int:
        """Courses completed city-wide in the period."""
        return self.conn.execute(
            f"SELECT COALESCE(SUM(learners), 0) FROM completions WHERE day >= :since AND {SHOWN}",
            {"since": since, "centre": centre},
        ).fetchone()[0]
