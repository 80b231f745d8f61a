"""The learners' own SQLite file, <data dir>/learning.db: who they are and what they heard and answered."""

from __future__ import annotations

from pathlib import Path

from indexer.database import Database

LEARNING_DB = "learning.db"


class LearningDB(Database):
    """Learners, the sentences each heard per course, quiz attempts, trainers' sign-offs and completed courses; one
    per request.

    Times are seconds since the epoch on the hub's clock, never the phone's.
    """

    MIGRATIONS: tuple[str, ...] = (
        """
    CREATE TABLE IF NOT EXISTS learners (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, town TEXT NOT NULL, community TEXT NOT NULL,
        pin_hash TEXT NOT NULL, card TEXT NOT NULL UNIQUE, created REAL NOT NULL,
        listened REAL NOT NULL DEFAULT 0,           -- seconds of audio credited so far: the listening clock
        generation INTEGER NOT NULL DEFAULT 0,      -- raised when the card or PIN changes: older sessions end
        failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0,
        UNIQUE (name, town, community)
    );
    CREATE INDEX IF NOT EXISTS learners_unit ON learners (town, community, name);
    CREATE TABLE IF NOT EXISTS heard (
        learner TEXT NOT NULL, course TEXT NOT NULL, sentence TEXT NOT NULL, seconds REAL NOT NULL, at REAL NOT NULL,
        PRIMARY KEY (learner, course, sentence)
    );
    CREATE INDEX IF NOT EXISTS heard_at ON heard (at);
    CREATE TABLE IF NOT EXISTS reports (
        learner TEXT NOT NULL, id TEXT NOT NULL, course TEXT NOT NULL, credited INTEGER NOT NULL,
        refused INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (learner, id)
    );
    CREATE TABLE IF NOT EXISTS attempts (
        id TEXT NOT NULL UNIQUE, learner TEXT NOT NULL, question TEXT NOT NULL, course TEXT NOT NULL DEFAULT '',
        answer TEXT NOT NULL, right INTEGER NOT NULL, at REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS attempts_learner ON attempts (learner, question);
    CREATE INDEX IF NOT EXISTS attempts_question ON attempts (question, at);
    CREATE TABLE IF NOT EXISTS completions (
        learner TEXT NOT NULL, course TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (learner, course)
    );
    CREATE INDEX IF NOT EXISTS completions_at ON completions (at);
    """,
        """
    CREATE TABLE IF NOT EXISTS waiting (            -- reported sentences the listening clocks did not allow yet
        learner TEXT NOT NULL, course TEXT NOT NULL, sentence TEXT NOT NULL, seconds REAL NOT NULL,
        PRIMARY KEY (learner, course, sentence)
    );
    """,
        """
    CREATE TABLE IF NOT EXISTS rounds (             -- 实训基地: a practical course's sessions (practical/rounds.py)
        id INTEGER PRIMARY KEY, course TEXT NOT NULL, area TEXT NOT NULL DEFAULT '',  -- '': 全部实训区
        starts REAL NOT NULL, ends REAL NOT NULL, place TEXT NOT NULL, seats INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '', created_by TEXT NOT NULL, created REAL NOT NULL,
        cancelled INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS rounds_starts ON rounds (starts);
    CREATE TABLE IF NOT EXISTS round_signups (      -- who signed up for a round, and when their card was scanned
        round INTEGER NOT NULL, learner TEXT NOT NULL, signed_at REAL NOT NULL, attended_at REAL,
        scanned_by TEXT NOT NULL DEFAULT '', PRIMARY KEY (round, learner)
    );
    CREATE INDEX IF NOT EXISTS round_signups_learner ON round_signups (learner);
    """,
        """
    CREATE TABLE IF NOT EXISTS signoffs (           -- a trainer's 合格/不合格 per skill of a practical course's unit
        learner TEXT NOT NULL, course TEXT NOT NULL, unit INTEGER NOT NULL, skill INTEGER NOT NULL,
        result TEXT NOT NULL CHECK (result IN ('合格', '不合格')), note TEXT NOT NULL DEFAULT '',
        trainer TEXT NOT NULL, at REAL NOT NULL      -- every sign-off is kept: a re-test adds a row, the latest counts
    );
    CREATE INDEX IF NOT EXISTS signoffs_learner ON signoffs (learner, course, unit, skill, at);
    CREATE INDEX IF NOT EXISTS signoffs_at ON signoffs (at);
    """,
        """
    ALTER TABLE signoffs ADD COLUMN area TEXT NOT NULL DEFAULT '';   -- the area's title and the skill's words as
    ALTER TABLE signoffs ADD COLUMN words TEXT NOT NULL DEFAULT '';  -- signed: they follow the skill if it moves
    """,
    )
    TIMEOUT = 10.0
    # every table with a learner column
    LEARNER_TABLES = ("heard", "waiting", "reports", "attempts", "completions", "round_signups", "signoffs")

    def __init__(self, data_root: Path):
        super().__init__(Path(data_root) / LEARNING_DB)
