#include "tests/fakes/fake_spool.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/agent/spool/spool_contract.h"

namespace vroeg {
namespace {

using ::testing::SizeIs;
using ::vroeg::testing::IsOk;
using ::vroeg::testing::StatusIs;

// Every handle shares the data of the first; Reopen returns a fresh handle on it.
class FakeSpoolFactory : public SpoolFactory {
 public:
  absl::StatusOr<std::unique_ptr<Spool>> Create(uint64_t max_bytes, const Clock* clock) override {
    origin_ = std::make_unique<FakeSpool>(clock, max_bytes);
    return std::unique_ptr<Spool>(origin_->NewHandle());
  }
  absl::StatusOr<std::unique_ptr<Spool>> Reopen() override {
    return std::unique_ptr<Spool>(origin_->NewHandle());
  }
  std::string QuarantineRecord(uint64_t sequence, const std::string& submission_id) override {
    for (const FakeSpool::QuarantinedSubmission& q : origin_->quarantined()) {
      if (q.submission.sequence == sequence &&
          q.submission.request.submission_id() == submission_id) {
        return absl::StrCat(q.reason, "\n", q.submission.source, "\n",
                            q.submission.request.DebugString());
      }
    }
    return "";
  }

 private:
  std::unique_ptr<FakeSpool> origin_;
};

INSTANTIATE_TEST_SUITE_P(Fake, SpoolContractTest,
                         ::testing::Values(SpoolContractParam{
                             "fake", [] { return std::make_unique<FakeSpoolFactory>(); }}),
                         SpoolContractParamName);

TEST(FakeSpoolTest, InjectedFailuresChangeNothingAndThenStop) {
  FakeClock clock(absl::FromUnixSeconds(1767323045));
  FakeSpool spool(&clock);
  absl::StatusOr<uint64_t> a = spool.Append(TestSubmission("a"), "a.csv");
  ASSERT_THAT(a, IsOk());
  spool.FailNextWrites(3);
  EXPECT_THAT(spool.Append(TestSubmission("b"), "b.csv"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(spool.Acknowledge(*a), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(spool.Quarantine(*a, "refused"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(spool.Stats().pending_submissions, 1u);
  EXPECT_THAT(spool.Quarantine(*a, "refused"), IsOk());
  EXPECT_EQ(spool.Stats().pending_submissions, 0u);
}

TEST(FakeSpoolTest, QuarantinedSubmissionsAreVisibleThroughEveryHandle) {
  FakeClock clock(absl::FromUnixSeconds(1767323045));
  FakeSpool spool(&clock);
  std::unique_ptr<FakeSpool> other = spool.NewHandle();
  absl::StatusOr<uint64_t> a = spool.Append(TestSubmission("a"), "a.csv");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(other->Quarantine(*a, "INVALID_ARGUMENT: row 3"), IsOk());
  ASSERT_THAT(spool.quarantined(), SizeIs(1));
  EXPECT_EQ(spool.quarantined()[0].reason, "INVALID_ARGUMENT: row 3");
  EXPECT_EQ(spool.quarantined()[0].submission.request.submission_id(), "a");
  EXPECT_EQ(spool.quarantined()[0].submission.source, "a.csv");
  // Counters count per handle, as a restarted FileSpool's do.
  EXPECT_EQ(other->Stats().quarantined_total, 1u);
  EXPECT_EQ(spool.Stats().quarantined_total, 0u);
}

}  // namespace
}  // namespace vroeg
