-- learning.db as the kiosk of commit 56f4fa2 wrote it (before schema versions), with a few rows: sqlite3 iterdump
BEGIN TRANSACTION;
CREATE TABLE attempts (
        id TEXT NOT NULL UNIQUE, learner TEXT NOT NULL, question TEXT NOT NULL, course TEXT NOT NULL DEFAULT '',
        answer TEXT NOT NULL, right INTEGER NOT NULL, at REAL NOT NULL
    );
INSERT INTO "attempts" VALUES('t1','046d610cb2d8','q1','c1','A',1,1.79658594574766039848e+09);
INSERT INTO "attempts" VALUES('t2','aebc73c83184','q2','c1','AB',0,1.79658604574766039849e+09);
CREATE TABLE completions (
        learner TEXT NOT NULL, course TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (learner, course)
    );
INSERT INTO "completions" VALUES('046d610cb2d8','c1',1.79658614574766039846e+09);
CREATE TABLE heard (
        learner TEXT NOT NULL, course TEXT NOT NULL, sentence TEXT NOT NULL, seconds REAL NOT NULL, at REAL NOT NULL,
        PRIMARY KEY (learner, course, sentence)
    );
INSERT INTO "heard" VALUES('046d610cb2d8','c1','s1',4.5,1.79658564574766039852e+09);
CREATE TABLE learners (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, town TEXT NOT NULL, community TEXT NOT NULL,
        pin_hash TEXT NOT NULL, card TEXT NOT NULL UNIQUE, created REAL NOT NULL,
        listened REAL NOT NULL DEFAULT 0,           -- seconds of audio credited so far: the listening clock
        generation INTEGER NOT NULL DEFAULT 0,      -- raised when the card or PIN changes: older sessions end
        failures INTEGER NOT NULL DEFAULT 0, locked_until REAL NOT NULL DEFAULT 0,
        UNIQUE (name, town, community)
    );
INSERT INTO "learners" VALUES('046d610cb2d8','张阿姨','东城街道','花园社区','scrypt:32768:8:1$gZCDkUmqSV3M2JXV$7f0edfb966c30eb67b06917160b0133bbed4ab4077a98c6959aa88505c4e6494a86eabe18c23ad64b444d2f44b210321d13fae226245763d1c551b0ef6ee3b20','_uvrbVAVAQ5jHEIzGE2jMg',1.79658264574766039843e+09,95.5,0,0,0.0);
INSERT INTO "learners" VALUES('aebc73c83184','李师傅','东城街道','幸福社区','scrypt:32768:8:1$Zw2eYQ2EtPXUc3kP$8be96318908fb82dac5401bdc3e63d8593ed8d937628e32134986e762de52dc5c0459dba500f409ba6daa63ae3887360bf9166dcdfb0f586a40247bc71b4320a','n-8BHXl-kGnbH11tods6bA',1.79658444574766039845e+09,0.0,0,0,0.0);
CREATE TABLE reports (
        learner TEXT NOT NULL, id TEXT NOT NULL, course TEXT NOT NULL, credited INTEGER NOT NULL,
        refused INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (learner, id)
    );
INSERT INTO "reports" VALUES('046d610cb2d8','r1','c1',1,0,1.79658564574766039852e+09);
CREATE INDEX learners_unit ON learners (town, community, name);
CREATE INDEX heard_at ON heard (at);
CREATE INDEX attempts_learner ON attempts (learner, question);
CREATE INDEX attempts_question ON attempts (question, at);
CREATE INDEX completions_at ON completions (at);
COMMIT;
