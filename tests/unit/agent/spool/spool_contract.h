#ifndef VROEG_TESTS_UNIT_AGENT_SPOOL_SPOOL_CONTRACT_H_
#define VROEG_TESTS_UNIT_AGENT_SPOOL_SPOOL_CONTRACT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/spool/spool.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace vroeg {

// Makes the spool one contract test runs against. A factory is used by one test only.
class SpoolFactory {
 public:
  virtual ~SpoolFactory() = default;

  // Creates an empty spool holding at most about `max_bytes` and returns the first handle on
  // it. Called once, first. `clock` outlives the factory.
  virtual absl::StatusOr<std::unique_ptr<Spool>> Create(uint64_t max_bytes, const Clock* clock) = 0;

  // Returns a new handle on the spool made by Create(), as a restarted agent would get it. The
  // caller has destroyed the previous handle.
  virtual absl::StatusOr<std::unique_ptr<Spool>> Reopen() = 0;

  // What a person can read about a quarantined submission; empty when there is nothing.
  virtual std::string QuarantineRecord(uint64_t sequence, const std::string& submission_id) = 0;
};

struct SpoolContractParam {
  std::string name;  // used in test names
  std::function<std::unique_ptr<SpoolFactory>()> make_factory;
};

// The Spool contract. Every implementation instantiates it in its own test binary:
//
//   INSTANTIATE_TEST_SUITE_P(File, SpoolContractTest,
//                            testing::Values(SpoolContractParam{"file", ...}),
//                            SpoolContractParamName);
class SpoolContractTest : public ::testing::TestWithParam<SpoolContractParam> {
 protected:
  // Creates a spool with a limit far above what any test appends.
  void SetUp() override;

  // Replaces the spool with a new, empty one holding at most about `max_bytes`.
  void Recreate(uint64_t max_bytes);

  // Destroys the spool and reopens the same storage.
  void Reopen();

  // Appends `request` and returns its sequence; fails the test (and returns 0) on an error.
  uint64_t MustAppend(const api::v1::SubmitRequest& request,
                      const std::string& source = "aanbod-2026-01.csv");

  std::vector<SpooledSubmission> PeekAll();
  std::vector<std::string> PendingIds();

  FakeClock clock_{absl::FromUnixSeconds(1767323045) + absl::Microseconds(123456)};
  std::unique_ptr<SpoolFactory> factory_;
  std::unique_ptr<Spool> spool_;
};

std::string SpoolContractParamName(const ::testing::TestParamInfo<SpoolContractParam>& info);

// Prints the name, so that test listings stay readable.
void PrintTo(const SpoolContractParam& param, std::ostream* os);

// A realistic submission with `observations` observations of about 60 bytes each.
api::v1::SubmitRequest TestSubmission(const std::string& submission_id, int observations = 3);

}  // namespace vroeg

#endif  // VROEG_TESTS_UNIT_AGENT_SPOOL_SPOOL_CONTRACT_H_
