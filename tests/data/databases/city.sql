-- city.db as the kiosk of commit 56f4fa2 wrote it (before schema versions), with a few rows: sqlite3 iterdump
BEGIN TRANSACTION;
CREATE TABLE completions (
        hub TEXT NOT NULL, day TEXT NOT NULL, town TEXT NOT NULL, community TEXT NOT NULL, course TEXT NOT NULL,
        learners INTEGER NOT NULL, PRIMARY KEY (hub, day, town, community, course)
    );
INSERT INTO "completions" VALUES('东城物业港','2025-06-01','东城街道','花园社区','c1',1);
CREATE TABLE days (
        hub TEXT NOT NULL, day TEXT NOT NULL, plays INTEGER NOT NULL, minutes REAL NOT NULL,
        searches INTEGER NOT NULL, unanswered INTEGER NOT NULL, PRIMARY KEY (hub, day)
    );
INSERT INTO "days" VALUES('东城物业港','2025-06-01',12,34.5,7,2);
CREATE TABLE hubs (hub TEXT PRIMARY KEY, reported REAL NOT NULL);
INSERT INTO "hubs" VALUES('东城物业港',1.79658624574766039852e+09);
CREATE TABLE questions (
        hub TEXT NOT NULL, day TEXT NOT NULL, query TEXT NOT NULL, times INTEGER NOT NULL,
        PRIMARY KEY (hub, day, query)
    );
INSERT INTO "questions" VALUES('东城物业港','2025-06-01','电梯加装',3);
CREATE TABLE texts (
        hub TEXT NOT NULL, day TEXT NOT NULL, doc TEXT NOT NULL, title TEXT NOT NULL, plays INTEGER NOT NULL,
        minutes REAL NOT NULL, PRIMARY KEY (hub, day, doc)
    );
INSERT INTO "texts" VALUES('东城物业港','2025-06-01','d1','业主委员会',5,20.0);
COMMIT;
