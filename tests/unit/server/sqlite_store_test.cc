#include "server/storage/sqlite_store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace vroeg {
namespace {

using ::testing::HasSubstr;
using ::vroeg::testing::TempDir;

// A second, plain connection to the same file, as another process would have.
class RawConnection {
 public:
  explicit RawConnection(const std::string& path) { sqlite3_open(path.c_str(), &db_); }
  ~RawConnection() { sqlite3_close(db_); }
  // Returns "" or SQLite's error message.
  std::string Exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK) return "";
    std::string message = error != nullptr ? error : "unknown error";
    sqlite3_free(error);
    return message;
  }
  std::string QueryText(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string result;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      result = text != nullptr ? reinterpret_cast<const char*>(text) : "NULL";
    } else {
      result = std::string("error: ") + sqlite3_errmsg(db_);
    }
    sqlite3_finalize(stmt);
    return result;
  }

 private:
  sqlite3* db_ = nullptr;
};

SubmissionRecord Submission(const std::string& id,
                            std::vector<std::pair<std::string, double>> values) {
  SubmissionRecord submission;
  submission.reporter = "urn:vroeg:provider:12345678";
  submission.submission_id = id;
  submission.digest = "digest-" + id;
  submission.received_at = absl::FromUnixSeconds(1767225600);
  for (const auto& [indicator, value] : values) {
    StoredObservation& observation = submission.observations.emplace_back();
    observation.series.indicator = indicator;
    observation.series.care_form = "jeugdhulp_verblijf";
    observation.period_start = "2026-01-01";
    observation.period_end = "2026-01-31";
    observation.granularity = type::v1::GRANULARITY_MONTH;
    observation.value = value;
  }
  return submission;
}

SeriesKey Series(const std::string& indicator) {
  return SeriesKey{"urn:vroeg:provider:12345678", indicator, "jeugdhulp_verblijf", ""};
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    path_ = dir_.path() + "/vroeg.db";
  }

  // Makes path_ the file of tests/data/storage/sqlite-v1-before-migrations.sql: schema version 1,
  // three submissions from reporters directly.
  void LoadFileFromBeforeMigrations() {
    const char* source = std::getenv("VROEG_SOURCE_DIR");
    ASSERT_NE(source, nullptr) << "run through ctest, which sets VROEG_SOURCE_DIR";
    const std::string dump = vroeg::testing::ReadWholeFile(
        std::string(source) + "/tests/data/storage/sqlite-v1-before-migrations.sql");
    ASSERT_FALSE(dump.empty());
    RawConnection raw(path_);
    ASSERT_EQ(raw.Exec(dump), "");
  }

  // Three submissions, six values, one of them corrected.
  static void ExpectCountsOfFileFromBeforeMigrations(SqliteStore& store) {
    absl::StatusOr<StoreCounts> counts = store.Counts();
    ASSERT_TRUE(counts.ok()) << counts.status();
    EXPECT_EQ(counts->submissions, 3u);
    EXPECT_EQ(counts->observations, 6u);
    EXPECT_EQ(counts->current, 5u);
  }

  // The region of every stored value, in export order, history included.
  static std::vector<std::string> Regions(SqliteStore& store) {
    ExportQuery everything;
    everything.history = true;
    std::vector<std::string> regions;
    absl::Status status = store.ForEachObservation(everything, [&](const StoredObservation& o) {
      regions.push_back(o.region);
      return true;
    });
    EXPECT_TRUE(status.ok()) << status;
    return regions;
  }

  TempDir dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, MissingDirectoryIsNamedInTheError) {
  const std::string path = dir_.path() + "/missing/vroeg.db";
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("directory exists and is writable"));
}

TEST_F(SqliteStoreTest, FileThatIsNotADatabaseIsRefusedAndLeftAlone) {
  const std::string content(2048, 'x');
  std::ofstream(path_) << content;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  EXPECT_THAT(store.status().message(), HasSubstr("not a Vroeg database"));
  std::ifstream in(path_);
  std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, content);
}

TEST_F(SqliteStoreTest, OtherSqliteDatabaseIsRefusedAndLeftAlone) {
  {
    RawConnection raw(path_);
    ASSERT_EQ(raw.Exec("CREATE TABLE contacts (name TEXT)"), "");
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("not a Vroeg database"));
  RawConnection raw(path_);
  EXPECT_EQ(raw.QueryText("PRAGMA journal_mode"), "delete");
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM sqlite_schema"), "1");
}

TEST_F(SqliteStoreTest, DatabaseOfANewerVersionIsRefused) {
  ASSERT_TRUE(SqliteStore::Open(path_).ok());
  {
    RawConnection raw(path_);
    ASSERT_EQ(raw.Exec("PRAGMA user_version = 999"), "");
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  EXPECT_THAT(store.status().message(), HasSubstr("written by a newer vroeg-collector"));
}

TEST_F(SqliteStoreTest, DatabaseWithANewerRecordedMigrationIsRefused) {
  ASSERT_TRUE(SqliteStore::Open(path_).ok());
  {
    RawConnection raw(path_);
    ASSERT_EQ(raw.Exec("INSERT INTO schema_migrations VALUES (5, 'from a newer collector', "
                       "'2030-01-01T00:00:00.000Z')"),
              "");
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  EXPECT_THAT(store.status().message(), HasSubstr("has schema version 5"));
  EXPECT_THAT(store.status().message(), HasSubstr("knows schema versions up to 4"));
  EXPECT_THAT(store.status().message(), HasSubstr("run the newer vroeg-collector"));
  RawConnection raw(path_);
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM schema_migrations"), "5");
  EXPECT_EQ(raw.QueryText("PRAGMA user_version"), "4");
}

TEST_F(SqliteStoreTest, NewDatabaseRecordsEachMigration) {
  ASSERT_TRUE(SqliteStore::Open(path_).ok());
  ASSERT_TRUE(SqliteStore::Open(path_).ok());
  RawConnection raw(path_);
  EXPECT_EQ(raw.QueryText("SELECT group_concat(version || ' ' || description, '; ') "
                          "FROM schema_migrations"),
            "1 submissions and observations with correction history; "
            "2 region that forwarded each submission; "
            "3 current values of each series ordered by period end; "
            "4 state checkpoint saved at a clean stop");
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM schema_migrations "
                          "WHERE applied_at GLOB '20[0-9][0-9]-[01][0-9]-[0-3][0-9]T*Z'"),
            "4");
}

// A file written by the code before schema_migrations existed (tests/data/storage) keeps all its
// data and behaves as one written now.
TEST_F(SqliteStoreTest, DatabaseFromBeforeSchemaMigrationsIsAdoptedWithItsData) {
  ASSERT_NO_FATAL_FAILURE(LoadFileFromBeforeMigrations());
  {
    RawConnection raw(path_);
    ASSERT_EQ(raw.QueryText("SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'"),
              "0");
  }

  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  {
    RawConnection raw(path_);
    EXPECT_EQ(raw.QueryText("SELECT group_concat(version || ' ' || description, '; ') "
                            "FROM schema_migrations"),
              "1 adopted: made before schema_migrations existed; "
              "2 region that forwarded each submission; "
              "3 current values of each series ordered by period end; "
              "4 state checkpoint saved at a clean stop");
    EXPECT_EQ(raw.QueryText("PRAGMA user_version"), "4");
  }

  ExpectCountsOfFileFromBeforeMigrations(**store);
  const absl::Time first = absl::FromUnixMicros(1767323045123456);
  const SeriesKey waiting{"urn:vroeg:provider:12345678", "wachtenden", "verblijf", "GM0034"};
  absl::StatusOr<std::vector<StoredObservation>> history =
      (*store)->History(waiting, "2026-01-01", "2026-01-31");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].value, 12);
  EXPECT_EQ((*history)[0].submission_id, "f-first");
  EXPECT_EQ((*history)[0].received_at, first);
  EXPECT_FALSE((*history)[0].current);
  EXPECT_EQ((*history)[1].value, 14);
  EXPECT_TRUE((*history)[1].current);
  history = (*store)->History(
      {"urn:vroeg:provider:12345678", "wachttijd_intake_weken", "verblijf", "GM0034"}, "2026-01-01",
      "2026-01-31");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 1u);
  EXPECT_TRUE(std::isnan((*history)[0].value));
  int current = 0;
  ASSERT_TRUE((*store)->ForEachCurrent([&](const StoredObservation&) { ++current; }).ok());
  EXPECT_EQ(current, 5);
  // Everything stored before came from its reporters directly.
  EXPECT_EQ(Regions(**store), std::vector<std::string>(6, ""));

  // Submission ids used before the adoption are still known, and corrections still chain.
  SubmissionRecord resend;
  resend.reporter = "urn:vroeg:provider:12345678";
  resend.submission_id = "f-first";
  resend.digest = "digest-first";
  resend.received_at = first + absl::Hours(5);
  absl::StatusOr<CommitResult> result = (*store)->Commit(resend);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->duplicate);
  EXPECT_EQ(result->committed_at, first);
  resend.digest = "other";
  EXPECT_EQ((*store)->Commit(resend).status().code(), absl::StatusCode::kAlreadyExists);
  SubmissionRecord third = Submission("f-third", {});
  StoredObservation& correction = third.observations.emplace_back();
  correction.series = waiting;
  correction.period_start = "2026-01-01";
  correction.period_end = "2026-01-31";
  correction.granularity = type::v1::GRANULARITY_MONTH;
  correction.value = 16;
  third.region = "gooi-en-vechtstreek";
  result = (*store)->Commit(third);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->corrections, 1u);

  store->reset();
  ASSERT_TRUE(SqliteStore::Open(path_).ok());
  RawConnection raw(path_);
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM schema_migrations"), "4");
  EXPECT_EQ(raw.QueryText("SELECT group_concat(line, ' ') FROM (SELECT submission_id || '=' || "
                          "region AS line FROM submissions ORDER BY id)"),
            "f-first= f-second= f-first= f-third=gooi-en-vechtstreek");
}

// A file at schema version 1 as a collector with schema_migrations wrote it gets steps 2 to 4.
TEST_F(SqliteStoreTest, DatabaseOfVersionOneIsMigratedWithItsData) {
  ASSERT_NO_FATAL_FAILURE(LoadFileFromBeforeMigrations());
  {
    RawConnection raw(path_);
    ASSERT_EQ(raw.Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                       "description TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT; "
                       "INSERT INTO schema_migrations VALUES (1, 'submissions and observations "
                       "with correction history', '2026-01-02T03:00:00.000Z')"),
              "");
  }

  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<SqliteStore::Settings> settings = (*store)->ReadSettings();
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->schema_version, 4);
  {
    RawConnection raw(path_);
    EXPECT_EQ(raw.QueryText("SELECT group_concat(version || ' ' || description, '; ') "
                            "FROM schema_migrations"),
              "1 submissions and observations with correction history; "
              "2 region that forwarded each submission; "
              "3 current values of each series ordered by period end; "
              "4 state checkpoint saved at a clean stop");
    EXPECT_EQ(raw.QueryText("SELECT count(*) FROM schema_migrations WHERE version = 2 AND "
                            "applied_at GLOB '20[0-9][0-9]-[01][0-9]-[0-3][0-9]T*Z'"),
              "1");
    EXPECT_EQ(raw.QueryText("PRAGMA user_version"), "4");
  }
  ExpectCountsOfFileFromBeforeMigrations(**store);
  EXPECT_EQ(Regions(**store), std::vector<std::string>(6, ""));

  SubmissionRecord forwarded = Submission("f-forwarded", {{"wachtenden", 9}});
  forwarded.region = "gooi-en-vechtstreek";
  ASSERT_TRUE((*store)->Commit(forwarded).ok());
  std::vector<std::string> expected(6, "");
  expected.push_back("gooi-en-vechtstreek");
  std::vector<std::string> regions = Regions(**store);
  std::sort(regions.begin(), regions.end());
  EXPECT_EQ(regions, expected);
}

TEST_F(SqliteStoreTest, DurabilitySettingsAreInEffect) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<SqliteStore::Settings> settings = (*store)->ReadSettings();
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->journal_mode, "wal");
  EXPECT_EQ(settings->synchronous, 2);  // FULL
  EXPECT_TRUE(settings->foreign_keys);
  EXPECT_EQ(settings->busy_timeout_ms, 5000);
  EXPECT_EQ(settings->schema_version, SqliteStore::kSchemaVersion);

  // WAL is a property of the file, so another connection sees it too.
  RawConnection raw(path_);
  EXPECT_EQ(raw.QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.QueryText("PRAGMA user_version"), "4");
}

TEST_F(SqliteStoreTest, ReadOnlyFileIsRefused) {
  if (geteuid() == 0) GTEST_SKIP() << "file permissions do not bind root";
  ASSERT_TRUE(SqliteStore::Open(path_).ok());
  ASSERT_EQ(chmod(path_.c_str(), 0444), 0);
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  EXPECT_THAT(store.status().message(), HasSubstr("writable by the collector's user"));
}

TEST_F(SqliteStoreTest, LockedDatabaseIsUnavailableAndRetrySucceeds) {
  SqliteStoreOptions options;
  options.busy_timeout = absl::Milliseconds(20);
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_, options);
  ASSERT_TRUE(store.ok()) << store.status();
  RawConnection raw(path_);
  ASSERT_EQ(raw.Exec("BEGIN IMMEDIATE"), "");

  absl::StatusOr<CommitResult> result = (*store)->Commit(Submission("s1", {{"wachtenden", 3}}));
  ASSERT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("'s1'"));
  EXPECT_THAT(result.status().message(), HasSubstr("locked"));

  ASSERT_EQ(raw.Exec("ROLLBACK"), "");
  result = (*store)->Commit(Submission("s1", {{"wachtenden", 3}}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->duplicate);
  EXPECT_EQ(result->stored, 1u);
}

TEST_F(SqliteStoreTest, FailureHalfwayRollsBackTheWholeSubmission) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Commit(Submission("s1", {{"wachtenden", 1}})).ok());
  {
    RawConnection raw(path_);
    ASSERT_EQ(raw.Exec("CREATE TRIGGER fail BEFORE INSERT ON observations WHEN NEW.value = 666 "
                       "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"),
              "");
  }
  const SubmissionRecord second = Submission("s2", {{"wachtenden", 2}, {"instroom", 666}});
  absl::StatusOr<CommitResult> result = (*store)->Commit(second);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("injected failure"));

  absl::StatusOr<std::vector<StoredObservation>> history =
      (*store)->History(Series("wachtenden"), "2026-01-01", "2026-01-31");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 1u);
  EXPECT_TRUE((*history)[0].current);
  absl::StatusOr<StoreCounts> counts = (*store)->Counts();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->submissions, 1u);
  EXPECT_EQ(counts->observations, 1u);
  EXPECT_EQ(counts->current, 1u);

  {
    RawConnection raw(path_);
    ASSERT_EQ(raw.Exec("DROP TRIGGER fail"), "");
  }
  result = (*store)->Commit(second);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->duplicate);
  EXPECT_EQ(result->corrections, 1u);
}

TEST_F(SqliteStoreTest, FailureHalfwayThroughAGroupWritesNothingOfAnyMember) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Commit(Submission("s1", {{"wachtenden", 1}})).ok());
  {
    RawConnection raw(path_);
    ASSERT_EQ(raw.Exec("CREATE TRIGGER fail BEFORE INSERT ON observations WHEN NEW.value = 666 "
                       "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"),
              "");
  }
  const SubmissionRecord before = Submission("s2", {{"wachtenden", 2}});
  const SubmissionRecord failing = Submission("s3", {{"instroom", 666}});
  const SubmissionRecord after = Submission("s4", {{"wachtenden", 4}});
  const std::vector<const SubmissionRecord*> group = {&before, &failing, &after};
  std::vector<absl::StatusOr<CommitResult>> results = (*store)->CommitGroup(group);
  ASSERT_EQ(results.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(results[i].status().code(), absl::StatusCode::kUnavailable) << results[i].status();
    EXPECT_THAT(results[i].status().message(), HasSubstr("injected failure"));
    EXPECT_THAT(results[i].status().message(),
                HasSubstr(absl::StrCat("'", group[i]->submission_id, "'")));
  }
  absl::StatusOr<std::vector<StoredObservation>> history =
      (*store)->History(Series("wachtenden"), "2026-01-01", "2026-01-31");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 1u);
  absl::StatusOr<StoreCounts> counts = (*store)->Counts();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->submissions, 1u);
  EXPECT_EQ(counts->observations, 1u);

  {
    RawConnection raw(path_);
    ASSERT_EQ(raw.Exec("DROP TRIGGER fail"), "");
  }
  results = (*store)->CommitGroup(group);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->duplicate);
  }
  EXPECT_EQ(results[2]->corrections, 1u);
}

TEST_F(SqliteStoreTest, SupersededRowsPointAtTheirReplacement) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Commit(Submission("s1", {{"wachtenden", 1}, {"instroom", 1}})).ok());
  ASSERT_TRUE((*store)->Commit(Submission("s2", {{"wachtenden", 2}, {"wachtenden", 3}})).ok());
  ASSERT_TRUE((*store)->Commit(Submission("s3", {{"instroom", 4}, {"uitstroom", 5}})).ok());

  RawConnection raw(path_);
  // Every superseded row points at a later row of the same series and period.
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM observations AS o WHERE superseded_by IS NOT NULL "
                          "AND NOT EXISTS (SELECT 1 FROM observations AS n "
                          "WHERE n.id = o.superseded_by AND n.id > o.id "
                          "AND n.reporter = o.reporter AND n.indicator = o.indicator "
                          "AND n.care_form = o.care_form AND n.municipality = o.municipality "
                          "AND n.period_start = o.period_start AND n.period_end = o.period_end)"),
            "0");
  // At most one current row per series and period, and it is the latest.
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM (SELECT max(id) AS latest, "
                          "sum(superseded_by IS NULL) AS current_rows, "
                          "max(CASE WHEN superseded_by IS NULL THEN id END) AS current_id "
                          "FROM observations GROUP BY reporter, indicator, care_form, "
                          "municipality, period_start, period_end) "
                          "WHERE current_rows != 1 OR current_id != latest"),
            "0");
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM observations WHERE superseded_by IS NULL"), "3");
  EXPECT_EQ(raw.QueryText("SELECT count(*) FROM pragma_foreign_key_check"), "0");
}

TEST_F(SqliteStoreTest, CountsSeeCommitsOfAnotherConnection) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> writer = SqliteStore::Open(path_);
  ASSERT_TRUE(writer.ok()) << writer.status();
  absl::StatusOr<std::unique_ptr<SqliteStore>> reader = SqliteStore::Open(path_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE((*reader)->Counts().ok());

  ASSERT_TRUE((*writer)->Commit(Submission("s1", {{"wachtenden", 1}, {"instroom", 2}})).ok());
  ASSERT_TRUE((*writer)->Commit(Submission("s2", {{"wachtenden", 3}})).ok());

  absl::StatusOr<StoreCounts> counts = (*reader)->Counts();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->submissions, 2u);
  EXPECT_EQ(counts->observations, 3u);
  EXPECT_EQ(counts->current, 2u);
}

}  // namespace
}  // namespace vroeg
