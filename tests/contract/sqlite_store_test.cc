#include "server/storage/sqlite_store.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
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

}  // namespace
}  // namespace vroeg
