-- kiosk.db as the kiosk of commit 56f4fa2 wrote it (before schema versions), with a few rows: sqlite3 iterdump
BEGIN TRANSACTION;
CREATE TABLE documents (
        id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, collection TEXT NOT NULL,
        volume TEXT NOT NULL, ord INTEGER NOT NULL, status TEXT NOT NULL, level TEXT NOT NULL,
        effective TEXT NOT NULL, chars INTEGER NOT NULL, data TEXT NOT NULL
    );
INSERT INTO "documents" VALUES('2f0211d87548','政策法规/业主委员会.md','业主委员会的成立','政策法规','',2,'现行','','2024-06-01',68,'{"id": "2f0211d87548", "source": "政策法规/业主委员会.md", "title": "业主委员会的成立", "collection": "政策法规", "volume": "", "order": 2, "tags": ["业主委员会", "业主大会"], "origin": "测试编写", "effective": "2024-06-01", "status": "现行", "summary": "业主委员会由业主大会选举产生。", "level": "", "passages": [{"id": "title", "kind": "heading", "text": "业主委员会的成立", "headings": [], "level": 1, "article": null, "article_no": null}, {"id": "p447b5dea", "kind": "summary", "text": "业主委员会由业主大会选举产生。", "headings": [], "level": 0, "article": null, "article_no": null}, {"id": "p62979625", "kind": "paragraph", "text": "业主委员会是业主大会的执行机构，委员由业主大会选举。", "headings": [], "level": 0, "article": null, "article_no": null}, {"id": "pa6b0f144", "kind": "paragraph", "text": "成立业主委员会，要先召开业主大会会议。", "headings": [], "level": 0, "article": null, "article_no": null}]}');
CREATE TABLE files (
        source TEXT PRIMARY KEY, root TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
        hash TEXT NOT NULL, doc_id TEXT NOT NULL
    );
INSERT INTO "files" VALUES('政策法规/业主委员会.md','/tmp/mig/content',364,1796586054933218294,'cebc730f2086cf9078ad723a48e399b91b17c757','2f0211d87548');
CREATE TABLE speech (key TEXT PRIMARY KEY, spoken TEXT NOT NULL, duration REAL);
INSERT INTO "speech" VALUES('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','业主委员会由业主大会选举产生。',2.5);
INSERT INTO "speech" VALUES('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb','第二句。',NULL);
COMMIT;
