#include "server/storage/sqlite_store.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/contract/observation_store_contract.h"

namespace vroeg {
namespace {

// A database file in a fresh temporary directory, removed with the factory.
class SqliteStoreFactory : public StoreFactory {
 public:
  SqliteStoreFactory() {
    std::string pattern = testing::TempDir() + "vroeg-sqlite-contract-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  }
  ~SqliteStoreFactory() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  absl::StatusOr<std::unique_ptr<ObservationStore>> Create() override { return Open(); }
  absl::StatusOr<std::unique_ptr<ObservationStore>> Reopen() override { return Open(); }

 private:
  absl::StatusOr<std::unique_ptr<ObservationStore>> Open() {
    if (dir_.empty()) return absl::InternalError("cannot create a temporary directory");
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(dir_ + "/vroeg.db");
    if (!store.ok()) return store.status();
    return std::unique_ptr<ObservationStore>(std::move(*store));
  }

  std::string dir_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, ObservationStoreContractTest,
                         testing::Values(ObservationStoreContractParam{
                             "sqlite", [] { return std::make_unique<SqliteStoreFactory>(); }}),
                         ObservationStoreContractParamName);

}  // namespace
}  // namespace vroeg
