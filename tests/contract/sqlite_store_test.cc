#include "server/storage/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/contract/observation_store_contract.h"
#include "tests/support/temp_dir.h"

namespace vroeg {
namespace {

// A database file in a fresh temporary directory, removed with the factory.
class SqliteStoreFactory : public StoreFactory {
 public:
  absl::StatusOr<std::unique_ptr<ObservationStore>> Create() override { return Open(); }
  absl::StatusOr<std::unique_ptr<ObservationStore>> Reopen() override { return Open(); }
  absl::StatusOr<std::unique_ptr<ObservationStore>> OpenAnother() override { return Open(); }

 private:
  absl::StatusOr<std::unique_ptr<ObservationStore>> Open() {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_.Sub("vroeg.db"));
    if (!store.ok()) return store.status();
    return std::unique_ptr<ObservationStore>(std::move(*store));
  }

  testing::TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, ObservationStoreContractTest,
                         ::testing::Values(ObservationStoreContractParam{
                             "sqlite", [] { return std::make_unique<SqliteStoreFactory>(); }}),
                         ObservationStoreContractParamName);

// SQLite-specific: an export reads through a connection of its own, so a commit during it
// neither waits for the export's end nor shows up in it.
TEST(SqliteExportTest, CommitsGoOnDuringAnExportWhichKeepsItsSnapshot) {
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir.Sub("vroeg.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  auto submission = [](const std::string& id, const std::string& municipality, double value) {
    SubmissionRecord record;
    record.reporter = "urn:vroeg:provider:12345678";
    record.submission_id = id;
    record.digest = id;
    record.received_at = absl::FromUnixSeconds(1767225600);
    StoredObservation& o = record.observations.emplace_back();
    o.series.indicator = "wachtenden";
    o.series.care_form = "verblijf";
    o.series.municipality = municipality;
    o.period_start = "2026-01-01";
    o.period_end = "2026-01-31";
    o.granularity = type::v1::GRANULARITY_MONTH;
    o.value = value;
    return record;
  };
  ASSERT_TRUE((*store)->Commit(submission("s1", "GM0034", 1)).ok());
  ASSERT_TRUE((*store)->Commit(submission("s2", "GM0303", 2)).ok());

  ExportQuery query;
  query.history = true;
  std::vector<std::string> seen;
  absl::Status committed_meanwhile = absl::UnknownError("not tried");
  absl::Status read = (*store)->ForEachObservation(query, [&](const StoredObservation& o) {
    seen.push_back(absl::StrCat(o.series.municipality, "=", o.value, o.current ? "" : " old"));
    if (seen.size() == 1) {
      // Another thread, as a submission would; joined here, so it must not wait for this read.
      std::thread writer(
          [&] { committed_meanwhile = (*store)->Commit(submission("s3", "GM0303", 3)).status(); });
      writer.join();
    }
    return true;
  });
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_TRUE(committed_meanwhile.ok()) << committed_meanwhile;
  EXPECT_EQ(seen, (std::vector<std::string>{"GM0034=1", "GM0303=2"}));

  seen.clear();
  ASSERT_TRUE((*store)
                  ->ForEachObservation(query,
                                       [&](const StoredObservation& o) {
                                         seen.push_back(absl::StrCat(o.series.municipality, "=",
                                                                     o.value,
                                                                     o.current ? "" : " old"));
                                         return true;
                                       })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"GM0034=1", "GM0303=2 old", "GM0303=3"}));
}

SubmissionRecord MigrationSubmission(
    const std::string& id, absl::Time received_at,
    std::vector<std::tuple<std::string, std::string, double>> periods) {
  SubmissionRecord record;
  record.reporter = "urn:vroeg:provider:12345678";
  record.submission_id = id;
  record.digest = id;
  record.received_at = received_at;
  for (const auto& [start, end, value] : periods) {
    StoredObservation& o = record.observations.emplace_back();
    o.series.indicator = "wachtenden";
    o.series.care_form = "verblijf";
    o.period_start = start;
    o.period_end = end;
    o.granularity = type::v1::GRANULARITY_MONTH;
    o.value = value;
  }
  return record;
}

// Everything ForEachRecent and ForEachCurrent read, one line per value, in a fixed order.
std::vector<std::string> ReadBack(ObservationStore& store) {
  std::vector<std::string> lines;
  auto line = [](absl::string_view prefix, const StoredObservation& o) {
    return absl::StrCat(prefix, " ", o.series.indicator, " ", o.period_start, "..", o.period_end,
                        "=", o.value, " ", o.submission_id, " ", absl::ToUnixMicros(o.received_at));
  };
  EXPECT_TRUE(store
                  .ForEachRecent(2,
                                 [&](const RecentSeries& recent) {
                                   lines.push_back(absl::StrCat(
                                       "newest ", absl::ToUnixMicros(recent.newest_received)));
                                   for (const StoredObservation& o : recent.periods) {
                                     lines.push_back(line("recent", o));
                                   }
                                 })
                  .ok());
  std::vector<std::string> current;
  EXPECT_TRUE(store
                  .ForEachCurrent(
                      [&](const StoredObservation& o) { current.push_back(line("current", o)); })
                  .ok());
  std::sort(current.begin(), current.end());
  lines.insert(lines.end(), current.begin(), current.end());
  return lines;
}

std::string Query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string result;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  } else {
    result = absl::StrCat("error: ", sqlite3_errmsg(db));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

// A file as a version-2 collector left it, with data, gets step 3 (the index of current values
// ordered by period end) and reads back as before; commits go on as before.
TEST(SqliteMigrationTest, DatabaseOfVersionTwoIsMigratedToThreeAndReadsTheSame) {
  testing::TempDir dir;
  const std::string path = dir.Sub("vroeg.db");
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  std::vector<std::string> before;
  {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    const SubmissionRecord submissions[] = {
        MigrationSubmission("s1", t0,
                            {{"2026-01-01", "2026-01-31", 1}, {"2026-02-01", "2026-02-28", 2}}),
        MigrationSubmission("s2", t0 + absl::Hours(1),
                            {{"2026-02-01", "2026-02-28", 3},
                             {"2026-02-22", "2026-02-28", std::nan("")},
                             {"2026-03-01", "2026-03-31", 4}}),
        // Backdated, and received last.
        MigrationSubmission("s3", t0 + absl::Hours(2), {{"2025-11-01", "2025-11-30", 5}}),
    };
    for (const SubmissionRecord& submission : submissions) {
      ASSERT_TRUE((*store)->Commit(submission).ok());
    }
    before = ReadBack(**store);
  }
  ASSERT_EQ(before.size(), 8u);
  // What step 3 changed, undone: version 2's index of current values and its records.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const int rc = sqlite3_exec(
        db,
        "BEGIN; DROP INDEX observations_current; "
        "CREATE INDEX observations_current ON observations (reporter, indicator, care_form, "
        "municipality, period_start, period_end, granularity, value, submission, superseded_by) "
        "WHERE superseded_by IS NULL; DROP TABLE state_checkpoint; "
        "DELETE FROM schema_migrations WHERE version >= 3; PRAGMA user_version = 2; COMMIT;",
        nullptr, nullptr, nullptr);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK);
  }
  ASSERT_EQ(Query(path, "SELECT max(version) FROM schema_migrations"), "2");

  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<SqliteStore::Settings> settings = (*store)->ReadSettings();
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->schema_version, 4);
  EXPECT_EQ(Query(path, "SELECT description FROM schema_migrations WHERE version = 3"),
            "current values of each series ordered by period end");
  EXPECT_EQ(Query(path, "PRAGMA user_version"), "4");
  EXPECT_THAT(Query(path, "SELECT sql FROM sqlite_schema WHERE name = 'observations_current'"),
              ::testing::HasSubstr("municipality, period_end, period_start,"));
  EXPECT_EQ(ReadBack(**store), before);

  ASSERT_TRUE((*store)
                  ->Commit(MigrationSubmission("s4", t0 + absl::Hours(3),
                                               {{"2026-03-01", "2026-03-31", 6}}))
                  .ok());
  absl::StatusOr<StoreCounts> counts = (*store)->Counts();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->observations, 7u);
  EXPECT_EQ(counts->current, 5u);
}

}  // namespace
}  // namespace vroeg
