-- editor.db as the kiosk of commit 56f4fa2 wrote it (before schema versions), with a few rows: sqlite3 iterdump
BEGIN TRANSACTION;
CREATE TABLE signin_failures (
        name TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked_until REAL NOT NULL DEFAULT 0
    );
INSERT INTO "signin_failures" VALUES('李管理',2,0.0);
CREATE TABLE trash (
        id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, title TEXT NOT NULL,
        trashed_at REAL NOT NULL, author TEXT NOT NULL
    );
INSERT INTO "trash" VALUES(1,'政策法规/旧通知.md','旧通知',1.79658624574306559559e+09,'王编辑');
CREATE TABLE users (
        name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, created REAL NOT NULL
    );
INSERT INTO "users" VALUES('王编辑','scrypt:32768:8:1$L1elICyzd9UzDBPR$9fbfba48ae80ce706ee2d835ae63aa73dd7d56ab6c15c6d83f002b9ea9d060409f49129fbe9be1ad3e504aa739f127af708519ac9d84de72517e76251c3fb3d2','editor',1.7965862456667258739e+09);
INSERT INTO "users" VALUES('李管理','scrypt:32768:8:1$UV2EYRRusUx6Nhvh$0cd9a0725942ff07fab26193e2f1beb937eff216805a019d0762a0e6cb554e72aaf027f82bb9ab0eb4a9baa513249a18feec8153ccbc574c4fd6eb453aabafc0','admin',1.79658624573776650431e+09);
CREATE TABLE versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, saved_at REAL NOT NULL,
        author TEXT NOT NULL, action TEXT NOT NULL, text TEXT NOT NULL
    );
INSERT INTO "versions" VALUES(1,'政策法规/业主委员会.md',1.79658624574091100689e+09,'王编辑','保存','# 业主委员会

第一版。
');
INSERT INTO "versions" VALUES(2,'政策法规/业主委员会.md',1.79658624574117016794e+09,'王编辑','发布','# 业主委员会

第二版。
');
CREATE INDEX versions_by_source ON versions (source, id);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('versions',2);
INSERT INTO "sqlite_sequence" VALUES('trash',1);
COMMIT;
