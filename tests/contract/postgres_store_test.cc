// The ObservationStore contract against PostgresStore on a real PostgreSQL server started for
// each test, and what only a client/server database can go through: the server killed and
// restarted, connections cut, commits racing on one submission id, passwords, migrations.
#include "server/storage/postgres_store.h"

#include <libpq-fe.h>

#include <atomic>
#include <cstdlib>
#include <latch>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/contract/observation_store_contract.h"
#include "tests/support/postgres_server.h"
#include "tests/support/temp_dir.h"

namespace vroeg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vroeg::testing::PostgresServer;
using ::vroeg::testing::PostgresServerOptions;

constexpr char kDatabase[] = "vroeg";
constexpr char kProvider[] = "urn:vroeg:provider:12345678";
constexpr char kOtherProvider[] = "urn:vroeg:provider:87654321";
// Every applied migration as "version description", oldest first, joined by "; ".
constexpr char kMigrationLog[] =
    "SELECT string_agg(version || ' ' || description, '; ' ORDER BY version) "
    "FROM schema_migrations";

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(PG_TEST_CONCAT_(statusor_, __LINE__), lhs, rexpr)
#define PG_TEST_CONCAT_INNER_(a, b) a##b
#define PG_TEST_CONCAT_(a, b) PG_TEST_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  ASSERT_TRUE(statusor.ok()) << statusor.status();       \
  lhs = std::move(statusor).value()

// A server and an empty database per test; Reopen and OpenAnother open a new store on the same
// database.
class PostgresStoreFactory : public StoreFactory {
 public:
  absl::StatusOr<std::unique_ptr<ObservationStore>> Create() override {
    auto server = PostgresServer::Start();
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    if (absl::Status status = server_->CreateDatabase(kDatabase); !status.ok()) return status;
    return Open();
  }
  absl::StatusOr<std::unique_ptr<ObservationStore>> Reopen() override { return Open(); }
  absl::StatusOr<std::unique_ptr<ObservationStore>> OpenAnother() override { return Open(); }

 private:
  absl::StatusOr<std::unique_ptr<ObservationStore>> Open() {
    PostgresStoreOptions options;
    options.connection = server_->Connection(kDatabase);
    auto store = PostgresStore::Open(options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<ObservationStore>(std::move(*store));
  }

  std::unique_ptr<PostgresServer> server_;
};

INSTANTIATE_TEST_SUITE_P(Postgres, ObservationStoreContractTest,
                         ::testing::Values(ObservationStoreContractParam{
                             "postgres", [] { return std::make_unique<PostgresStoreFactory>(); }}),
                         ObservationStoreContractParamName);

StoredObservation Obs(const std::string& indicator, double value,
                      const std::string& period_start = "2026-01-01",
                      const std::string& period_end = "2026-01-31") {
  StoredObservation observation;
  observation.series.indicator = indicator;
  observation.series.care_form = "verblijf";
  observation.period_start = period_start;
  observation.period_end = period_end;
  observation.granularity = type::v1::GRANULARITY_MONTH;
  observation.value = value;
  return observation;
}

SubmissionRecord Sub(const std::string& reporter, const std::string& id,
                     std::vector<StoredObservation> observations) {
  SubmissionRecord submission;
  submission.reporter = reporter;
  submission.submission_id = id;
  submission.digest = "digest-" + id;
  submission.received_at = absl::FromUnixMicros(1767323045123456);
  submission.observations = std::move(observations);
  return submission;
}

SeriesKey Series(const std::string& indicator, const std::string& reporter = kProvider) {
  return SeriesKey{reporter, indicator, "verblijf", ""};
}

// A plain libpq session of the test's own, e.g. to hold a lock across statements.
class RawSession {
 public:
  explicit RawSession(const PostgresServer& server) : connection_(server.Connection(kDatabase)) {
    std::vector<const char*> keywords, values;
    for (const auto& [keyword, value] : connection_) {
      keywords.push_back(keyword.c_str());
      values.push_back(value.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keywords.data(), values.data(), 0);
    EXPECT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
  }
  RawSession(const RawSession&) = delete;
  RawSession& operator=(const RawSession&) = delete;
  ~RawSession() { PQfinish(conn_); }

  // Returns "" or the error.
  std::string Exec(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    std::string error = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK
                            ? ""
                            : std::string(PQerrorMessage(conn_));
    PQclear(result);
    return error;
  }

 private:
  std::map<std::string, std::string> connection_;
  PGconn* conn_ = nullptr;
};

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartServer({})); }

  void StartServer(const PostgresServerOptions& options) {
    ASSERT_OK_AND_ASSIGN(server_, PostgresServer::Start(options));
    ASSERT_TRUE(server_->CreateDatabase(kDatabase).ok());
  }

  PostgresStoreOptions Options(int pool_size = 4) const {
    PostgresStoreOptions options;
    options.connection = server_->Connection(kDatabase);
    options.pool_size = pool_size;
    return options;
  }

  std::string Query(const std::string& sql) const {
    absl::StatusOr<std::string> result = server_->Query(kDatabase, sql);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : "";
  }

  std::unique_ptr<PostgresServer> server_;
};

TEST_F(PostgresStoreTest, DurabilitySettingsAreInEffectWhateverTheDatabaseDefaults) {
  // An operator's or a role's default must not weaken what an acknowledgement means.
  ASSERT_EQ(Query("ALTER DATABASE vroeg SET synchronous_commit = off"), "");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options()));
  ASSERT_OK_AND_ASSIGN(PostgresStore::Settings settings, store->ReadSettings());
  EXPECT_EQ(settings.synchronous_commit, "on");
  EXPECT_EQ(settings.fsync, "on");
  EXPECT_EQ(settings.database, "vroeg");
  EXPECT_EQ(settings.user, "postgres");
  EXPECT_EQ(settings.schema_version, PostgresStore::kSchemaVersion);
  EXPECT_THAT(store->target(), HasSubstr("dbname=vroeg"));
  EXPECT_THAT(store->target(), HasSubstr(absl::StrCat("port=", server_->port())));
}

TEST_F(PostgresStoreTest, MigrationsAreRecordedOnceWhenSeveralCollectorsOpenAtOnce) {
  constexpr int kOpeners = 4;
  std::latch start(kOpeners);
  std::vector<absl::Status> results(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = PostgresStore::Open(Options()).status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& status : results) EXPECT_TRUE(status.ok()) << status;

  EXPECT_EQ(Query("SELECT count(*) FROM schema_migrations"), "3");
  EXPECT_EQ(Query(kMigrationLog),
            "1 submissions and observations with correction history; "
            "2 region that forwarded each submission; "
            "3 state checkpoint saved at a clean stop");
  EXPECT_EQ(Query("SELECT count(*) FROM schema_migrations WHERE applied_at <= now()"), "3");
  // Opening again finds nothing to do.
  ASSERT_TRUE(PostgresStore::Open(Options()).ok());
  EXPECT_EQ(Query("SELECT count(*) FROM schema_migrations"), "3");
}

TEST_F(PostgresStoreTest, DatabaseOfANewerSchemaIsRefusedAndLeftAlone) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options()));
    ASSERT_TRUE(store->Commit(Sub(kProvider, "s1", {Obs("wachtenden", 3)})).ok());
  }
  ASSERT_EQ(Query("INSERT INTO schema_migrations (version, description) "
                  "VALUES (4, 'from a newer collector')"),
            "");

  absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(Options());
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("dbname=vroeg"));
  EXPECT_THAT(store.status().message(), HasSubstr("has schema version 4"));
  EXPECT_THAT(store.status().message(), HasSubstr("written by a newer vroeg-collector"));
  EXPECT_THAT(store.status().message(), HasSubstr("knows schema versions up to 3"));
  EXPECT_THAT(store.status().message(), HasSubstr("run the newer vroeg-collector"));
  EXPECT_EQ(Query("SELECT count(*) FROM schema_migrations"), "4");
  EXPECT_EQ(Query("SELECT count(*) FROM observations"), "1");
}

// A database written at schema version 1 (tests/data/storage) keeps all its data, its rows read
// back as received directly, and it takes forwarded submissions from then on.
TEST_F(PostgresStoreTest, DatabaseOfVersionOneIsMigratedWithItsData) {
  const char* source = std::getenv("VROEG_SOURCE_DIR");
  ASSERT_NE(source, nullptr) << "run through ctest, which sets VROEG_SOURCE_DIR";
  const std::string dump =
      vroeg::testing::ReadWholeFile(absl::StrCat(source, "/tests/data/storage/postgres-v1.sql"));
  ASSERT_FALSE(dump.empty());
  ASSERT_EQ(Query(dump), "");
  ASSERT_EQ(Query("SELECT max(version) FROM schema_migrations"), "1");

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options()));
  EXPECT_EQ(Query(kMigrationLog),
            "1 submissions and observations with correction history; "
            "2 region that forwarded each submission; "
            "3 state checkpoint saved at a clean stop");
  ASSERT_OK_AND_ASSIGN(PostgresStore::Settings settings, store->ReadSettings());
  EXPECT_EQ(settings.schema_version, 3);
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store->Counts());
  EXPECT_EQ(counts.submissions, 3u);
  EXPECT_EQ(counts.observations, 6u);
  EXPECT_EQ(counts.current, 5u);
  const SeriesKey waiting{kProvider, "wachtenden", "verblijf", "GM0034"};
  ASSERT_OK_AND_ASSIGN(std::vector<StoredObservation> history,
                       store->History(waiting, "2026-01-01", "2026-01-31"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].value, 12);
  EXPECT_EQ(history[0].submission_id, "f-first");
  EXPECT_EQ(history[0].received_at, absl::FromUnixMicros(1767323045123456));
  EXPECT_FALSE(history[0].current);
  EXPECT_EQ(history[1].value, 14);
  EXPECT_TRUE(history[1].current);

  auto export_lines = [&store] {
    ExportQuery everything;
    everything.history = true;
    std::vector<std::string> lines;
    EXPECT_TRUE(store
                    ->ForEachObservation(everything,
                                         [&](const StoredObservation& o) {
                                           lines.push_back(absl::StrCat(
                                               o.submission_id, " ", o.value, " '", o.region, "'"));
                                           return true;
                                         })
                    .ok());
    return lines;
  };
  EXPECT_THAT(export_lines(),
              ::testing::ElementsAre("f-first 20 ''", "f-first 7 ''", "f-first 12 ''",
                                     "f-second 14 ''", "f-first nan ''", "f-first -61000.5 ''"));

  // Ids used before the migration are still known, and corrections still chain.
  SubmissionRecord resend = Sub(kProvider, "f-first", {});
  resend.digest = "digest-first";
  resend.region = "gooi-en-vechtstreek";
  ASSERT_OK_AND_ASSIGN(CommitResult result, store->Commit(resend));
  EXPECT_TRUE(result.duplicate);
  SubmissionRecord third = Sub(kProvider, "f-third", {Obs("wachtenden", 16)});
  third.observations[0].series.municipality = "GM0034";
  third.region = "gooi-en-vechtstreek";
  ASSERT_OK_AND_ASSIGN(result, store->Commit(third));
  EXPECT_EQ(result.corrections, 1u);
  EXPECT_THAT(export_lines(),
              ::testing::ElementsAre("f-first 20 ''", "f-first 7 ''", "f-first 12 ''",
                                     "f-second 14 ''", "f-third 16 'gooi-en-vechtstreek'",
                                     "f-first nan ''", "f-first -61000.5 ''"));
  store.reset();
  ASSERT_TRUE(PostgresStore::Open(Options()).ok());
  EXPECT_EQ(Query("SELECT count(*) FROM schema_migrations"), "3");
}

TEST_F(PostgresStoreTest, DatabaseOfAnotherApplicationIsRefusedWithTheReason) {
  ASSERT_EQ(Query("CREATE TABLE submissions (name text)"), "");
  absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(Options());
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("migrating to schema version 1 failed"));
  EXPECT_THAT(store.status().message(), HasSubstr("already exists"));
  EXPECT_THAT(store.status().message(), HasSubstr("a database of its own"));
  // The failed step left nothing behind.
  EXPECT_EQ(Query("SELECT to_regclass('schema_migrations') IS NULL"), "t");
}

TEST_F(PostgresStoreTest, ServerKilledMidRunIsUnavailableThenRecoversWithoutLosingAcknowledged) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options()));
  constexpr int kPerSubmission = 20;
  // Submission k: its own series, plus a correction of one series every submission writes.
  auto submission = [&](int k) {
    std::vector<StoredObservation> observations;
    for (int i = 0; i < kPerSubmission - 1; ++i) {
      observations.push_back(Obs(absl::StrCat("own", k, "_", i), k * 100 + i));
    }
    observations.push_back(Obs("shared", k));
    return Sub(kProvider, absl::StrCat("s", k), std::move(observations));
  };

  // The writer behaves like an agent: it resends a submission until it is acknowledged.
  std::atomic<int> acknowledged{0};
  std::atomic<int> unavailable{0};
  std::atomic<int> other_errors{0};
  std::atomic<bool> stop{false};
  int unfinished = -1;  // a submission sent but not acknowledged when the writer stopped
  std::thread writer([&] {
    for (int k = 0; !stop.load(); ++k) {
      bool done = false;
      while (!done && !stop.load()) {
        absl::StatusOr<CommitResult> result = store->Commit(submission(k));
        if (result.ok()) {
          ++acknowledged;
          done = true;
        } else if (result.status().code() == absl::StatusCode::kUnavailable) {
          ++unavailable;
          absl::SleepFor(absl::Milliseconds(5));
        } else {
          ++other_errors;
          ADD_FAILURE() << result.status();
          absl::SleepFor(absl::Milliseconds(5));
        }
      }
      if (!done) unfinished = k;
    }
  });
  auto wait_until = [](const std::function<bool()>& done, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!done() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
    return done();
  };

  const bool progressed = wait_until([&] { return acknowledged.load() >= 20; }, absl::Seconds(60));
  ASSERT_TRUE(server_->Kill().ok());
  const int before_kill = acknowledged.load();
  const bool refused = wait_until([&] { return unavailable.load() >= 5; }, absl::Seconds(60));
  // Nothing can be acknowledged while the server is down (one commit may have been answered
  // just before the kill took effect).
  const int while_down = acknowledged.load() - before_kill;
  const absl::Status restarted = server_->Restart();
  const bool recovered =
      restarted.ok() &&
      wait_until([&] { return acknowledged.load() >= before_kill + 20; }, absl::Seconds(60));
  stop = true;
  writer.join();
  ASSERT_TRUE(progressed);
  ASSERT_TRUE(refused) << "no UNAVAILABLE after the kill";
  EXPECT_LE(while_down, 1);
  ASSERT_TRUE(restarted.ok()) << restarted;
  ASSERT_TRUE(recovered) << server_->Log();
  EXPECT_EQ(other_errors.load(), 0);

  // As an agent would, the submission left unacknowledged is sent once more: whether it was
  // stored or not, it is then stored once.
  int n = acknowledged.load();
  if (unfinished >= 0) {
    ASSERT_EQ(unfinished, n);
    ASSERT_TRUE(store->Commit(submission(unfinished)).ok());
    ++n;
  }
  // Every acknowledged submission is there whole, once, as a new store sees it after the crash.
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, PostgresStore::Open(Options()));
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store->Counts());
  EXPECT_EQ(counts.submissions, static_cast<uint64_t>(n));
  EXPECT_EQ(counts.observations, static_cast<uint64_t>(n) * kPerSubmission);
  EXPECT_EQ(counts.current, static_cast<uint64_t>(n) * (kPerSubmission - 1) + 1);
  EXPECT_EQ(Query("SELECT count(*) FROM observations WHERE superseded_by IS NULL"),
            absl::StrCat(counts.current));
  ASSERT_OK_AND_ASSIGN(std::vector<StoredObservation> shared,
                       store->History(Series("shared"), "2026-01-01", "2026-01-31"));
  ASSERT_EQ(shared.size(), static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) {
    EXPECT_EQ(shared[k].submission_id, absl::StrCat("s", k));
    EXPECT_EQ(shared[k].value, k);
    EXPECT_EQ(shared[k].current, k + 1 == n);
  }
  std::set<std::string> own;
  ASSERT_TRUE(store
                  ->ForEachCurrent([&](const StoredObservation& o) {
                    if (o.series.indicator != "shared") own.insert(o.series.indicator);
                  })
                  .ok());
  EXPECT_EQ(own.size(), static_cast<size_t>(n) * (kPerSubmission - 1));
  // A resend of an acknowledged submission is a duplicate.
  ASSERT_OK_AND_ASSIGN(CommitResult again, store->Commit(submission(n - 1)));
  EXPECT_TRUE(again.duplicate);
}

TEST_F(PostgresStoreTest, LostConnectionFailsOneCallAndTheNextReconnects) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options()));
  ASSERT_TRUE(store->Commit(Sub(kProvider, "s1", {Obs("wachtenden", 1)})).ok());

  ASSERT_NE(Query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                  "WHERE application_name = 'vroeg-collector'"),
            "0");
  for (int i = 0; i < 500 && Query("SELECT count(*) FROM pg_stat_activity "
                                   "WHERE application_name = 'vroeg-collector'") != "0";
       ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }

  const SubmissionRecord second = Sub(kProvider, "s2", {Obs("wachtenden", 2)});
  absl::StatusOr<CommitResult> result = store->Commit(second);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("'s2'"));
  EXPECT_THAT(result.status().message(), HasSubstr("nothing was stored"));

  ASSERT_OK_AND_ASSIGN(CommitResult retried, store->Commit(second));
  EXPECT_FALSE(retried.duplicate);
  EXPECT_EQ(retried.corrections, 1u);
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store->Counts());
  EXPECT_EQ(counts.submissions, 2u);
  EXPECT_EQ(counts.observations, 2u);
  EXPECT_EQ(counts.current, 1u);
}

TEST_F(PostgresStoreTest, RacingCommitsOfOneSubmissionIdStoreItOnce) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 20;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store,
                       PostgresStore::Open(Options(kThreads)));
  for (int round = 0; round < kRounds; ++round) {
    const SubmissionRecord submission =
        Sub(kProvider, absl::StrCat("same-", round),
            {Obs("wachtenden", round), Obs(absl::StrCat("instroom", round), 1),
             Obs(absl::StrCat("instroom", round), 2)});
    std::latch start(kThreads);
    std::vector<absl::StatusOr<CommitResult>> results(kThreads, absl::UnknownError("not run"));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        results[t] = store->Commit(submission);
      });
    }
    for (std::thread& thread : threads) thread.join();
    int stored = 0;
    for (const auto& result : results) {
      ASSERT_TRUE(result.ok()) << "round " << round << ": " << result.status();
      if (!result->duplicate) {
        ++stored;
        EXPECT_EQ(result->stored, 3u);
        EXPECT_EQ(result->corrections, round == 0 ? 1u : 2u);
      }
      EXPECT_EQ(result->committed_at, submission.received_at);
    }
    EXPECT_EQ(stored, 1) << "round " << round;
  }
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store->Counts());
  EXPECT_EQ(counts.submissions, static_cast<uint64_t>(kRounds));
  EXPECT_EQ(counts.observations, static_cast<uint64_t>(kRounds) * 3);
  EXPECT_EQ(counts.current, 1u + kRounds);
}

TEST_F(PostgresStoreTest, CommitsOfOtherReportersProceedWhileOneReporterWaits) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options()));
  // The lock a commit of kProvider takes, held by another session as a long commit would.
  RawSession holder(*server_);
  ASSERT_EQ(holder.Exec("BEGIN"), "");
  ASSERT_EQ(holder.Exec(absl::StrCat("SELECT pg_advisory_xact_lock(1448234821, hashtext('",
                                     kProvider, "'))")),
            "");

  absl::Notification waiting_done;
  absl::StatusOr<CommitResult> waiting = absl::UnknownError("not run");
  std::thread waiter([&] {
    waiting = store->Commit(Sub(kProvider, "s1", {Obs("wachtenden", 1)}));
    waiting_done.Notify();
  });
  // Once it waits for the lock, holding one of the pool's connections:
  const std::string waits =
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted";
  for (int i = 0; i < 2000 && Query(waits) != "1"; ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(Query(waits), "1");
  ASSERT_OK_AND_ASSIGN(CommitResult other,
                       store->Commit(Sub(kOtherProvider, "s1", {Obs("wachtenden", 5)})));
  EXPECT_FALSE(other.duplicate);
  EXPECT_FALSE(waiting_done.HasBeenNotified());

  ASSERT_EQ(holder.Exec("COMMIT"), "");
  waiter.join();
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_FALSE(waiting->duplicate);
}

TEST_F(PostgresStoreTest, CommitWaitingLongerThanTheLockTimeoutIsUnavailable) {
  PostgresStoreOptions options = Options();
  options.lock_timeout = absl::Milliseconds(100);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(options));
  RawSession holder(*server_);
  ASSERT_EQ(holder.Exec("BEGIN"), "");
  ASSERT_EQ(holder.Exec(absl::StrCat("SELECT pg_advisory_xact_lock(1448234821, hashtext('",
                                     kProvider, "'))")),
            "");
  absl::StatusOr<CommitResult> result = store->Commit(Sub(kProvider, "s1", {Obs("wachtenden", 1)}));
  ASSERT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("held its lock longer than 100ms"));
  ASSERT_EQ(holder.Exec("COMMIT"), "");
  ASSERT_TRUE(store->Commit(Sub(kProvider, "s1", {Obs("wachtenden", 1)})).ok());
}

TEST_F(PostgresStoreTest, FailureHalfwayRollsBackTheWholeSubmission) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options()));
  ASSERT_TRUE(store->Commit(Sub(kProvider, "s1", {Obs("wachtenden", 1)})).ok());
  ASSERT_EQ(Query("CREATE FUNCTION fail_on_666() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                  "IF NEW.value = 666 THEN RAISE EXCEPTION 'injected failure'; END IF; "
                  "RETURN NEW; END $$"),
            "");
  ASSERT_EQ(Query("CREATE TRIGGER fail BEFORE INSERT ON observations FOR EACH ROW "
                  "EXECUTE FUNCTION fail_on_666()"),
            "");
  const SubmissionRecord second =
      Sub(kProvider, "s2", {Obs("wachtenden", 2), Obs("instroom", 666)});
  absl::StatusOr<CommitResult> result = store->Commit(second);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("injected failure"));
  EXPECT_THAT(result.status().message(), HasSubstr("nothing was stored"));

  ASSERT_OK_AND_ASSIGN(std::vector<StoredObservation> history,
                       store->History(Series("wachtenden"), "2026-01-01", "2026-01-31"));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_TRUE(history[0].current);
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store->Counts());
  EXPECT_EQ(counts.submissions, 1u);
  EXPECT_EQ(counts.observations, 1u);

  ASSERT_EQ(Query("DROP TRIGGER fail ON observations"), "");
  ASSERT_OK_AND_ASSIGN(CommitResult retried, store->Commit(second));
  EXPECT_FALSE(retried.duplicate);
  EXPECT_EQ(retried.corrections, 1u);
}

TEST_F(PostgresStoreTest, FailureHalfwayThroughAGroupWritesNothingOfAnyMember) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options()));
  ASSERT_TRUE(store->Commit(Sub(kProvider, "s1", {Obs("wachtenden", 1)})).ok());
  ASSERT_EQ(Query("CREATE FUNCTION fail_on_666() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                  "IF NEW.value = 666 THEN RAISE EXCEPTION 'injected failure'; END IF; "
                  "RETURN NEW; END $$"),
            "");
  ASSERT_EQ(Query("CREATE TRIGGER fail BEFORE INSERT ON observations FOR EACH ROW "
                  "EXECUTE FUNCTION fail_on_666()"),
            "");
  const SubmissionRecord before = Sub(kProvider, "s2", {Obs("wachtenden", 2)});
  const SubmissionRecord failing = Sub("urn:vroeg:provider:87654321", "s3", {Obs("instroom", 666)});
  const SubmissionRecord after = Sub(kProvider, "s4", {Obs("wachtenden", 4)});
  const std::vector<const SubmissionRecord*> group = {&before, &failing, &after};
  std::vector<absl::StatusOr<CommitResult>> results = store->CommitGroup(group);
  ASSERT_EQ(results.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(results[i].status().code(), absl::StatusCode::kUnavailable) << results[i].status();
    EXPECT_THAT(results[i].status().message(), HasSubstr("injected failure"));
    EXPECT_THAT(results[i].status().message(), HasSubstr("nothing was stored"));
    EXPECT_THAT(results[i].status().message(),
                HasSubstr(absl::StrCat("'", group[i]->submission_id, "'")));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<StoredObservation> history,
                       store->History(Series("wachtenden"), "2026-01-01", "2026-01-31"));
  ASSERT_EQ(history.size(), 1u);
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store->Counts());
  EXPECT_EQ(counts.submissions, 1u);
  EXPECT_EQ(counts.observations, 1u);

  ASSERT_EQ(Query("DROP TRIGGER fail ON observations"), "");
  results = store->CommitGroup(group);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->duplicate);
  }
  EXPECT_EQ(results[2]->corrections, 1u);
}

TEST_F(PostgresStoreTest, ForEachCurrentStreamsMoreRowsThanOneBatch) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options()));
  constexpr int kRows = 25000;
  std::vector<StoredObservation> observations;
  for (int i = 0; i < kRows; ++i) observations.push_back(Obs(absl::StrCat("i", i), i));
  ASSERT_TRUE(store->Commit(Sub(kProvider, "big", observations)).ok());
  std::vector<StoredObservation> corrections;
  for (int i = 0; i < kRows; i += 100) corrections.push_back(Obs(absl::StrCat("i", i), -i));
  ASSERT_OK_AND_ASSIGN(CommitResult corrected, store->Commit(Sub(kProvider, "fix", corrections)));
  EXPECT_EQ(corrected.corrections, static_cast<uint32_t>(kRows / 100));

  std::map<std::string, double> seen;
  ASSERT_TRUE(store
                  ->ForEachCurrent([&](const StoredObservation& o) {
                    seen.emplace(o.series.indicator, o.value);
                  })
                  .ok());
  ASSERT_EQ(seen.size(), static_cast<size_t>(kRows));
  EXPECT_EQ(seen["i100"], -100);
  EXPECT_EQ(seen["i101"], 101);
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store->Counts());
  EXPECT_EQ(counts.current, static_cast<uint64_t>(kRows));
  EXPECT_EQ(Query("SELECT count(*) FROM observations WHERE superseded_by IS NULL"),
            absl::StrCat(kRows));
}

// A new database has no statistics until autovacuum gets to it (here: never). Looking up the
// values a commit replaces must still cost one index probe per value, not a scan of the
// reporter's rows per value, which once took 1.6 s for a commit of 1000. Counted in index
// tuples read, which PostgreSQL reports when a session ends.
TEST_F(PostgresStoreTest, ReplacedValuesAreFoundByTheirWholeKeyWithoutStatistics) {
  constexpr int kPerSubmission = 200;
  auto submission = [&](int k) {
    std::vector<StoredObservation> observations;
    for (int i = 0; i < kPerSubmission; ++i) {
      observations.push_back(Obs(absl::StrCat("i", i), k, absl::StrCat("2026-01-", k + 1),
                                 absl::StrCat("2026-01-", k + 1)));
    }
    return Sub(kProvider, absl::StrCat("s", k), std::move(observations));
  };
  auto index_tuples_read = [&] {
    // Sessions flush their statistics when they end.
    for (int i = 0; i < 1000 && Query("SELECT count(*) FROM pg_stat_activity "
                                      "WHERE application_name = 'vroeg-collector'") != "0";
         ++i) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    int64_t read = -1;
    EXPECT_TRUE(absl::SimpleAtoi(Query("SELECT idx_tup_read FROM pg_stat_user_indexes "
                                       "WHERE indexrelname = 'observations_current'"),
                                 &read));
    return read;
  };
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options(1)));
    ASSERT_EQ(Query("ALTER TABLE observations SET (autovacuum_enabled = false)"), "");
    for (int k = 0; k < 20; ++k) ASSERT_TRUE(store->Commit(submission(k)).ok());
  }
  const int64_t before = index_tuples_read();
  constexpr int kMeasured = 8;  // more than the 5 runs after which a generic plan is used
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options(1)));
    for (int k = 20; k < 20 + kMeasured; ++k) ASSERT_TRUE(store->Commit(submission(k)).ok());
  }
  const int64_t read = index_tuples_read() - before;
  EXPECT_EQ(Query("SELECT count(*) FROM pg_stats WHERE tablename = 'observations'"), "0");
  EXPECT_LE(read, 4 * kMeasured * kPerSubmission);
}

TEST_F(PostgresStoreTest, StringsThatNeedQuotingRoundTrip) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(Options()));
  const std::string odd = "a \"quoted\", {braced} back\\slash 'single' NULL ë";
  StoredObservation observation = Obs(odd, 1, "2026-01-01", "2026-01-31");
  observation.series.municipality = "NULL";
  ASSERT_TRUE(store->Commit(Sub(kProvider, "odd", {observation})).ok());
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> history,
      store->History(SeriesKey{kProvider, odd, "verblijf", "NULL"}, "2026-01-01", "2026-01-31"));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].series.indicator, odd);
  std::vector<StoredObservation> current;
  ASSERT_TRUE(
      store->ForEachCurrent([&](const StoredObservation& o) { current.push_back(o); }).ok());
  ASSERT_EQ(current.size(), 1u);
  EXPECT_EQ(current[0].series.indicator, odd);
  EXPECT_EQ(current[0].series.municipality, "NULL");

  StoredObservation nul = Obs(std::string("a\0b", 3), 1);
  EXPECT_EQ(store->Commit(Sub(kProvider, "nul", {nul})).status().code(),
            absl::StatusCode::kInvalidArgument);
}

class PostgresPasswordTest : public PostgresStoreTest {
 protected:
  static constexpr char kPassword[] = "s3cret 'with' \"quotes\"";
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartServer({.tcp = true, .password = kPassword}));
  }

  // Over TCP on 127.0.0.1, as a collector on another machine would connect.
  PostgresStoreOptions TcpOptions(const std::string& password_file) const {
    PostgresStoreOptions options;
    options.connection = {{"host", "127.0.0.1"},
                          {"port", absl::StrCat(server_->port())},
                          {"dbname", kDatabase},
                          {"user", server_->user()},
                          {"sslmode", "disable"}};
    options.password_file = password_file;
    return options;
  }

  testing::TempDir dir_;
};

TEST_F(PostgresPasswordTest, PasswordComesFromAPrivateFile) {
  const std::string file = dir_.WriteFile("password", std::string(kPassword) + "\n", 0600);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store, PostgresStore::Open(TcpOptions(file)));
  ASSERT_TRUE(store->Commit(Sub(kProvider, "s1", {Obs("wachtenden", 1)})).ok());
  EXPECT_THAT(store->target(), HasSubstr("host=127.0.0.1"));
  EXPECT_THAT(store->target(), Not(HasSubstr("s3cret")));
}

TEST_F(PostgresPasswordTest, WrongPasswordIsRefusedWithoutShowingIt) {
  const std::string file = dir_.WriteFile("password", "wrong-password-123\n", 0600);
  absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(TcpOptions(file));
  ASSERT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("password authentication failed"));
  EXPECT_THAT(store.status().message(), HasSubstr("host=127.0.0.1"));
  EXPECT_THAT(store.status().message(), Not(HasSubstr("wrong-password-123")));
}

TEST_F(PostgresPasswordTest, PasswordFileReadableByOthersOrPasswordInSettingsIsRefused) {
  const std::string file = dir_.WriteFile("password", kPassword, 0644);
  absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(TcpOptions(file));
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("storage.postgres.password_file"));
  EXPECT_THAT(store.status().message(), HasSubstr("chmod 600"));

  PostgresStoreOptions inline_password = TcpOptions("");
  inline_password.connection["password"] = kPassword;
  EXPECT_EQ(PostgresStore::Open(inline_password).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vroeg
