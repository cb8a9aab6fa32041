#ifndef VROEG_SERVER_STORAGE_SQLITE_STORE_H_
#define VROEG_SERVER_STORAGE_SQLITE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/storage/observation_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace vroeg {

struct SqliteStoreOptions {
  // How long a write waits for a lock held by another connection before it gives up with
  // UNAVAILABLE.
  absl::Duration busy_timeout = absl::Seconds(5);
};

// ObservationStore in one SQLite file, in WAL mode with synchronous=FULL, so that a Commit that
// returned OK survives a crash or power loss of the machine.
//
// Each Commit or CommitGroup is one write transaction, so a group of submissions shares one
// fdatasync of the WAL. The observations of a submission take the submission's
// reporter, submission id, received time and region; the same fields of each StoredObservation
// (and `current`) are ignored. Times are kept in whole microseconds (UTC): received_at and
// committed_at read back are truncated to the microsecond. "Oldest first" in History and the
// choice of the current value follow commit order, not received_at. NaN values are stored and
// read back as NaN.
//
// Thread-safety: thread-safe. The store holds one SQLite connection behind a mutex, so calls are
// serialised; ForEachCurrentAfter and ForEachRecent hold the mutex for the whole
// scan and `fn` must not call back into the store (that would deadlock). ForEachObservation reads
// through a connection of its own. Several processes may open the same file; they then wait for
// each other's writes for up to SqliteStoreOptions::busy_timeout.
//
// Errors: every method but Open and ReadSettings returns UNAVAILABLE with SQLite's message when
// SQLite fails (locked, I/O error, disk full, ...); a failed Commit has written nothing.
class SqliteStore : public ObservationStore {
 public:
  // The effective settings of the connection, read back from SQLite.
  struct Settings {
    std::string journal_mode;   // "wal"
    int64_t synchronous = 0;    // 2 = FULL
    bool foreign_keys = false;  // true
    int64_t busy_timeout_ms = 0;
    int64_t schema_version = 0;  // the latest version recorded in schema_migrations
  };

  // The schema version this code writes; Open migrates older files to it.
  static constexpr int64_t kSchemaVersion = 4;

  // Opens the database at `path`, creating the file if it does not exist, and applies the
  // missing schema migrations, one transaction each, recording them in the table
  // schema_migrations (PRAGMA user_version mirrors the latest). A file made before that table
  // existed (its version only in PRAGMA user_version) is adopted at that version, data intact.
  // Errors name the path and what to check:
  // FAILED_PRECONDITION when the file cannot be opened or written (missing directory,
  // permissions), is not a Vroeg database, was written by a newer vroeg-collector, or cannot
  // use WAL; UNAVAILABLE when SQLite fails transiently (locked, I/O error, disk full).
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           const SqliteStoreOptions& options);

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() override;

  std::vector<absl::StatusOr<CommitResult>> CommitGroup(
      std::span<const SubmissionRecord* const> submissions) override;
  // Reads the index of current values backwards, each series' values newest period first
  // (schema version 3). After the `periods_per_series` newest of a series it reads on only while
  // the series' newest received_at so far is older than its reporter's newest submission (an
  // older period may have been received later); otherwise it seeks to the next series. So it
  // reads about `periods_per_series` values per series when each reporter's latest submission
  // touched all of its series, and at worst every current value. One snapshot (a read
  // transaction).
  absl::Status ForEachRecent(size_t periods_per_series,
                             const std::function<void(const RecentSeries&)>& fn) override;
  // INSERT OR REPLACE of the one row of state_checkpoint (schema version 4) with the highest
  // observation id as its position, refused when PRAGMA data_version shows that another
  // connection committed since this one opened or last took the checkpoint.
  absl::Status SaveCheckpoint(std::string_view state) override;
  // DELETE ... RETURNING: read and removed in one transaction.
  absl::StatusOr<std::optional<StateCheckpoint>> TakeCheckpoint() override;
  // A range of row ids: as cheap as the number of observations after `position`.
  absl::Status ForEachCurrentAfter(
      int64_t position, const std::function<void(const StoredObservation&)>& fn) override;
  absl::StatusOr<std::vector<StoredObservation>> History(const SeriesKey& series,
                                                         const std::string& period_start,
                                                         const std::string& period_end) override;
  // Counts are kept in memory and recounted only after another connection wrote the file, so
  // this is cheap enough for every metrics scrape. The first call after Open counts every row
  // (about a second per 10M observations, holding up commits meanwhile), so that Open and thus
  // the collector's start-up do not wait for it.
  absl::StatusOr<StoreCounts> Counts() override;
  // One SELECT stepped row by row on a read-only connection of its own, opened for the call:
  // SQLite (in WAL mode) reads it in one snapshot while commits continue, and sorts beyond its
  // cache in temporary files.
  absl::Status ForEachObservation(const ExportQuery& query,
                                  const std::function<bool(const StoredObservation&)>& fn) override;

  // For start-up logs and tests. Errors: UNAVAILABLE.
  absl::StatusOr<Settings> ReadSettings();

  const std::string& path() const { return path_; }

 private:
  struct Deleter {
    void operator()(sqlite3* db) const;
    void operator()(sqlite3_stmt* stmt) const;
  };
  using Db = std::unique_ptr<sqlite3, Deleter>;
  using Stmt = std::unique_ptr<sqlite3_stmt, Deleter>;

  SqliteStore(std::string path, Db db);

  absl::Status Prepare();
  // Commits `submissions` in one transaction, appending one result per submission to
  // `results`. A failure of the transaction is returned as UNAVAILABLE naming the step, and
  // leaves the transaction to roll back.
  absl::Status CommitInTransaction(std::span<const SubmissionRecord* const> submissions,
                                   std::vector<absl::StatusOr<CommitResult>>* results)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores one submission inside the open transaction. A failure of the transaction is
  // returned as UNAVAILABLE naming the step; `*result` is then unset.
  absl::Status CommitOne(const SubmissionRecord& submission, absl::StatusOr<CommitResult>* result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RollbackIfActive() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Recount() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> DataVersion() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  // Declared before the statements so that they are finalized before the connection closes.
  Db db_ ABSL_GUARDED_BY(mu_);
  Stmt begin_ ABSL_GUARDED_BY(mu_);
  Stmt commit_ ABSL_GUARDED_BY(mu_);
  Stmt rollback_ ABSL_GUARDED_BY(mu_);
  Stmt find_submission_ ABSL_GUARDED_BY(mu_);
  Stmt insert_submission_ ABSL_GUARDED_BY(mu_);
  Stmt insert_observation_ ABSL_GUARDED_BY(mu_);
  Stmt supersede_ ABSL_GUARDED_BY(mu_);
  Stmt history_ ABSL_GUARDED_BY(mu_);
  Stmt current_after_ ABSL_GUARDED_BY(mu_);
  Stmt save_checkpoint_ ABSL_GUARDED_BY(mu_);
  Stmt take_checkpoint_ ABSL_GUARDED_BY(mu_);
  Stmt recent_ ABSL_GUARDED_BY(mu_);
  Stmt recent_after_ ABSL_GUARDED_BY(mu_);
  Stmt reporter_newest_ ABSL_GUARDED_BY(mu_);
  Stmt submission_received_ ABSL_GUARDED_BY(mu_);
  Stmt count_ ABSL_GUARDED_BY(mu_);
  Stmt data_version_ ABSL_GUARDED_BY(mu_);
  // Valid while PRAGMA data_version equals counted_version_ (no other connection has written).
  StoreCounts counts_ ABSL_GUARDED_BY(mu_);
  int64_t counted_version_ ABSL_GUARDED_BY(mu_) = -1;
  // PRAGMA data_version when this handle opened or last took the checkpoint: SaveCheckpoint
  // refuses once another connection has committed since.
  int64_t state_version_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_STORAGE_SQLITE_STORE_H_
