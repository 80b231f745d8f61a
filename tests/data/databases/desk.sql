-- desk.db as its first schema made it, with a request accepted at the community: sqlite3 iterdump
BEGIN TRANSACTION;
CREATE TABLE attachments (
        request TEXT NOT NULL REFERENCES requests (id), doc TEXT NOT NULL, title TEXT NOT NULL,
        PRIMARY KEY (request, doc)
    );
CREATE TABLE categories (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
INSERT INTO "categories" VALUES('物业费',0);
INSERT INTO "categories" VALUES('维修资金',1);
INSERT INTO "categories" VALUES('漏水',2);
INSERT INTO "categories" VALUES('噪音',3);
INSERT INTO "categories" VALUES('停车',4);
INSERT INTO "categories" VALUES('装修',5);
INSERT INTO "categories" VALUES('电梯',6);
INSERT INTO "categories" VALUES('业委会',7);
INSERT INTO "categories" VALUES('其他',8);
CREATE TABLE history (
        id INTEGER PRIMARY KEY AUTOINCREMENT, request TEXT NOT NULL REFERENCES requests (id),
        at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL, level TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
INSERT INTO "history" VALUES(1,'ead238fc-18b6-46bb-8b11-5ed16c9a7fe3',1764900000.0,'居民','register','registered','community','');
INSERT INTO "history" VALUES(2,'ead238fc-18b6-46bb-8b11-5ed16c9a7fe3',1764910000.0,'花园调解员','accept','accepted','community','');
CREATE TABLE requests (
        id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, token TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL, community TEXT NOT NULL, town TEXT NOT NULL, category TEXT NOT NULL,
        text TEXT NOT NULL, company TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '', consent INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL, level TEXT NOT NULL, joint INTEGER NOT NULL DEFAULT 0,
        reopened INTEGER NOT NULL DEFAULT 0, handler TEXT NOT NULL DEFAULT '', answer TEXT NOT NULL DEFAULT '',
        rating TEXT NOT NULL DEFAULT '', created REAL NOT NULL, arrived REAL NOT NULL, due REAL,
        answered REAL, anonymised INTEGER NOT NULL DEFAULT 0
    );
INSERT INTO "requests" VALUES('ead238fc-18b6-46bb-8b11-5ed16c9a7fe3','184843','PoXXa6hXmVYseH3cYdDXbwrZ','dispute','花园社区','东城街道','漏水','楼上漏水到我家','示例物业','王阿姨','13800000000',0,'accepted','community',0,0,'花园调解员','','',1764900000.0,1764900000.0,1765504800.0,NULL,0);
CREATE INDEX requests_by_due ON requests (due);
CREATE INDEX history_by_request ON history (request, id);
COMMIT;
