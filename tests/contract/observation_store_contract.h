#ifndef VROEG_TESTS_CONTRACT_OBSERVATION_STORE_CONTRACT_H_
#define VROEG_TESTS_CONTRACT_OBSERVATION_STORE_CONTRACT_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "server/storage/observation_store.h"

namespace vroeg {

// Makes the storage one contract test runs against. A factory is used by one test only.
class StoreFactory {
 public:
  virtual ~StoreFactory() = default;

  // Creates empty storage and returns the first handle on it. Called once, first.
  virtual absl::StatusOr<std::unique_ptr<ObservationStore>> Create() = 0;

  // Returns a new handle on the storage made by Create(), as a restarted collector would get
  // it. The caller has destroyed the previous handle.
  virtual absl::StatusOr<std::unique_ptr<ObservationStore>> Reopen() = 0;

  // A second handle on the storage made by Create(), open at the same time as the first, as
  // another collector process would have it.
  virtual absl::StatusOr<std::unique_ptr<ObservationStore>> OpenAnother() = 0;
};

struct ObservationStoreContractParam {
  std::string name;  // used in test names
  std::function<std::unique_ptr<StoreFactory>()> make_factory;
};

// The ObservationStore contract. Every implementation instantiates it in its own test binary:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, ObservationStoreContractTest,
//                            testing::Values(ObservationStoreContractParam{"sqlite", ...}),
//                            ObservationStoreContractParamName);
class ObservationStoreContractTest : public testing::TestWithParam<ObservationStoreContractParam> {
 protected:
  void SetUp() override;

  // Destroys the store and reopens the same storage.
  void Reopen();

  std::unique_ptr<StoreFactory> factory_;
  std::unique_ptr<ObservationStore> store_;
};

std::string ObservationStoreContractParamName(
    const testing::TestParamInfo<ObservationStoreContractParam>& info);

// Prints the name, so that test listings stay readable.
void PrintTo(const ObservationStoreContractParam& param, std::ostream* os);

}  // namespace vroeg

#endif  // VROEG_TESTS_CONTRACT_OBSERVATION_STORE_CONTRACT_H_
