-- market.db as its first schema made it, with one company admitted, assessed and rated: sqlite3 iterdump
BEGIN TRANSACTION;
CREATE TABLE assessments (
        company INTEGER NOT NULL REFERENCES companies (id), quarter TEXT NOT NULL, unit TEXT NOT NULL,
        actor TEXT NOT NULL, at REAL NOT NULL, points TEXT NOT NULL, total INTEGER NOT NULL,
        note TEXT NOT NULL DEFAULT '', PRIMARY KEY (company, quarter, unit)
    );
INSERT INTO "assessments" VALUES(1,'2025Q4','幸福里社区','社区小李',1764920000.0,'{"service": 20, "fees": 12, "safety": 16, "complaints": 15, "community": 18}',81,'');
CREATE TABLE companies (
        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, registration TEXT NOT NULL UNIQUE,
        qualification TEXT NOT NULL DEFAULT '', contact TEXT NOT NULL DEFAULT '', phone TEXT NOT NULL DEFAULT '',
        party_org TEXT NOT NULL DEFAULT '', party_link TEXT NOT NULL DEFAULT '', intro TEXT NOT NULL DEFAULT '',
        in_market INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL
    );
INSERT INTO "companies" VALUES(1,'示例·青松物业服务有限公司','示例备001','一级','李经理','13800000001','青松物业党支部','与幸福里社区党委结对共建','青松物业是示例企业。',1,1764900000.0);
CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, company INTEGER NOT NULL REFERENCES companies (id),
        admit INTEGER NOT NULL, decided TEXT NOT NULL, reason TEXT NOT NULL, actor TEXT NOT NULL, at REAL NOT NULL
    );
INSERT INTO "decisions" VALUES(1,1,1,'2025-12-05','示例：中心会议决定入驻','中心老王',1764910000.0);
CREATE TABLE estates (
        company INTEGER NOT NULL REFERENCES companies (id), position INTEGER NOT NULL, name TEXT NOT NULL,
        community TEXT NOT NULL, PRIMARY KEY (company, name)
    );
INSERT INTO "estates" VALUES(1,0,'青松苑','幸福里社区');
CREATE TABLE history (
        id INTEGER PRIMARY KEY AUTOINCREMENT, company INTEGER NOT NULL REFERENCES companies (id),
        at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, note TEXT NOT NULL DEFAULT ''
    );
INSERT INTO "history" VALUES(1,1,1764900000.0,'中心老王','add','建档');
INSERT INTO "history" VALUES(2,1,1764910000.0,'中心老王','admit','2025-12-05：示例：中心会议决定入驻');
INSERT INTO "history" VALUES(3,1,1764920000.0,'社区小李','assess','幸福里社区考核2025Q4：81 分');
CREATE TABLE ratings (
        company INTEGER NOT NULL REFERENCES companies (id), quarter TEXT NOT NULL, phone TEXT NOT NULL,
        stars INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (company, quarter, phone)
    );
INSERT INTO "ratings" VALUES(1,'2025Q4','abababababababababababababababababababababababababababababababab',4,1764930000.0);
CREATE INDEX history_by_company ON history (company, id);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('companies',1);
INSERT INTO "sqlite_sequence" VALUES('history',3);
INSERT INTO "sqlite_sequence" VALUES('decisions',1);
COMMIT;
