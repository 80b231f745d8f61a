-- usage.db as the kiosk of commit 56f4fa2 wrote it (before schema versions), with a few rows: sqlite3 iterdump
BEGIN TRANSACTION;
CREATE TABLE listens (
        day TEXT NOT NULL, doc TEXT NOT NULL, collection TEXT NOT NULL, plays INTEGER NOT NULL,
        seconds REAL NOT NULL, finished INTEGER NOT NULL, PRIMARY KEY (day, doc)
    );
INSERT INTO "listens" VALUES('2026-12-06','d1','政策法规',1,61.5,0);
CREATE TABLE searches (
        day TEXT NOT NULL, query TEXT NOT NULL, collection TEXT NOT NULL, hits INTEGER NOT NULL, times INTEGER NOT NULL,
        PRIMARY KEY (day, query, collection)
    );
INSERT INTO "searches" VALUES('2026-12-06','维修资金','',2,1);
INSERT INTO "searches" VALUES('2026-12-06','电梯加装','政策法规',0,1);
CREATE TABLE stops (
        day TEXT NOT NULL, doc TEXT NOT NULL, passage TEXT NOT NULL, tenth INTEGER NOT NULL, times INTEGER NOT NULL,
        PRIMARY KEY (day, doc, passage, tenth)
    );
INSERT INTO "stops" VALUES('2026-12-06','d1','p3',3,1);
COMMIT;
