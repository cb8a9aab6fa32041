#include "agent/forwarder.h"

#include <cstdio>
#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/retry_policy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_spool.h"
#include "tests/support/captured_log.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Answers each Submit with the next scripted status (OK when the script is empty) and records
// what was sent.
class ScriptedSender : public SubmissionSender {
 public:
  void Then(absl::Status status) {
    absl::MutexLock lock(&mu_);
    script_.push_back(std::move(status));
  }
  absl::StatusOr<api::v1::SubmitResponse> Submit(const api::v1::SubmitRequest& request) override {
    absl::MutexLock lock(&mu_);
    sent_.push_back(request.submission_id());
    absl::Status status;
    if (!script_.empty()) {
      status = script_.front();
      script_.pop_front();
    }
    if (!status.ok()) return status;
    api::v1::SubmitResponse response;
    response.set_submission_id(request.submission_id());
    response.set_stored(request.observations_size());
    return response;
  }
  std::vector<std::string> sent() {
    absl::MutexLock lock(&mu_);
    return sent_;
  }
  // Reports the collector reachable from the `n`th call on (1-based; 0: never).
  void ConnectOnCall(int n) {
    absl::MutexLock lock(&mu_);
    connect_on_call_ = n;
  }
  bool AwaitConnected(absl::Duration timeout) override {
    absl::MutexLock lock(&mu_);
    ++await_calls_;
    if (connect_on_call_ != 0 && await_calls_ >= connect_on_call_) return true;
    waited_ += timeout;
    return false;
  }
  int await_calls() {
    absl::MutexLock lock(&mu_);
    return await_calls_;
  }
  absl::Duration waited() {
    absl::MutexLock lock(&mu_);
    return waited_;
  }

 private:
  absl::Mutex mu_;
  std::deque<absl::Status> script_;
  std::vector<std::string> sent_;
  int connect_on_call_ = 0;
  int await_calls_ = 0;
  absl::Duration waited_;
};

// Delays of 1, 2, 3 ... seconds, so tests can tell how often it was asked.
class CountingBackoff : public BackoffStrategy {
 public:
  explicit CountingBackoff(int* resets) : resets_(resets) {}
  absl::Duration NextDelay() override { return absl::Seconds(++failures_); }
  void Reset() override {
    failures_ = 0;
    ++*resets_;
  }

 private:
  int failures_ = 0;
  int* resets_;
};

class ForwarderTest : public ::testing::Test {
 protected:
  ForwarderTest()
      : clock_(absl::UnixEpoch()),
        log_(&clock_),
        spool_(&clock_),
        forwarder_(&spool_, &sender_, std::make_unique<CountingBackoff>(&resets_), &log_.logger(),
                   /*batch=*/2, absl::Milliseconds(20)) {}
  void Append(const std::string& id) {
    api::v1::SubmitRequest request;
    request.set_submission_id(id);
    ASSERT_TRUE(spool_.Append(request, id + ".csv").ok());
  }

  std::string Log() { return log_.Text(); }

  FakeClock clock_;
  testing::CapturedLog log_;
  FakeSpool spool_;
  ScriptedSender sender_;
  int resets_ = 0;
  Forwarder forwarder_;
};

TEST_F(ForwarderTest, AcknowledgedSubmissionsLeaveTheSpoolInOrder) {
  for (const char* id : {"a", "b", "c", "d", "e"}) Append(id);
  auto pass = forwarder_.SendPending();
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(pass->acknowledged, 5u);
  EXPECT_FALSE(pass->retry_after.has_value());
  EXPECT_THAT(sender_.sent(), ElementsAre("a", "b", "c", "d", "e"));
  EXPECT_EQ(spool_.Stats().pending_submissions, 0u);
  EXPECT_THAT(Log(), HasSubstr("event=submission_acknowledged submission_id=a source=a.csv"));
}

TEST_F(ForwarderTest, RetryableFailureStopsThePassSoNothingOvertakes) {
  Append("a");
  Append("b");
  sender_.Then(absl::UnavailableError("collector restarting"));
  auto pass = forwarder_.SendPending();
  ASSERT_TRUE(pass.ok());
  EXPECT_EQ(pass->acknowledged, 0u);
  EXPECT_EQ(pass->retry_after, absl::Seconds(1));
  EXPECT_THAT(sender_.sent(), ElementsAre("a"));
  EXPECT_EQ(spool_.Stats().pending_submissions, 2u);

  sender_.Then(absl::DeadlineExceededError("slow"));
  EXPECT_EQ(forwarder_.SendPending()->retry_after, absl::Seconds(2));

  auto recovered = forwarder_.SendPending();
  EXPECT_EQ(recovered->acknowledged, 2u);
  EXPECT_THAT(sender_.sent(), ElementsAre("a", "a", "a", "b"));
  EXPECT_EQ(resets_, 2);
}

TEST_F(ForwarderTest, TheCollectorsRetryHintIsHonoured) {
  Append("a");
  absl::Status overloaded = absl::ResourceExhaustedError("rate limit");
  SetRetryAfterHint(&overloaded, absl::Seconds(30));
  sender_.Then(overloaded);
  EXPECT_EQ(forwarder_.SendPending()->retry_after, absl::Seconds(30));
}

TEST_F(ForwarderTest, PermanentRefusalIsQuarantinedWithTheCollectorsMessage) {
  Append("a");
  Append("b");
  sender_.Then(absl::InvalidArgumentError("row 3, column value: -1 is below the minimum 0"));
  auto pass = forwarder_.SendPending();
  ASSERT_TRUE(pass.ok());
  EXPECT_EQ(pass->quarantined, 1u);
  EXPECT_EQ(pass->acknowledged, 1u);
  ASSERT_EQ(spool_.quarantined().size(), 1u);
  EXPECT_EQ(spool_.quarantined()[0].reason,
            "INVALID_ARGUMENT: row 3, column value: -1 is below the minimum 0");
  EXPECT_THAT(Log(), HasSubstr("level=error event=submission_quarantined submission_id=a"));
}

TEST_F(ForwarderTest, SpoolErrorsLeaveTheSubmissionPending) {
  Append("a");
  spool_.FailNextWrites(1);
  auto pass = forwarder_.SendPending();
  EXPECT_FALSE(pass.ok());
  EXPECT_EQ(spool_.Stats().pending_submissions, 1u);
  EXPECT_EQ(forwarder_.SendPending()->acknowledged, 1u);
  // Sent twice, acknowledged once: the collector stores it once by its submission id.
  EXPECT_THAT(sender_.sent(), ElementsAre("a", "a"));
}

TEST_F(ForwarderTest, RunDeliversWhatIsAppendedAndStopsWhenAsked) {
  std::thread runner([&] { forwarder_.Run(); });
  Append("a");
  forwarder_.Notify();
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (spool_.Stats().pending_submissions > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(spool_.Stats().pending_submissions, 0u);
  forwarder_.Stop();
  runner.join();
  EXPECT_THAT(sender_.sent(), ElementsAre("a"));
}

TEST_F(ForwarderTest, ObserverSeesEachSendAfterItIsSettled) {
  Append("a");
  Append("b");
  sender_.Then(absl::OkStatus());
  sender_.Then(absl::InvalidArgumentError("unknown indicator"));
  std::vector<std::string> seen;
  forwarder_.SetObserver([&](const SendReport& report) {
    // By the time the observer hears of it, the spool no longer holds the submission.
    auto pending = spool_.Peek(10);
    ASSERT_TRUE(pending.ok());
    for (const auto& submission : *pending) {
      EXPECT_NE(submission.sequence, report.submission.sequence);
    }
    seen.push_back(absl::StrCat(report.submission.request.submission_id(), ":",
                                SendOutcomeName(report.outcome), ":",
                                report.response.status().message()));
  });
  ASSERT_TRUE(forwarder_.SendPending().ok());
  EXPECT_THAT(seen, ElementsAre("a:acknowledged:", "b:quarantine:unknown indicator"));
}

TEST_F(ForwarderTest, RetryAfterLostConnectionGoesOnceTheCollectorIsReachable) {
  Append("a");
  sender_.Then(absl::UnavailableError("connection refused"));
  auto pass = forwarder_.SendPending();
  ASSERT_TRUE(pass.ok());
  ASSERT_EQ(pass->retry_after, absl::Seconds(1));
  sender_.ConnectOnCall(2);
  EXPECT_TRUE(forwarder_.WaitToRetry(absl::Hours(1)));
  EXPECT_EQ(sender_.await_calls(), 2);
  EXPECT_LE(sender_.waited(), absl::Seconds(1));
}

TEST_F(ForwarderTest, OtherRetryableFailuresWaitOutTheBackoff) {
  Append("a");
  sender_.Then(absl::AbortedError("conflict"));
  ASSERT_TRUE(forwarder_.SendPending().ok());
  sender_.ConnectOnCall(1);
  EXPECT_TRUE(forwarder_.WaitToRetry(absl::Milliseconds(30)));
  // The connection is fine; waiting for it would not make the retry any sooner.
  EXPECT_EQ(sender_.await_calls(), 0);
}

TEST_F(ForwarderTest, StopEndsAWaitForTheConnection) {
  Append("a");
  sender_.Then(absl::UnavailableError("connection refused"));
  ASSERT_TRUE(forwarder_.SendPending().ok());
  forwarder_.Stop();
  EXPECT_FALSE(forwarder_.WaitToRetry(absl::Hours(1)));
}

}  // namespace
}  // namespace vroeg
