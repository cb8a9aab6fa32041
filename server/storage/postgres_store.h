#ifndef VROEG_SERVER_STORAGE_POSTGRES_STORE_H_
#define VROEG_SERVER_STORAGE_POSTGRES_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
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

namespace vroeg {

namespace postgres_internal {
// One libpq connection of the pool; defined in postgres_store.cc.
class Connection;
}  // namespace postgres_internal

struct PostgresStoreOptions {
  // libpq connection keywords and values (host, port, dbname, user, sslmode, sslrootcert,
  // connect_timeout, ...; see the libpq documentation). Never "password": see password_file.
  std::map<std::string, std::string> connection;
  // File whose first line is the password, read again for every new connection so that a
  // changed password needs no restart; it must not be readable by group or others. Empty: libpq
  // finds a password itself (PGPASSFILE, ~/.pgpass) or the server needs none.
  std::string password_file;
  // Connections kept open; each call uses one for its duration, so this many commits can run
  // at once. At least 1.
  int pool_size = 4;
  // How long a commit waits for another commit of the same reporter (commits of one reporter
  // take turns) before it gives up with UNAVAILABLE.
  absl::Duration lock_timeout = absl::Seconds(30);
};

// ObservationStore in a PostgreSQL database (version 14 or later), with the same semantics as
// SqliteStore: the same contract suite runs against both. Times are kept to the microsecond;
// "oldest first" in History and the choice of the current value follow commit order; NaN and
// infinities are stored as such.
//
// Durability: every Commit or CommitGroup is one transaction with synchronous_commit on, so OK
// means that PostgreSQL has flushed the commit to its write-ahead log on disk (and, when the
// server is configured with synchronous standbys, that they have it too). Whether that survives
// a power loss depends on the server's fsync setting, which ReadSettings reports.
//
// Concurrency: a pool of up to PostgresStoreOptions::pool_size connections, opened as needed.
// Commits of different reporters run in parallel; commits of one reporter take turns under a
// transaction-scoped advisory lock (a group holds those of all its reporters), so that two commits
// of the same submission id end as one stored and one duplicate, never as an error, and the history
// of a series is in commit order. Several collector processes may share one database; each
// handle counts the observations its own commits insert, so that SaveCheckpoint can tell when
// another one committed (ObservationStore::SaveCheckpoint).
//
// A lost connection (server restarted, network cut) fails the call that meets it with
// UNAVAILABLE, having written nothing (or, when the connection broke during COMMIT itself,
// possibly everything: a retry is then answered as a duplicate); every idle connection of the
// pool is then opened afresh before its next use.
//
// Thread-safety: thread-safe. ForEachCurrentAfter, ForEachRecent and
// ForEachObservation hold one connection while they call `fn`, which must not call back into the
// store (with a pool of one that would wait forever).
//
// Errors: Commit, ForEachCurrentAfter, ForEachRecent, History, Counts,
// SaveCheckpoint and TakeCheckpoint return UNAVAILABLE with PostgreSQL's message when the server
// cannot be reached or the statement fails; a failed Commit has written nothing unless the
// message says otherwise (above), a failed SaveCheckpoint or TakeCheckpoint has changed nothing
// unless the connection broke as the server committed. Commit returns INVALID_ARGUMENT, writing
// nothing, for text holding a NUL character, which PostgreSQL cannot store (the collector's
// validation lets none through); CommitGroup returns it for that submission only and commits the
// others. SaveCheckpoint returns FAILED_PRECONDITION, saving nothing, when another handle or
// process committed since this handle opened or last called TakeCheckpoint. The checkpoint's
// state is bytea, so it may hold any bytes.
class PostgresStore : public ObservationStore {
 public:
  // What the server reports for this store's connections, for start-up logs and tests.
  struct Settings {
    std::string server_version;      // e.g. "15.8"
    std::string synchronous_commit;  // "on"
    std::string fsync;               // "on" unless the server runs without crash safety
    std::string database;
    std::string user;
    int64_t schema_version = 0;  // the latest version recorded in schema_migrations
  };

  // The schema version this code writes; Open migrates older databases to it.
  static constexpr int64_t kSchemaVersion = 3;

  // Connects, and creates or migrates the schema: each missing step in its own transaction,
  // recorded in the table schema_migrations, with concurrent openers taking turns. Errors:
  // UNAVAILABLE when the server cannot be reached or refuses the login (the message names the
  // target, never a password); FAILED_PRECONDITION when the server is older than 14, the
  // password file is unusable, a migration step fails (e.g. the user may not create tables), or
  // the database has a newer schema than this code (nothing is changed then).
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(const PostgresStoreOptions& options);

  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;
  ~PostgresStore() override;

  std::vector<absl::StatusOr<CommitResult>> CommitGroup(
      std::span<const SubmissionRecord* const> submissions) override;
  // Streams the current values whose id (from one sequence, in commit order) is above
  // `position` through a cursor, a batch of rows at a time, from one snapshot: a range scan of
  // the primary key.
  absl::Status ForEachCurrentAfter(
      int64_t position, const std::function<void(const StoredObservation&)>& fn) override;
  // One statement: upserts the only row of the table state_checkpoint, with the state as bytea
  // and the largest observation id as the position, if the store's observation total (as
  // Counts reads it) is still the one this handle read at Open or its last TakeCheckpoint plus
  // what its own commits inserted since; otherwise FAILED_PRECONDITION, saving nothing. A
  // CommitGroup whose COMMIT may or may not have gone through counts as not stored, so a save
  // after it is refused, the safe side.
  absl::Status SaveCheckpoint(std::string_view state) override;
  // One statement: deletes that row, returning it, and reads the observation total from the
  // same snapshot as this handle's new baseline.
  absl::StatusOr<std::optional<StateCheckpoint>> TakeCheckpoint() override;
  // Numbers each series' current values by period with a window function over one snapshot
  // (PostgreSQL sorts the current values for it) and streams those kept through a cursor.
  absl::Status ForEachRecent(size_t periods_per_series,
                             const std::function<void(const RecentSeries&)>& fn) override;
  absl::StatusOr<std::vector<StoredObservation>> History(const SeriesKey& series,
                                                         const std::string& period_start,
                                                         const std::string& period_end) override;
  // A cursor in a REPEATABLE READ READ ONLY transaction, fetched 1000 rows at a time; every
  // filter is a bound parameter. Also INVALID_ARGUMENT for a filter value holding a NUL
  // character (nothing stored holds one).
  absl::Status ForEachObservation(const ExportQuery& query,
                                  const std::function<bool(const StoredObservation&)>& fn) override;
  // Sums per-submission figures kept with each submission, so it reads the submissions table
  // only, never the (much larger) observations.
  absl::StatusOr<StoreCounts> Counts() override;

  // Errors: UNAVAILABLE.
  absl::StatusOr<Settings> ReadSettings();

  // Where the data lives, for logs: "host=... port=... dbname=... user=..." (never a password).
  const std::string& target() const { return target_; }

 private:
  using Connection = postgres_internal::Connection;
  class Lease;

  PostgresStore(PostgresStoreOptions options, std::string target);

  // A connection of the pool for one call, opened when none is idle and the pool is not full;
  // waits while all are in use. Errors: UNAVAILABLE.
  absl::StatusOr<Lease> Acquire();
  // Takes back a connection; a broken one is closed, and every idle one is renewed before its
  // next use, as it most likely lost its server too.
  void Release(std::unique_ptr<Connection> connection);

  const PostgresStoreOptions options_;
  const std::string target_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  // Connections open or being opened, idle or in use.
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  // Raised whenever a connection is found broken; idle connections opened before are renewed.
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // The observation total read at Open or the last TakeCheckpoint, plus what this handle's
  // commits inserted after it: what SaveCheckpoint expects the store to hold.
  std::atomic<int64_t> observations_seen_ = 0;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_STORAGE_POSTGRES_STORE_H_
