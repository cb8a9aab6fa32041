-- A collector database as vroeg-collector wrote it before schema_migrations existed: the schema
-- of version 1, kept in PRAGMA user_version only. Made with that code (SqliteStore at commit
-- 6c2fe3a) from three submissions, one of them correcting another and one holding a NaN, then
-- dumped with `sqlite3 collector.db .dump`; the dump leaves out the two PRAGMAs at the end.
-- Used by SqliteStoreTest.DatabaseFromBeforeSchemaMigrationsIsAdoptedWithItsData.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE submissions (
  id INTEGER PRIMARY KEY,
  reporter TEXT NOT NULL,
  submission_id TEXT NOT NULL,
  digest TEXT NOT NULL,
  received_at_us INTEGER NOT NULL,
  observation_count INTEGER NOT NULL,
  UNIQUE (reporter, submission_id)
) STRICT;
INSERT INTO submissions VALUES(1,'urn:vroeg:provider:12345678','f-first','digest-first',1767323045123456,4);
INSERT INTO submissions VALUES(2,'urn:vroeg:provider:12345678','f-second','digest-second',1767326645123456,1);
INSERT INTO submissions VALUES(3,'urn:vroeg:municipality:GM0034','f-first','digest-municipality',1767330245123456,1);
CREATE TABLE observations (
  id INTEGER PRIMARY KEY,
  submission INTEGER NOT NULL REFERENCES submissions (id),
  reporter TEXT NOT NULL,
  indicator TEXT NOT NULL,
  care_form TEXT NOT NULL,
  municipality TEXT NOT NULL,
  period_start TEXT NOT NULL,
  period_end TEXT NOT NULL,
  granularity INTEGER NOT NULL,
  value REAL,
  superseded_by INTEGER
) STRICT;
INSERT INTO observations VALUES(1,1,'urn:vroeg:provider:12345678','wachtenden','verblijf','GM0034','2026-01-01','2026-01-31',3,12.0,5);
INSERT INTO observations VALUES(2,1,'urn:vroeg:provider:12345678','plaatsen_operationeel','verblijf','','2026-01-05','2026-01-11',2,20.0,NULL);
INSERT INTO observations VALUES(3,1,'urn:vroeg:provider:12345678','bedrijfsresultaat','','','2026-01-01','2026-03-31',4,-61000.5,NULL);
INSERT INTO observations VALUES(4,1,'urn:vroeg:provider:12345678','wachttijd_intake_weken','verblijf','GM0034','2026-01-01','2026-01-31',3,NULL,NULL);
INSERT INTO observations VALUES(5,2,'urn:vroeg:provider:12345678','wachtenden','verblijf','GM0034','2026-01-01','2026-01-31',3,14.0,NULL);
INSERT INTO observations VALUES(6,3,'urn:vroeg:municipality:GM0034','verwijzingen','verblijf','GM0034','2026-01-01','2026-01-31',3,7.0,NULL);
CREATE INDEX observations_by_series
  ON observations (reporter, indicator, care_form, municipality, period_start, period_end);
CREATE INDEX observations_current
  ON observations (reporter, indicator, care_form, municipality, period_start, period_end,
                   granularity, value, submission, superseded_by)
  WHERE superseded_by IS NULL;
COMMIT;
PRAGMA user_version = 1;
PRAGMA application_id = 1448234821;
