-- A collector database in PostgreSQL at schema version 1, as PostgresStore created it before
-- migration 2: schema_migrations with its one step, the tables and indexes of step 1 exactly as
-- released, and the rows of tests/data/storage/sqlite-v1-before-migrations.sql (three
-- submissions, one correcting another and one holding a NaN), with the sequences past them.
-- Written by hand from that migration; load it into an empty database with one PQexec.
-- Used by PostgresStoreTest.DatabaseOfVersionOneIsMigratedWithItsData.
BEGIN;
CREATE TABLE schema_migrations (
  version integer PRIMARY KEY,
  description text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO schema_migrations VALUES
  (1, 'submissions and observations with correction history', '2026-01-02 03:00:00+00');
CREATE TABLE submissions (
  id bigserial PRIMARY KEY,
  reporter text NOT NULL,
  submission_id text NOT NULL,
  digest text NOT NULL,
  received_at timestamptz NOT NULL,
  observation_count integer NOT NULL,
  corrections integer NOT NULL,
  UNIQUE (reporter, submission_id)
);
CREATE TABLE observations (
  id bigserial PRIMARY KEY,
  submission bigint NOT NULL REFERENCES submissions (id),
  reporter text NOT NULL,
  indicator text NOT NULL,
  care_form text NOT NULL,
  municipality text NOT NULL,
  period_start text NOT NULL,
  period_end text NOT NULL,
  granularity integer NOT NULL,
  value double precision NOT NULL,
  superseded_by bigint
);
CREATE INDEX observations_by_series
  ON observations (reporter, indicator, care_form, municipality, period_start, period_end, id);
CREATE UNIQUE INDEX observations_current
  ON observations (reporter, indicator, care_form, municipality, period_start, period_end)
  WHERE superseded_by IS NULL;
INSERT INTO submissions VALUES
  (1, 'urn:vroeg:provider:12345678', 'f-first', 'digest-first', '2026-01-02 03:04:05.123456+00', 4, 0),
  (2, 'urn:vroeg:provider:12345678', 'f-second', 'digest-second', '2026-01-02 04:04:05.123456+00', 1, 1),
  (3, 'urn:vroeg:municipality:GM0034', 'f-first', 'digest-municipality', '2026-01-02 05:04:05.123456+00', 1, 0);
INSERT INTO observations VALUES
  (1, 1, 'urn:vroeg:provider:12345678', 'wachtenden', 'verblijf', 'GM0034', '2026-01-01', '2026-01-31', 3, 12, 5),
  (2, 1, 'urn:vroeg:provider:12345678', 'plaatsen_operationeel', 'verblijf', '', '2026-01-05', '2026-01-11', 2, 20, NULL),
  (3, 1, 'urn:vroeg:provider:12345678', 'bedrijfsresultaat', '', '', '2026-01-01', '2026-03-31', 4, -61000.5, NULL),
  (4, 1, 'urn:vroeg:provider:12345678', 'wachttijd_intake_weken', 'verblijf', 'GM0034', '2026-01-01', '2026-01-31', 3, 'NaN', NULL),
  (5, 2, 'urn:vroeg:provider:12345678', 'wachtenden', 'verblijf', 'GM0034', '2026-01-01', '2026-01-31', 3, 14, NULL),
  (6, 3, 'urn:vroeg:municipality:GM0034', 'verwijzingen', 'verblijf', 'GM0034', '2026-01-01', '2026-01-31', 3, 7, NULL);
SELECT setval('submissions_id_seq', 3);
SELECT setval('observations_id_seq', 6);
COMMIT;
