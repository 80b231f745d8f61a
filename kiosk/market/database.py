"""The 物业超市's own SQLite file, <data dir>/market.db: the companies, the estates each manages, every change to
the file (who, when, what), the centre's admission decisions, the quarterly assessments and residents' ratings,
estates' needs with the companies interested in each, and the 形象墙's good work.

A company's id never changes, and its estates are rows of their own, so comparisons, estates' needs and the 形象墙
refer to them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from indexer.database import Database

from .companies import FIELDS, LABELS, Company, Estate
from .goodwork import GoodWork
from .needs import STATUSES, Need

MARKET_DB = "market.db"
SCALARS = tuple(item.key for item in FIELDS if item.key != "estates")


@dataclass(frozen=True)
class Change:
    """One line of a company's history."""

    at: float
    actor: str
    action: str  # add | edit | import | admit | remove
    note: str


@dataclass(frozen=True)
class Decision:
    """The centre's decision to admit a company to the market or remove it, on a date, for a reason."""

    admit: bool
    decided: str  # the date of the decision, YYYY-MM-DD, as the centre's minutes give it
    reason: str
    actor: str
    at: float


@dataclass(frozen=True)
class Assessment:
    """One unit's assessment of a company for a quarter: points per criterion and their total out of 100."""

    unit: str
    actor: str
    at: float
    points: dict[str, int]
    total: int
    note: str


class MarketDB(Database):
    """The company file and the evidence on each company; every change to a company adds its history line in the
    same transaction."""

    MIGRATIONS: tuple[str, ...] = (
        """
    CREATE TABLE IF NOT EXISTS companies (
        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, registration TEXT NOT NULL UNIQUE,
        qualification TEXT NOT NULL DEFAULT '', contact TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '',
        party_org TEXT NOT NULL DEFAULT '', party_link TEXT NOT NULL DEFAULT '', intro TEXT NOT NULL DEFAULT '',
        in_market INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS estates (
        company INTEGER NOT NULL REFERENCES companies (id), position INTEGER NOT NULL, name TEXT NOT NULL,
        community TEXT NOT NULL, PRIMARY KEY (company, name)
    );
    CREATE TABLE IF NOT EXISTS history (
        id INTEGER PRIMARY KEY AUTOINCREMENT, company INTEGER NOT NULL REFERENCES companies (id),
        at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX IF NOT EXISTS history_by_company ON history (company, id);
    CREATE TABLE IF NOT EXISTS decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, company INTEGER NOT NULL REFERENCES companies (id),
        admit INTEGER NOT NULL, decided TEXT NOT NULL, reason TEXT NOT NULL, actor TEXT NOT NULL, at REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS assessments (
        company INTEGER NOT NULL REFERENCES companies (id), quarter TEXT NOT NULL, unit TEXT NOT NULL,
        actor TEXT NOT NULL, at REAL NOT NULL, points TEXT NOT NULL, total INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '', PRIMARY KEY (company, quarter, unit)
    );
    CREATE TABLE IF NOT EXISTS ratings (
        company INTEGER NOT NULL REFERENCES companies (id), quarter TEXT NOT NULL, phone TEXT NOT NULL,
        stars INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (company, quarter, phone)
    );
    """,
        """
    CREATE TABLE IF NOT EXISTS needs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, estate TEXT NOT NULL, community TEXT NOT NULL,
        households INTEGER NOT NULL, area INTEGER NOT NULL DEFAULT 0, wants TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '', contact TEXT NOT NULL, phone TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open', at REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS need_interest (
        need INTEGER NOT NULL REFERENCES needs (id), company INTEGER NOT NULL REFERENCES companies (id),
        PRIMARY KEY (need, company)
    );
    CREATE TABLE IF NOT EXISTS need_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT, need INTEGER NOT NULL REFERENCES needs (id),
        at REAL NOT NULL, actor TEXT NOT NULL, note TEXT NOT NULL
    );
    """,
        # The 形象墙's good work (goodwork.py); the photo is a file of photos.py's, named by its id.
        """
    CREATE TABLE IF NOT EXISTS good_work (
        id INTEGER PRIMARY KEY AUTOINCREMENT, company INTEGER NOT NULL REFERENCES companies (id),
        kind TEXT NOT NULL, title TEXT NOT NULL, line1 TEXT NOT NULL, line2 TEXT NOT NULL, day TEXT NOT NULL,
        photo TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS good_work_by_company ON good_work (company, day);
    """,
    )
    REPAIR = "请用备份恢复：kiosk restore 备份文件（物业超市的企业档案、考核和评价只在这个文件里）"

    def __init__(self, data_root: Path):
        super().__init__(Path(data_root) / MARKET_DB)

    # -- the file -------------------------------------------------------------------------------------------

    def companies(self) -> list[Company]:
        """Every company, those in the market first, then by name."""
        rows = self.conn.execute("SELECT * FROM companies ORDER BY in_market DESC, name").fetchall()
        return [self._company(row) for row in rows]

    def serving(self) -> dict[str, list[str]]:
        """Each community's companies by their registered names (those in the market first), from their estates."""
        found: dict[str, list[str]] = {}
        for community, name in self.conn.execute(
            "SELECT DISTINCT e.community, c.name FROM estates e JOIN companies c ON c.id = e.company"
            " ORDER BY e.community, c.in_market DESC, c.name"
        ):
            found.setdefault(community, []).append(name)
        return found

    def get(self, company_id: int) -> Company | None:
        row = self.conn.execute("SELECT * FROM companies WHERE id = ?", (company_id,)).fetchone()
        return self._company(row) if row else None

    def by_registration(self, registration: str) -> Company | None:
        row = self.conn.execute("SELECT * FROM companies WHERE registration = ?", (registration,)).fetchone()
        return self._company(row) if row else None

    def by_name(self, name: str) -> Company | None:
        row = self.conn.execute("SELECT * FROM companies WHERE name = ?", (name,)).fetchone()
        return self._company(row) if row else None

    def _company(self, row: sqlite3.Row) -> Company:
        estates = self.conn.execute(
            "SELECT name, community FROM estates WHERE company = ? ORDER BY position", (row["id"],)
        )
        return Company(
            **{key: row[key] for key in SCALARS},
            estates=tuple(Estate(estate["name"], estate["community"]) for estate in estates),
            in_market=bool(row["in_market"]),
            id=row["id"],
        )

    def save(self, company: Company, actor: str, action: str, at: float) -> tuple[Company, str]:
        """Add a company (id 0) or change a stored one, with a history line that says what changed; returns it as
        stored and that line's note ("" when nothing changed, and then nothing is written)."""
        with self.immediate():
            if not company.id:
                marks = ", ".join("?" * len(SCALARS))
                cursor = self.conn.execute(
                    f"INSERT INTO companies ({', '.join(SCALARS)}, created) VALUES ({marks}, ?)",
                    (*(getattr(company, key) for key in SCALARS), at),
                )
                assert cursor.lastrowid is not None
                stored, note = Company(**{**company.__dict__, "id": cursor.lastrowid}), "建档"
            else:
                was = self.get(company.id)
                assert was is not None
                stored = Company(**{**company.__dict__, "in_market": was.in_market})
                note = changes(was, stored)
                if not note:
                    return stored, ""
                self.conn.execute(
                    f"UPDATE companies SET {', '.join(f'{key} = ?' for key in SCALARS)} WHERE id = ?",
                    (*(getattr(stored, key) for key in SCALARS), stored.id),
                )
                self.conn.execute("DELETE FROM estates WHERE company = ?", (stored.id,))
            self.conn.executemany(
                "INSERT INTO estates (company, position, name, community) VALUES (?, ?, ?, ?)",
                [(stored.id, n, estate.name, estate.community) for n, estate in enumerate(stored.estates)],
            )
            self._log(stored.id, Change(at, actor, action, note))
        return stored, note

    def decide(self, company_id: int, decision: Decision) -> None:
        """Admit the company to the market or remove it, with the decision and its history line."""
        with self.immediate():
            self.conn.execute("UPDATE companies SET in_market = ? WHERE id = ?", (int(decision.admit), company_id))
            self.conn.execute(
                "INSERT INTO decisions (company, admit, decided, reason, actor, at) VALUES (?, ?, ?, ?, ?, ?)",
                (company_id, int(decision.admit), decision.decided, decision.reason, decision.actor, decision.at),
            )
            action = "admit" if decision.admit else "remove"
            self._log(company_id, Change(decision.at, decision.actor, action, f"{decision.decided}：{decision.reason}"))

    def decisions(self, company_id: int) -> list[Decision]:
        rows = self.conn.execute(
            "SELECT admit, decided, reason, actor, at FROM decisions WHERE company = ? ORDER BY id DESC", (company_id,)
        )
        return [Decision(bool(row["admit"]), row["decided"], row["reason"], row["actor"], row["at"]) for row in rows]

    def history(self, company_id: int) -> list[Change]:
        rows = self.conn.execute(
            "SELECT at, actor, action, note FROM history WHERE company = ? ORDER BY id DESC", (company_id,)
        )
        return [Change(**dict(row)) for row in rows]

    def _log(self, company_id: int, change: Change) -> None:
        self.conn.execute(
            "INSERT INTO history (company, at, actor, action, note) VALUES (?, ?, ?, ?, ?)",
            (company_id, change.at, change.actor, change.action, change.note),
        )

    # -- the evidence ---------------------------------------------------------------------------------------

    def assess(self, company_id: int, quarter: str, assessment: Assessment) -> bool:
        """Store a unit's assessment for the quarter; a unit's second one for the same quarter replaces its first.
        Returns whether it replaced one (the history says so either way)."""
        with self.immediate():
            replaced = self.conn.execute(
                "DELETE FROM assessments WHERE company = ? AND quarter = ? AND unit = ?",
                (company_id, quarter, assessment.unit),
            ).rowcount
            self.conn.execute(
                "INSERT INTO assessments (company, quarter, unit, actor, at, points, total, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    company_id,
                    quarter,
                    assessment.unit,
                    assessment.actor,
                    assessment.at,
                    json.dumps(assessment.points),
                    assessment.total,
                    assessment.note,
                ),
            )
            what = "重新考核" if replaced else "考核"
            note = f"{assessment.unit}{what}{quarter}：{assessment.total} 分"
            self._log(company_id, Change(assessment.at, assessment.actor, "assess", note))
        return bool(replaced)

    def assessments(self, company_id: int, quarter: str) -> list[Assessment]:
        rows = self.conn.execute(
            "SELECT unit, actor, at, points, total, note FROM assessments WHERE company = ? AND quarter = ? "
            "ORDER BY at",
            (company_id, quarter),
        )
        return [Assessment(**{**dict(row), "points": json.loads(row["points"])}) for row in rows]

    def rate(self, company_id: int, quarter: str, phone: str, stars: int, at: float) -> bool:
        """A resident's rating; False (nothing written) when this phone already rated the company this quarter."""
        with self.immediate():
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO ratings (company, quarter, phone, stars, at) VALUES (?, ?, ?, ?, ?)",
                (company_id, quarter, phone, stars, at),
            )
        return cursor.rowcount == 1

    def rating_by(self, company_id: int, quarter: str, phone: str) -> int | None:
        """The stars this phone gave the company in the quarter, if it did."""
        row = self.conn.execute(
            "SELECT stars FROM ratings WHERE company = ? AND quarter = ? AND phone = ?", (company_id, quarter, phone)
        ).fetchone()
        return row[0] if row else None

    def ratings(self, company_id: int, quarter: str) -> list[int]:
        """The stars residents gave the company in the quarter."""
        rows = self.conn.execute(
            "SELECT stars FROM ratings WHERE company = ? AND quarter = ?", (company_id, quarter)
        ).fetchall()
        return [row[0] for row in rows]

    # -- estates' needs -------------------------------------------------------------------------------------

    def add_need(self, need: Need) -> int:
        with self.immediate():
            cursor = self.conn.execute(
                "INSERT INTO needs (estate, community, households, area, wants, note, contact, phone, status, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
                (
                    need.estate,
                    need.community,
                    need.households,
                    need.area,
                    json.dumps(need.wants, ensure_ascii=False),
                    need.note,
                    need.contact,
                    need.phone,
                    need.at,
                ),
            )
            assert cursor.lastrowid is not None
            self._note(cursor.lastrowid, need.at, "业委会", "登记需求")
        return cursor.lastrowid

    def needs(self) -> list[Need]:
        """Every need, the open ones first, newest first."""
        rows = self.conn.execute("SELECT * FROM needs ORDER BY status = 'open' DESC, id DESC").fetchall()
        return [Need(**{**dict(row), "wants": tuple(json.loads(row["wants"]))}) for row in rows]

    def need(self, need_id: int) -> Need | None:
        row = self.conn.execute("SELECT * FROM needs WHERE id = ?", (need_id,)).fetchone()
        return Need(**{**dict(row), "wants": tuple(json.loads(row["wants"]))}) if row else None

    def interested(self, need_id: int) -> list[int]:
        """The ids of the companies marked interested in the need."""
        rows = self.conn.execute("SELECT company FROM need_interest WHERE need = ? ORDER BY company", (need_id,))
        return [row[0] for row in rows]

    def mark_interest(self, need_id: int, company: Company, actor: str, at: float) -> bool:
        """Mark the company interested in the need; False (nothing written) when it already was."""
        with self.immediate():
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO need_interest (need, company) VALUES (?, ?)", (need_id, company.id)
            )
            if cursor.rowcount:
                self._note(need_id, at, actor, f"{company.name}有意向")
        return cursor.rowcount == 1

    def set_status(self, need_id: int, status: str, note: str, actor: str, at: float) -> None:
        with self.immediate():
            self.conn.execute("UPDATE needs SET status = ? WHERE id = ?", (status, need_id))
            self._note(need_id, at, actor, f"改为「{STATUSES[status]}」" + (f"：{note}" if note else ""))

    def need_history(self, need_id: int) -> list[Change]:
        rows = self.conn.execute("SELECT at, actor, note FROM need_history WHERE need = ? ORDER BY id DESC", (need_id,))
        return [Change(row["at"], row["actor"], "need", row["note"]) for row in rows]

    def _note(self, need_id: int, at: float, actor: str, note: str) -> None:
        self.conn.execute(
            "INSERT INTO need_history (need, at, actor, note) VALUES (?, ?, ?, ?)", (need_id, at, actor, note)
        )

    # -- the 形象墙 -------------------------------------------------------------------------------------------

    def add_work(self, work: GoodWork, actor: str, at: float) -> GoodWork:
        """Store a company's good work, with its history line."""
        with self.immediate():
            cursor = self.conn.execute(
                "INSERT INTO good_work (company, kind, title, line1, line2, day, photo) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (work.company, work.kind, work.title, work.line1, work.line2, work.day, work.photo),
            )
            self._log(work.company, Change(at, actor, "work", f"形象墙新增：{work.title}"))
        assert cursor.lastrowid is not None
        return GoodWork(**{**work.__dict__, "id": cursor.lastrowid})

    def edit_work(self, work: GoodWork, actor: str, at: float) -> None:
        """Change a stored good work (its id and company), with its history line."""
        with self.immediate():
            self.conn.execute(
                "UPDATE good_work SET kind = ?, title = ?, line1 = ?, line2 = ?, day = ?, photo = ? "
                "WHERE id = ? AND company = ?",
                (work.kind, work.title, work.line1, work.line2, work.day, work.photo, work.id, work.company),
            )
            self._log(work.company, Change(at, actor, "work", f"形象墙修改：{work.title}"))

    def work(self, company_id: int, work_id: int) -> GoodWork | None:
        found = self._works("WHERE company = ? AND id = ?", (company_id, work_id))
        return found[0] if found else None

    def remove_work(self, company_id: int, work_id: int, actor: str, at: float) -> GoodWork | None:
        """Take a company's good work off the wall; returns it (its photo is the caller's to delete), or None."""
        with self.immediate():
            found = self.work(company_id, work_id)
            if found is None:
                return None
            self.conn.execute("DELETE FROM good_work WHERE id = ?", (work_id,))
            self._log(company_id, Change(at, actor, "work", f"形象墙删除：{found.title}"))
        return found

    def works(self, company_id: int) -> list[GoodWork]:
        """A company's good work, newest first."""
        return self._works("WHERE company = ? ORDER BY day DESC, id DESC", (company_id,))

    def wall_works(self) -> list[tuple[GoodWork, str]]:
        """The good work of the companies in the market, newest first, each with its company's name."""
        rows = self.conn.execute(
            "SELECT w.*, c.name AS company_name FROM good_work w JOIN companies c ON c.id = w.company "
            "WHERE c.in_market ORDER BY w.day DESC, w.id DESC"
        ).fetchall()
        return [(_work(row), row["company_name"]) for row in rows]

    def _works(self, where: str, args: tuple) -> list[GoodWork]:
        return [_work(row) for row in self.conn.execute(f"SELECT * FROM good_work {where}", args)]


def _work(row: sqlite3.Row) -> GoodWork:
    return GoodWork(**{key: row[key] for key in GoodWork.__dataclass_fields__})


def changes(was: Company, now: Company) -> str:
    """What changed between two versions of a company, field by field, for its history."""
    before, after = was.texts(), now.texts()
    said = []
    for key, label in LABELS.items():
        if before[key] != after[key]:
            said.append(f"{label}：{_short(before[key]) or '（空）'} → {_short(after[key]) or '（空）'}")
    return "；".join(said)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:58] + "…"
