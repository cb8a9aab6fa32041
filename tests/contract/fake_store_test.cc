#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "tests/contract/observation_store_contract.h"
#include "tests/fakes/fake_observation_store.h"

namespace vroeg {
namespace {

// Every handle shares the data of the first; Reopen and OpenAnother return a fresh handle on it.
class FakeStoreFactory : public StoreFactory {
 public:
  absl::StatusOr<std::unique_ptr<ObservationStore>> Create() override {
    return std::unique_ptr<ObservationStore>(origin_.NewHandle());
  }
  absl::StatusOr<std::unique_ptr<ObservationStore>> Reopen() override {
    return std::unique_ptr<ObservationStore>(origin_.NewHandle());
  }
  absl::StatusOr<std::unique_ptr<ObservationStore>> OpenAnother() override {
    return std::unique_ptr<ObservationStore>(origin_.NewHandle());
  }

 private:
  FakeObservationStore origin_;
};

INSTANTIATE_TEST_SUITE_P(Fake, ObservationStoreContractTest,
                         testing::Values(ObservationStoreContractParam{
                             "fake", [] { return std::make_unique<FakeStoreFactory>(); }}),
                         ObservationStoreContractParamName);

SubmissionRecord OneObservation(const std::string& submission_id) {
  SubmissionRecord submission;
  submission.reporter = "urn:vroeg:provider:12345678";
  submission.submission_id = submission_id;
  submission.digest = "digest-" + submission_id;
  submission.received_at = absl::FromUnixSeconds(1767225600);
  StoredObservation& observation = submission.observations.emplace_back();
  observation.series.indicator = "wachtenden";
  observation.series.care_form = "jeugdhulp_verblijf";
  observation.period_start = "2026-01-01";
  observation.period_end = "2026-01-31";
  observation.value = 4;
  return submission;
}

TEST(FakeObservationStoreTest, InjectedFailuresWriteNothingAndThenStop) {
  FakeObservationStore store;
  store.FailNextCommits(2);
  const SubmissionRecord submission = OneObservation("s1");

  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<CommitResult> result = store.Commit(submission);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  }
  absl::StatusOr<StoreCounts> counts = store.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->submissions, 0u);
  EXPECT_EQ(counts->observations, 0u);

  absl::StatusOr<CommitResult> result = store.Commit(submission);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->duplicate);
  EXPECT_EQ(result->stored, 1u);
  EXPECT_EQ(store.commit_calls(), 3);
}

TEST(FakeObservationStoreTest, AnInjectedFailureFailsEveryMemberOfAGroup) {
  FakeObservationStore store;
  store.FailNextCommits(1);
  const SubmissionRecord first = OneObservation("s1");
  const SubmissionRecord second = OneObservation("s2");
  const std::vector<const SubmissionRecord*> group = {&first, &second};
  std::vector<absl::StatusOr<CommitResult>> results = store.CommitGroup(group);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& result : results) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  }
  absl::StatusOr<StoreCounts> counts = store.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->submissions, 0u);

  results = store.CommitGroup(group);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].ok() && results[1].ok());
  EXPECT_EQ(store.commit_calls(), 2);
}

TEST(FakeObservationStoreTest, FailuresAreSharedByHandles) {
  FakeObservationStore store;
  std::unique_ptr<FakeObservationStore> other = store.NewHandle();
  store.FailNextCommits(1);
  EXPECT_EQ(other->Commit(OneObservation("s1")).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(store.Commit(OneObservation("s1")).ok());
  EXPECT_EQ(other->commit_calls(), 2);
}

}  // namespace
}  // namespace vroeg
