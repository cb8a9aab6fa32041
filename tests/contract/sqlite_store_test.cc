#include "server/storage/sqlite_store.h"

#include <memory>
#include <string>

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

}  // namespace
}  // namespace vroeg
