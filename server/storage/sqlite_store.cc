#include "server/storage/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "server/storage/schema_migrations.h"

namespace vroeg {
namespace {

// PRAGMA application_id marks the file as ours ("VROE"), so that Open can tell an empty new
// file from some other program's SQLite database.
constexpr int64_t kApplicationId = 0x56524F45;

// Append; never edit a released step. PRAGMA user_version mirrors the latest applied version, so
// that collectors from before schema_migrations also refuse a newer file.
constexpr SchemaMigration kMigrations[] = {
    // Version 1. Observations are never deleted: a correction inserts a new row and points the
    // row it replaces at it (superseded_by), so the rows of one series and period in id order
    // are its history. value is NULL for NaN, which SQLite cannot store as REAL.
    // superseded_by holds an observations.id but is deliberately not declared REFERENCES
    // observations (id): with a self-referencing foreign key SQLite rewrites every index entry
    // of the row on each UPDATE, which halved correction throughput. Commit only ever sets it
    // to the id of a row it inserted in the same transaction.
    // observations_current held every column start-up read at this version, so that start-up
    // was one scan of that index; superseded_by (always NULL in it) is there because SQLite 3.40
    // uses a partial index as covering only if it holds the columns of the query's WHERE clause.
    {1, "submissions and observations with correction history",
     R"sql(
CREATE TABLE submissions (
  id INTEGER PRIMARY KEY,
  reporter TEXT NOT NULL,
  submission_id TEXT NOT NULL,
  digest TEXT NOT NULL,
  received_at_us INTEGER NOT NULL,
  observation_count INTEGER NOT NULL,
  UNIQUE (reporter, submission_id)
) STRICT;
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
CREATE INDEX observations_by_series
  ON observations (reporter, indicator, care_form, municipality, period_start, period_end);
CREATE INDEX observations_current
  ON observations (reporter, indicator, care_form, municipality, period_start, period_end,
                   granularity, value, submission, superseded_by)
  WHERE superseded_by IS NULL;
)sql"},
    // Version 2. The region whose collector forwarded a submission; '' for one received from
    // its reporter directly, which is what every submission stored before was.
    {2, "region that forwarded each submission",
     R"sql(
ALTER TABLE submissions ADD COLUMN region TEXT NOT NULL DEFAULT '';
)sql"},
    // Version 3. observations_current with period_end before period_start, so that the values
    // of one series come newest first in one backward scan (ForEachRecent, start-up) without a
    // sort. Same name and columns: the supersede UPDATE compares all six key columns for
    // equality, so it uses this order as well as the old one.
    {3, "current values of each series ordered by period end",
     R"sql(
DROP INDEX observations_current;
CREATE INDEX observations_current
  ON observations (reporter, indicator, care_form, municipality, period_end, period_start,
                   granularity, value, submission, superseded_by)
  WHERE superseded_by IS NULL;
)sql"},
    // Version 4. At most one row: the collector's in-memory state as it was at its last clean
    // stop, and the highest observation id then (SaveCheckpoint). The next start takes it out
    // (TakeCheckpoint) and reads only the current values with a higher id.
    {4, "state checkpoint saved at a clean stop",
     R"sql(
CREATE TABLE state_checkpoint (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  position INTEGER NOT NULL,
  state BLOB NOT NULL,
  saved_at TEXT NOT NULL
) STRICT;
)sql"},
};
static_assert(MigrationsAreNumberedInOrder(kMigrations));
static_assert(static_cast<int64_t>(std::size(kMigrations)) == SqliteStore::kSchemaVersion);

constexpr const char* kCreateMigrationsTable = R"sql(
CREATE TABLE schema_migrations (
  version INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT;
)sql";
constexpr const char* kRecordMigration =
    "INSERT INTO schema_migrations (version, description, applied_at) "
    "VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
// Files made before schema_migrations existed carry their version in PRAGMA user_version only.
constexpr const char* kAdopted = "adopted: made before schema_migrations existed";

constexpr const char* kFindSubmission =
    "SELECT digest, received_at_us FROM submissions WHERE reporter = ?1 AND submission_id = ?2";
constexpr const char* kInsertSubmission =
    "INSERT INTO submissions (reporter, submission_id, digest, received_at_us, "
    "observation_count, region) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kInsertObservation =
    "INSERT INTO observations (submission, reporter, indicator, care_form, municipality, "
    "period_start, period_end, granularity, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
// INDEXED BY makes preparation fail rather than silently fall back to a table scan should the
// index ever be unusable for these statements.
constexpr const char* kSupersede =
    "UPDATE observations INDEXED BY observations_current SET superseded_by = ?1 "
    "WHERE reporter = ?2 AND indicator = ?3 AND care_form = ?4 AND municipality = ?5 "
    "AND period_start = ?6 AND period_end = ?7 AND superseded_by IS NULL AND id <> ?1";
constexpr const char* kHistory =
    "SELECT o.granularity, o.value, o.superseded_by IS NULL, s.submission_id, s.received_at_us "
    "FROM observations AS o INDEXED BY observations_by_series "
    "CROSS JOIN submissions AS s ON s.id = o.submission "
    "WHERE o.reporter = ?1 AND o.indicator = ?2 AND o.care_form = ?3 AND o.municipality = ?4 "
    "AND o.period_start = ?5 AND o.period_end = ?6 ORDER BY o.id";
// NOT INDEXED: a range of row ids, never a scan of observations_current.
constexpr const char* kCurrentAfter =
    "SELECT o.reporter, o.indicator, o.care_form, o.municipality, o.period_start, "
    "o.period_end, o.granularity, o.value, s.submission_id, s.received_at_us "
    "FROM observations AS o NOT INDEXED CROSS JOIN submissions AS s ON s.id = o.submission "
    "WHERE o.id > ?1 AND o.superseded_by IS NULL";
// max(id) of an INTEGER PRIMARY KEY is one seek.
constexpr const char* kSaveCheckpoint =
    "INSERT OR REPLACE INTO state_checkpoint (id, position, state, saved_at) "
    "VALUES (1, (SELECT coalesce(max(id), 0) FROM observations), ?1, "
    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
// The row is deleted when the statement first steps and the deletion commits when it is reset.
constexpr const char* kTakeCheckpoint =
    "DELETE FROM state_checkpoint WHERE id = 1 RETURNING position, state";
// Backwards through observations_current (version 3): series after series, each newest period
// first, reading only the index. kRecentAfter starts after (below) one series, to skip the rest
// of it.
#define VROEG_RECENT_SELECT                                                                      \
  "SELECT reporter, indicator, care_form, municipality, period_start, period_end, granularity, " \
  "value, submission FROM observations INDEXED BY observations_current "                         \
  "WHERE superseded_by IS NULL "
#define VROEG_RECENT_ORDER                                                                        \
  " ORDER BY reporter DESC, indicator DESC, care_form DESC, municipality DESC, period_end DESC, " \
  "period_start DESC"
constexpr const char* kRecent = VROEG_RECENT_SELECT VROEG_RECENT_ORDER;
constexpr const char* kRecentAfter = VROEG_RECENT_SELECT
    "AND (reporter, indicator, care_form, municipality) < (?1, ?2, ?3, ?4)" VROEG_RECENT_ORDER;
constexpr const char* kReporterNewest =
    "SELECT reporter, max(received_at_us) FROM submissions GROUP BY reporter";
constexpr const char* kSubmissionReceived =
    "SELECT submission_id, received_at_us FROM submissions WHERE id = ?1";
// ForEachObservation appends its filters and kExportOrder. The joins on superseded_by find the
// submission whose value replaced a row (NULL for a current one).
constexpr const char* kExportSelect =
    "SELECT o.reporter, o.indicator, o.care_form, o.municipality, o.period_start, "
    "o.period_end, o.granularity, o.value, s.submission_id, s.received_at_us, "
    "ns.submission_id, ns.received_at_us, s.region "
    "FROM observations AS o JOIN submissions AS s ON s.id = o.submission "
    "LEFT JOIN observations AS n ON n.id = o.superseded_by "
    "LEFT JOIN submissions AS ns ON ns.id = n.submission WHERE 1";
// id follows commit order within a series and period. BINARY collation: byte order.
constexpr const char* kExportOrder =
    " ORDER BY o.period_end, o.period_start, o.reporter, o.indicator, o.care_form, "
    "o.municipality, o.id";
constexpr const char* kCount =
    "SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM observations), "
    "(SELECT count(*) FROM observations INDEXED BY observations_current "
    "WHERE superseded_by IS NULL)";

// The default 2 MB page cache made start-up and inserts re-read index pages with pread. The
// cache is private memory, allocated as pages are used: up to 64 MiB.
constexpr const char* kCacheSettings = "PRAGMA cache_size = -65536;";
// An export reads the whole file once: through a memory map it takes rows from the kernel's page
// cache without copying them. The mapped pages count in the collector's RSS only while the
// export's connection is open; the store's own connection does not map the file, so that the
// collector's resident memory does not grow with the database.
constexpr const char* kExportReadSettings = "PRAGMA mmap_size = 1073741824;";

// How long an export's reader waits for a lock (e.g. while a checkpoint resets the WAL).
constexpr absl::Duration kReaderBusyTimeout = absl::Seconds(5);

constexpr absl::string_view kOpenHint =
    "check that the directory exists and is writable by the collector's user and that the disk "
    "is not full";

bool IsTransient(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return true;
    default:
      return false;
  }
}

std::string SqliteMessage(sqlite3* db, int rc) {
  return absl::StrCat(db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc), " (SQLite error ",
                      rc, ")");
}

absl::Status OpenError(const std::string& path, sqlite3* db, int rc) {
  if ((rc & 0xff) == SQLITE_NOTADB) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' is not a Vroeg database: ", SqliteMessage(db, rc),
                     "; check the storage path in the collector's configuration"));
  }
  std::string message = absl::StrCat("cannot use SQLite database '", path,
                                     "': ", SqliteMessage(db, rc), "; ", kOpenHint);
  return IsTransient(rc) ? absl::UnavailableError(message) : absl::FailedPreconditionError(message);
}

absl::Time FromMicros(int64_t micros) { return absl::FromUnixMicros(micros); }

absl::Time TruncateToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

// Resets a reused statement and drops its bindings when a use ends, whatever the outcome, so
// that no statement keeps a read transaction open or points at a caller's strings.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  ~StatementUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

// SQLITE_STATIC: every bound string outlives the statement use that reads it.
int BindOne(sqlite3_stmt* stmt, int index, absl::string_view text) {
  // A null pointer would bind NULL rather than the empty string.
  const char* data = text.data() != nullptr ? text.data() : "";
  return sqlite3_bind_text64(stmt, index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8);
}
int BindOne(sqlite3_stmt* stmt, int index, int64_t value) {
  return sqlite3_bind_int64(stmt, index, value);
}
int BindOne(sqlite3_stmt* stmt, int index, double value) {
  return sqlite3_bind_double(stmt, index, value);
}

// Binds `args` to parameters 1, 2, ...; returns the first error.
template <typename... Args>
int Bind(const StatementUse& use, const Args&... args) {
  int index = 0;
  int rc = SQLITE_OK;
  ((rc = rc == SQLITE_OK ? BindOne(use.get(), ++index, args) : rc), ...);
  return rc;
}

absl::string_view ColumnView(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  if (text == nullptr) return absl::string_view();
  return absl::string_view(reinterpret_cast<const char*>(text),
                           static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

void ColumnText(sqlite3_stmt* stmt, int column, std::string* out) {
  absl::string_view text = ColumnView(stmt, column);
  out->assign(text.data(), text.size());
}

double ColumnValue(sqlite3_stmt* stmt, int column) {
  if (sqlite3_column_type(stmt, column) == SQLITE_NULL) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return sqlite3_column_double(stmt, column);
}

type::v1::Granularity ColumnGranularity(sqlite3_stmt* stmt, int column) {
  int64_t value = sqlite3_column_int64(stmt, column);
  if (value < 0 || value > std::numeric_limits<int>::max() ||
      !type::v1::Granularity_IsValid(static_cast<int>(value))) {
    return type::v1::GRANULARITY_UNSPECIFIED;
  }
  return static_cast<type::v1::Granularity>(value);
}

int Exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

// Runs a one-row query on a fresh statement (not for hot paths).
int QueryOne(sqlite3* db, const char* sql, int64_t* number, std::string* text = nullptr) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    if (number != nullptr) *number = sqlite3_column_int64(stmt, 0);
    if (text != nullptr) ColumnText(stmt, 0, text);
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_ERROR;
  }
  sqlite3_finalize(stmt);
  return rc;
}

struct FileIdentity {
  int64_t application_id = 0;
  int64_t user_version = 0;
  int64_t schema_objects = 0;
  bool has_migrations_table = false;
  int64_t recorded_version = 0;  // the highest version in schema_migrations

  // Either record may be ahead: a newer collector writes both, an older one only user_version.
  int64_t version() const { return std::max(user_version, recorded_version); }
};

int ReadIdentity(sqlite3* db, FileIdentity* identity) {
  int64_t tables = 0;
  int rc = QueryOne(db, "PRAGMA application_id", &identity->application_id);
  if (rc == SQLITE_OK) rc = QueryOne(db, "PRAGMA user_version", &identity->user_version);
  if (rc == SQLITE_OK) {
    rc = QueryOne(db, "SELECT count(*) FROM sqlite_schema", &identity->schema_objects);
  }
  if (rc == SQLITE_OK) {
    rc = QueryOne(db,
                  "SELECT count(*) FROM sqlite_schema "
                  "WHERE type = 'table' AND name = 'schema_migrations'",
                  &tables);
  }
  identity->has_migrations_table = tables != 0;
  identity->recorded_version = 0;
  if (rc == SQLITE_OK && identity->has_migrations_table) {
    rc = QueryOne(db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                  &identity->recorded_version);
  }
  return rc;
}

absl::Status CheckIdentity(const std::string& path, const FileIdentity& identity) {
  if (identity.application_id != 0 && identity.application_id != kApplicationId) {
    return absl::FailedPreconditionError(absl::StrCat(
        "'", path, "' is not a Vroeg database (it belongs to another application, id ",
        identity.application_id, "); check the storage path in the collector's configuration"));
  }
  if (identity.version() > SqliteStore::kSchemaVersion) {
    return NewerSchemaError(absl::StrCat("SQLite database '", path, "'"), identity.version(),
                            SqliteStore::kSchemaVersion);
  }
  if (identity.application_id == 0 &&
      (identity.user_version != 0 || identity.schema_objects != 0)) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path,
                     "' is an SQLite database but not a Vroeg database; check the storage path in "
                     "the collector's configuration"));
  }
  return absl::OkStatus();
}

bool NeedsMigration(const FileIdentity& identity) {
  return !identity.has_migrations_table || identity.version() < SqliteStore::kSchemaVersion;
}

int RecordMigration(sqlite3* db, int64_t version, const char* description) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, kRecordMigration, -1, &stmt, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(stmt, 1, version);
  if (rc == SQLITE_OK) rc = sqlite3_bind_text(stmt, 2, description, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// Brings the file to kSchemaVersion, one write transaction per step, so that a crash or a second
// process never sees half a step, and each process re-reads the version once it holds the write
// lock. The first transaction creates schema_migrations, adopting the version of a file made
// before it existed.
absl::Status Migrate(const std::string& path, sqlite3* db) {
  for (;;) {
    int rc = Exec(db, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK) return OpenError(path, db, rc);
    auto fail = [&](int code) {
      absl::Status status = OpenError(path, db, code);
      Exec(db, "ROLLBACK");
      return status;
    };
    FileIdentity identity;
    if (rc = ReadIdentity(db, &identity); rc != SQLITE_OK) return fail(rc);
    if (absl::Status status = CheckIdentity(path, identity); !status.ok()) {
      Exec(db, "ROLLBACK");
      return status;
    }
    if (!NeedsMigration(identity)) {
      Exec(db, "ROLLBACK");
      return absl::OkStatus();
    }
    int64_t version = identity.version();
    if (!identity.has_migrations_table) {
      if (rc = Exec(db, kCreateMigrationsTable); rc != SQLITE_OK) return fail(rc);
      for (int64_t adopted = 1; adopted <= version; ++adopted) {
        if (rc = RecordMigration(db, adopted, kAdopted); rc != SQLITE_OK) return fail(rc);
      }
    } else {
      const SchemaMigration& step = kMigrations[version];
      if (rc = Exec(db, step.sql); rc != SQLITE_OK) return fail(rc);
      if (rc = RecordMigration(db, step.version, step.description); rc != SQLITE_OK) {
        return fail(rc);
      }
      version = step.version;
    }
    const std::string stamp = absl::StrCat("PRAGMA user_version = ", version,
                                           "; PRAGMA application_id = ", kApplicationId, ";");
    if (rc = Exec(db, stamp.c_str()); rc != SQLITE_OK) return fail(rc);
    if (rc = Exec(db, "COMMIT"); rc != SQLITE_OK) return fail(rc);
  }
}

// The first ten columns every observation query selects, in this order: reporter, indicator,
// care form, municipality, period start and end, granularity, value, submission id, received at.
void ReadObservation(sqlite3_stmt* row, StoredObservation* observation) {
  ColumnText(row, 0, &observation->series.reporter);
  ColumnText(row, 1, &observation->series.indicator);
  ColumnText(row, 2, &observation->series.care_form);
  ColumnText(row, 3, &observation->series.municipality);
  ColumnText(row, 4, &observation->period_start);
  ColumnText(row, 5, &observation->period_end);
  observation->granularity = ColumnGranularity(row, 6);
  observation->value = ColumnValue(row, 7);
  ColumnText(row, 8, &observation->submission_id);
  observation->received_at = FromMicros(sqlite3_column_int64(row, 9));
}

}  // namespace

void SqliteStore::Deleter::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void SqliteStore::Deleter::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

SqliteStore::SqliteStore(std::string path, Db db) : path_(std::move(path)), db_(std::move(db)) {}

SqliteStore::~SqliteStore() = default;

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  return Open(path, SqliteStoreOptions());
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                               const SqliteStoreOptions& options) {
  sqlite3* raw = nullptr;
  // NOMUTEX: the store's own mutex serialises every use of the connection.
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return OpenError(path, db.get(), rc);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(
      db.get(), static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(options.busy_timeout),
                                                   std::numeric_limits<int>::max())));
  // SQLite silently falls back to read-only when the file is write-protected.
  if (sqlite3_db_readonly(db.get(), "main") == 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("SQLite database '", path,
                     "' can only be opened read-only; check that the file and its "
                     "directory are writable by the collector's user"));
  }

  // Refuse a foreign or newer file before changing anything in it (journal mode included).
  FileIdentity identity;
  if (rc = ReadIdentity(db.get(), &identity); rc != SQLITE_OK) {
    return OpenError(path, db.get(), rc);
  }
  VROEG_RETURN_IF_ERROR(CheckIdentity(path, identity));

  std::string journal_mode;
  if (rc = QueryOne(db.get(), "PRAGMA journal_mode = WAL", nullptr, &journal_mode);
      rc != SQLITE_OK) {
    return OpenError(path, db.get(), rc);
  }
  if (journal_mode != "wal") {
    return absl::FailedPreconditionError(absl::StrCat(
        "SQLite database '", path, "' cannot use write-ahead logging (journal mode is '",
        journal_mode, "'); put it on a local file system"));
  }
  if (rc = Exec(db.get(), "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
      rc != SQLITE_OK) {
    return OpenError(path, db.get(), rc);
  }
  if (rc = Exec(db.get(), kCacheSettings); rc != SQLITE_OK) return OpenError(path, db.get(), rc);
  if (NeedsMigration(identity)) VROEG_RETURN_IF_ERROR(Migrate(path, db.get()));

  std::unique_ptr<SqliteStore> store(new SqliteStore(path, std::move(db)));
  VROEG_RETURN_IF_ERROR(store->Prepare());
  return store;
}

absl::Status SqliteStore::Prepare() {
  absl::MutexLock lock(&mu_);
  const std::pair<Stmt*, const char*> statements[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&find_submission_, kFindSubmission},
      {&insert_submission_, kInsertSubmission},
      {&insert_observation_, kInsertObservation},
      {&supersede_, kSupersede},
      {&history_, kHistory},
      {&current_after_, kCurrentAfter},
      {&save_checkpoint_, kSaveCheckpoint},
      {&take_checkpoint_, kTakeCheckpoint},
      {&recent_, kRecent},
      {&recent_after_, kRecentAfter},
      {&reporter_newest_, kReporterNewest},
      {&submission_received_, kSubmissionReceived},
      {&count_, kCount},
      {&data_version_, "PRAGMA data_version"},
  };
  for (const auto& [stmt, sql] : statements) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    stmt->reset(raw);
    if (rc != SQLITE_OK) {
      return absl::FailedPreconditionError(
          absl::StrCat("SQLite database '", path_, "' does not have the expected schema: ",
                       SqliteMessage(db_.get(), rc), "; restore a backup"));
    }
  }
  // counted_version_ is still unset, so the first Counts() counts: start-up does not wait for
  // a count of every row.
  VROEG_ASSIGN_OR_RETURN(state_version_, DataVersion());
  return absl::OkStatus();
}

std::vector<absl::StatusOr<CommitResult>> SqliteStore::CommitGroup(
    std::span<const SubmissionRecord* const> submissions) {
  std::vector<absl::StatusOr<CommitResult>> results;
  if (submissions.empty()) return results;
  results.reserve(submissions.size());
  absl::MutexLock lock(&mu_);
  if (absl::Status failed = CommitInTransaction(submissions, &results); !failed.ok()) {
    RollbackIfActive();
    results.clear();
    for (const SubmissionRecord* submission : submissions) {
      results.push_back(absl::UnavailableError(absl::StrCat(
          "storing submission '", submission->submission_id, "' from ", submission->reporter,
          " failed while ", failed.message(), "; nothing was stored, retry later")));
    }
    return results;
  }
  for (const absl::StatusOr<CommitResult>& result : results) {
    if (!result.ok() || result->duplicate) continue;
    counts_.submissions += 1;
    counts_.observations += result->stored;
    counts_.current += result->stored - result->corrections;
  }
  return results;
}

absl::Status SqliteStore::CommitInTransaction(std::span<const SubmissionRecord* const> submissions,
                                              std::vector<absl::StatusOr<CommitResult>>* results) {
  int rc;
  {
    StatementUse begin(begin_.get());
    if (rc = sqlite3_step(begin.get()); rc != SQLITE_DONE) {
      return absl::UnavailableError(
          absl::StrCat("starting a transaction: ", SqliteMessage(db_.get(), rc)));
    }
  }
  for (const SubmissionRecord* submission : submissions) {
    VROEG_RETURN_IF_ERROR(CommitOne(*submission, &results->emplace_back()));
  }
  StatementUse commit(commit_.get());
  if (rc = sqlite3_step(commit.get()); rc != SQLITE_DONE) {
    return absl::UnavailableError(absl::StrCat("committing: ", SqliteMessage(db_.get(), rc)));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::CommitOne(const SubmissionRecord& submission,
                                    absl::StatusOr<CommitResult>* result) {
  sqlite3* db = db_.get();
  auto fail = [&](absl::string_view step, int code) {
    return absl::UnavailableError(absl::StrCat(step, ": ", SqliteMessage(db, code)));
  };
  int rc;
  {
    // Also finds a submission committed earlier in the same transaction.
    StatementUse find(find_submission_.get());
    if (rc = Bind(find, submission.reporter, submission.submission_id); rc != SQLITE_OK) {
      return fail("looking up the submission id", rc);
    }
    rc = sqlite3_step(find.get());
    if (rc == SQLITE_ROW) {
      const absl::Time first = FromMicros(sqlite3_column_int64(find.get(), 1));
      if (ColumnView(find.get(), 0) != submission.digest) {
        *result = SubmissionIdReusedError(submission, first);
        return absl::OkStatus();
      }
      CommitResult duplicate;
      duplicate.duplicate = true;
      duplicate.committed_at = first;
      *result = duplicate;
      return absl::OkStatus();
    }
    if (rc != SQLITE_DONE) return fail("looking up the submission id", rc);
  }
  const int64_t received_us = absl::ToUnixMicros(submission.received_at);
  int64_t submission_row;
  {
    StatementUse insert(insert_submission_.get());
    rc = Bind(insert, submission.reporter, submission.submission_id, submission.digest, received_us,
              static_cast<int64_t>(submission.observations.size()), submission.region);
    if (rc == SQLITE_OK) rc = sqlite3_step(insert.get());
    if (rc != SQLITE_DONE) return fail("inserting the submission", rc);
    submission_row = sqlite3_last_insert_rowid(db);
  }
  uint32_t corrections = 0;
  for (const StoredObservation& observation : submission.observations) {
    const SeriesKey& series = observation.series;
    int64_t row;
    {
      StatementUse insert(insert_observation_.get());
      rc = Bind(insert, submission_row, submission.reporter, series.indicator, series.care_form,
                series.municipality, observation.period_start, observation.period_end,
                static_cast<int64_t>(observation.granularity), observation.value);
      if (rc == SQLITE_OK) rc = sqlite3_step(insert.get());
      if (rc != SQLITE_DONE) return fail("inserting an observation", rc);
      row = sqlite3_last_insert_rowid(db);
    }
    {
      StatementUse supersede(supersede_.get());
      rc = Bind(supersede, row, submission.reporter, series.indicator, series.care_form,
                series.municipality, observation.period_start, observation.period_end);
      if (rc == SQLITE_OK) rc = sqlite3_step(supersede.get());
      if (rc != SQLITE_DONE) return fail("recording a correction", rc);
      corrections += static_cast<uint32_t>(sqlite3_changes(db));
    }
  }
  CommitResult stored;
  stored.stored = static_cast<uint32_t>(submission.observations.size());
  stored.corrections = corrections;
  stored.committed_at = TruncateToMicros(submission.received_at);
  *result = stored;
  return absl::OkStatus();
}

void SqliteStore::RollbackIfActive() {
  // Some errors (disk full, I/O) make SQLite roll back by itself; ROLLBACK would then fail.
  if (sqlite3_get_autocommit(db_.get()) != 0) return;
  StatementUse rollback(rollback_.get());
  sqlite3_step(rollback.get());
}

absl::Status SqliteStore::ForEachCurrentAfter(
    int64_t position, const std::function<void(const StoredObservation&)>& fn) {
  absl::MutexLock lock(&mu_);
  StatementUse query(current_after_.get());
  sqlite3_stmt* stmt = query.get();
  int rc = Bind(query, position);
  // One object reused for every row, so that its strings keep their capacity.
  StoredObservation observation;
  while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    ReadObservation(stmt, &observation);
    observation.current = true;
    fn(observation);
    rc = SQLITE_OK;
  }
  if (rc != SQLITE_DONE) {
    return absl::UnavailableError(absl::StrCat("reading current observations from '", path_,
                                               "' failed: ", SqliteMessage(db_.get(), rc)));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::SaveCheckpoint(std::string_view state) {
  absl::MutexLock lock(&mu_);
  auto fail = [&](int code) {
    RollbackIfActive();
    return absl::UnavailableError(absl::StrCat("saving the state checkpoint in '", path_,
                                               "' failed: ", SqliteMessage(db_.get(), code)));
  };
  // The write lock first, so that no other connection can commit between the check and the save.
  {
    StatementUse begin(begin_.get());
    if (int rc = sqlite3_step(begin.get()); rc != SQLITE_DONE) return fail(rc);
  }
  absl::StatusOr<int64_t> version = DataVersion();
  if (!version.ok()) {
    RollbackIfActive();
    return version.status();
  }
  if (*version != state_version_) {
    RollbackIfActive();
    return absl::FailedPreconditionError(absl::StrCat(
        "another process committed to '", path_,
        "' since this collector read its state, so a checkpoint would miss its values; the next "
        "start reads the store instead"));
  }
  StatementUse save(save_checkpoint_.get());
  // A null pointer would bind NULL rather than an empty blob.
  int rc = sqlite3_bind_blob64(save.get(), 1, state.data() != nullptr ? state.data() : "",
                               state.size(), SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_step(save.get());
  if (rc != SQLITE_DONE) return fail(rc);
  StatementUse commit(commit_.get());
  if (rc = sqlite3_step(commit.get()); rc != SQLITE_DONE) return fail(rc);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StateCheckpoint>> SqliteStore::TakeCheckpoint() {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* take = take_checkpoint_.get();
  auto fail = [&](int code) {
    return absl::UnavailableError(absl::StrCat("taking the state checkpoint from '", path_,
                                               "' failed: ", SqliteMessage(db_.get(), code)));
  };
  VROEG_ASSIGN_OR_RETURN(state_version_, DataVersion());
  std::optional<StateCheckpoint> checkpoint;
  int rc = sqlite3_step(take);
  if (rc == SQLITE_ROW) {
    checkpoint.emplace();
    checkpoint->position = sqlite3_column_int64(take, 0);
    const void* blob = sqlite3_column_blob(take, 1);
    checkpoint->state.assign(blob != nullptr ? static_cast<const char*>(blob) : "",
                             static_cast<size_t>(sqlite3_column_bytes(take, 1)));
    rc = sqlite3_step(take);
  }
  // The deletion commits (or fails to) here.
  const int reset = sqlite3_reset(take);
  if (rc != SQLITE_DONE) return fail(rc);
  if (reset != SQLITE_OK) return fail(reset);
  return checkpoint;
}

absl::Status SqliteStore::ForEachRecent(size_t periods_per_series,
                                        const std::function<void(const RecentSeries&)>& fn) {
  absl::MutexLock lock(&mu_);
  sqlite3* db = db_.get();
  auto fail = [&](int code) {
    return absl::UnavailableError(absl::StrCat("reading recent observations from '", path_,
                                               "' failed: ", SqliteMessage(db, code)));
  };
  // One read transaction, so that every statement below reads the same snapshot.
  if (int rc = Exec(db, "BEGIN"); rc != SQLITE_OK) return fail(rc);
  absl::Status status = [&]() -> absl::Status {
    // No value of a reporter's series was received after its newest submission: a series whose
    // kept values reach that time needs none of its older values read.
    std::unordered_map<std::string, int64_t> reporter_newest;
    {
      StatementUse query(reporter_newest_.get());
      int rc;
      while ((rc = sqlite3_step(query.get())) == SQLITE_ROW) {
        reporter_newest[std::string(ColumnView(query.get(), 0))] =
            sqlite3_column_int64(query.get(), 1);
      }
      if (rc != SQLITE_DONE) return fail(rc);
    }
    struct Received {
      std::string submission_id;
      int64_t received_us;
    };
    // Submissions belong to one reporter, and the scan takes one reporter at a time.
    std::unordered_map<int64_t, Received> received;
    auto lookup = [&](int64_t id) -> absl::StatusOr<const Received*> {
      auto [it, inserted] = received.try_emplace(id);
      if (!inserted) return &it->second;
      StatementUse query(submission_received_.get());
      int rc = sqlite3_bind_int64(query.get(), 1, id);
      if (rc == SQLITE_OK) rc = sqlite3_step(query.get());
      if (rc != SQLITE_ROW) {
        received.erase(it);
        return fail(rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
      }
      ColumnText(query.get(), 0, &it->second.submission_id);
      it->second.received_us = sqlite3_column_int64(query.get(), 1);
      return &it->second;
    };
    // The submission of the previous row, which the next one often shares.
    const Received* submission = nullptr;
    int64_t submission_row = 0;
    // One object reused for every series, so that its strings keep their capacity.
    RecentSeries recent;
    SeriesKey& key = recent.series;
    auto same_series = [&](sqlite3_stmt* row) {
      return ColumnView(row, 3) == key.municipality && ColumnView(row, 2) == key.care_form &&
             ColumnView(row, 1) == key.indicator && ColumnView(row, 0) == key.reporter;
    };
    // The scan goes on from one series to the next, except where it skips the rest of a
    // series: it then seeks past it, bound to a copy of its key.
    StatementUse from_start(recent_.get());
    StatementUse after(recent_after_.get());
    SeriesKey skipped;
    sqlite3_stmt* row = from_start.get();
    int rc = sqlite3_step(row);
    while (rc == SQLITE_ROW) {
      const absl::string_view reporter = ColumnView(row, 0);
      if (reporter != key.reporter) {
        received.clear();
        submission = nullptr;
      }
      key.reporter.assign(reporter.data(), reporter.size());
      ColumnText(row, 1, &key.indicator);
      ColumnText(row, 2, &key.care_form);
      ColumnText(row, 3, &key.municipality);
      auto newest_possible = reporter_newest.find(key.reporter);
      const int64_t ceiling = newest_possible == reporter_newest.end()
                                  ? std::numeric_limits<int64_t>::max()
                                  : newest_possible->second;
      size_t kept = 0;
      int64_t newest_us = std::numeric_limits<int64_t>::min();
      bool skip = false;
      for (;;) {
        if (submission == nullptr || sqlite3_column_int64(row, 8) != submission_row) {
          submission_row = sqlite3_column_int64(row, 8);
          absl::StatusOr<const Received*> found = lookup(submission_row);
          if (!found.ok()) return found.status();
          submission = *found;
        }
        newest_us = std::max(newest_us, submission->received_us);
        if (kept < periods_per_series) {
          if (kept == recent.periods.size()) recent.periods.emplace_back();
          StoredObservation& observation = recent.periods[kept++];
          observation.series = key;
          ColumnText(row, 4, &observation.period_start);
          ColumnText(row, 5, &observation.period_end);
          observation.granularity = ColumnGranularity(row, 6);
          observation.value = ColumnValue(row, 7);
          observation.submission_id = submission->submission_id;
          observation.received_at = FromMicros(submission->received_us);
          observation.current = true;
        }
        if (kept == periods_per_series && newest_us >= ceiling) {
          skip = true;
          break;
        }
        if ((rc = sqlite3_step(row)) != SQLITE_ROW || !same_series(row)) break;
      }
      if (!skip && rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(rc);
      recent.periods.resize(kept);
      recent.newest_received = FromMicros(newest_us);
      fn(recent);
      if (skip) {
        sqlite3_reset(after.get());
        skipped = key;
        row = after.get();
        rc = Bind(after, skipped.reporter, skipped.indicator, skipped.care_form,
                  skipped.municipality);
        if (rc != SQLITE_OK) return fail(rc);
        rc = sqlite3_step(row);
      }
    }
    if (rc != SQLITE_DONE) return fail(rc);
    return absl::OkStatus();
  }();
  Exec(db, "COMMIT");
  return status;
}

absl::Status SqliteStore::ForEachObservation(
    const ExportQuery& query, const std::function<bool(const StoredObservation&)>& fn) {
  // Only placeholders go into the SQL; every value is bound.
  std::string sql = kExportSelect;
  std::vector<const std::string*> values;
  if (!query.history) absl::StrAppend(&sql, " AND o.superseded_by IS NULL");
  if (!query.period_end_from.empty()) {
    absl::StrAppend(&sql, " AND o.period_end >= ?");
    values.push_back(&query.period_end_from);
  }
  if (!query.period_end_to.empty()) {
    absl::StrAppend(&sql, " AND o.period_end <= ?");
    values.push_back(&query.period_end_to);
  }
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"o.reporter", &query.reporters},
      {"o.indicator", &query.indicators},
      {"o.care_form", &query.care_forms},
      {"o.municipality", &query.municipalities},
  };
  for (const auto& [column, list] : lists) {
    if (list->empty()) continue;
    absl::StrAppend(&sql, " AND ", column, " IN (");
    for (size_t i = 0; i < list->size(); ++i) {
      absl::StrAppend(&sql, i == 0 ? "?" : ", ?");
      values.push_back(&(*list)[i]);
    }
    absl::StrAppend(&sql, ")");
  }
  absl::StrAppend(&sql, kExportOrder);

  // A connection of its own, read-only: in WAL mode it reads its snapshot while commits go on
  // through the store's connection, however slowly `fn` takes the rows.
  sqlite3* raw_db = nullptr;
  int rc =
      sqlite3_open_v2(path_.c_str(), &raw_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  Db reader(raw_db);
  sqlite3* db = reader.get();
  auto fail = [&](int code) {
    return absl::UnavailableError(absl::StrCat("reading observations for an export from '", path_,
                                               "' failed: ", SqliteMessage(db, code)));
  };
  if (rc != SQLITE_OK) return fail(rc);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(absl::ToInt64Milliseconds(kReaderBusyTimeout)));
  if (rc = Exec(db, kExportReadSettings); rc != SQLITE_OK) return fail(rc);
  sqlite3_stmt* raw = nullptr;
  rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  Stmt stmt(raw);
  if (rc != SQLITE_OK) return fail(rc);
  for (size_t i = 0; i < values.size() && rc == SQLITE_OK; ++i) {
    rc = BindOne(stmt.get(), static_cast<int>(i + 1), absl::string_view(*values[i]));
  }
  if (rc != SQLITE_OK) return fail(rc);
  // One object reused for every row, so that its strings keep their capacity.
  StoredObservation observation;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    sqlite3_stmt* row = stmt.get();
    ReadObservation(row, &observation);
    observation.current = sqlite3_column_type(row, 10) == SQLITE_NULL;
    ColumnText(row, 10, &observation.superseded_by_submission_id);
    observation.superseded_at =
        observation.current ? absl::InfinitePast() : FromMicros(sqlite3_column_int64(row, 11));
    ColumnText(row, 12, &observation.region);
    if (!fn(observation)) return absl::OkStatus();
  }
  if (rc != SQLITE_DONE) return fail(rc);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StoredObservation>> SqliteStore::History(const SeriesKey& series,
                                                                    const std::string& period_start,
                                                                    const std::string& period_end) {
  absl::MutexLock lock(&mu_);
  StatementUse query(history_.get());
  sqlite3_stmt* stmt = query.get();
  std::vector<StoredObservation> history;
  int rc = Bind(query, series.reporter, series.indicator, series.care_form, series.municipality,
                period_start, period_end);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      StoredObservation& observation = history.emplace_back();
      observation.series = series;
      observation.period_start = period_start;
      observation.period_end = period_end;
      observation.granularity = ColumnGranularity(stmt, 0);
      observation.value = ColumnValue(stmt, 1);
      observation.current = sqlite3_column_int64(stmt, 2) != 0;
      ColumnText(stmt, 3, &observation.submission_id);
      observation.received_at = FromMicros(sqlite3_column_int64(stmt, 4));
    }
  }
  if (rc != SQLITE_DONE) {
    return absl::UnavailableError(
        absl::StrCat("reading history from '", path_, "' failed: ", SqliteMessage(db_.get(), rc)));
  }
  return history;
}

absl::StatusOr<StoreCounts> SqliteStore::Counts() {
  absl::MutexLock lock(&mu_);
  VROEG_ASSIGN_OR_RETURN(int64_t version, DataVersion());
  if (version != counted_version_) VROEG_RETURN_IF_ERROR(Recount());
  return counts_;
}

absl::StatusOr<int64_t> SqliteStore::DataVersion() {
  StatementUse query(data_version_.get());
  int rc = sqlite3_step(query.get());
  if (rc != SQLITE_ROW) {
    return absl::UnavailableError(absl::StrCat("reading the data version of '", path_,
                                               "' failed: ", SqliteMessage(db_.get(), rc)));
  }
  return sqlite3_column_int64(query.get(), 0);
}

absl::Status SqliteStore::Recount() {
  // Read the version first: a write by another connection between the two reads then only
  // causes one more recount later.
  VROEG_ASSIGN_OR_RETURN(int64_t version, DataVersion());
  StatementUse query(count_.get());
  int rc = sqlite3_step(query.get());
  if (rc != SQLITE_ROW) {
    return absl::UnavailableError(absl::StrCat("counting observations in '", path_,
                                               "' failed: ", SqliteMessage(db_.get(), rc)));
  }
  counts_.submissions = static_cast<uint64_t>(sqlite3_column_int64(query.get(), 0));
  counts_.observations = static_cast<uint64_t>(sqlite3_column_int64(query.get(), 1));
  counts_.current = static_cast<uint64_t>(sqlite3_column_int64(query.get(), 2));
  counted_version_ = version;
  return absl::OkStatus();
}

absl::StatusOr<SqliteStore::Settings> SqliteStore::ReadSettings() {
  absl::MutexLock lock(&mu_);
  sqlite3* db = db_.get();
  Settings settings;
  int64_t foreign_keys = 0;
  int rc = QueryOne(db, "PRAGMA journal_mode", nullptr, &settings.journal_mode);
  if (rc == SQLITE_OK) rc = QueryOne(db, "PRAGMA synchronous", &settings.synchronous);
  if (rc == SQLITE_OK) rc = QueryOne(db, "PRAGMA foreign_keys", &foreign_keys);
  if (rc == SQLITE_OK) rc = QueryOne(db, "PRAGMA busy_timeout", &settings.busy_timeout_ms);
  if (rc == SQLITE_OK) {
    rc = QueryOne(db, "SELECT max(version) FROM schema_migrations", &settings.schema_version);
  }
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(
        absl::StrCat("reading the settings of '", path_, "' failed: ", SqliteMessage(db, rc)));
  }
  settings.foreign_keys = foreign_keys != 0;
  return settings;
}

}  // namespace vroeg
