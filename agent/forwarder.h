#ifndef VROEG_AGENT_FORWARDER_H_
#define VROEG_AGENT_FORWARDER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/spool/spool.h"
#include "agent/submission_sender.h"
#include "common/backoff.h"
#include "common/log.h"
#include "common/retry_policy.h"

namespace vroeg {

// One attempt to deliver a spooled submission, as the forwarder settled it.
struct SendReport {
  const SpooledSubmission& submission;
  const absl::StatusOr<api::v1::SubmitResponse>& response;
  SendOutcome outcome;
};

// What one pass over the spool did.
struct ForwardPass {
  uint64_t acknowledged = 0;
  uint64_t quarantined = 0;
  // Set when the pass stopped at a submission that must be retried: how long to wait first.
  std::optional<absl::Duration> retry_after;
};

// Sends spooled submissions to the collector, oldest first, and settles each by the answer:
// acknowledged ones leave the spool, permanently refused ones are quarantined with the
// collector's message, and on a retryable failure the pass stops so that no later submission
// overtakes an earlier one (ordering per reporter is kept). Retries back off with jitter and
// never give up.
//
// Thread-safety: SendPending and Run must be called from one thread; Notify and Stop from any.
class Forwarder {
 public:
  // Borrows `spool`, `sender` and `logger`, which must outlive the forwarder.
  Forwarder(Spool* spool, SubmissionSender* sender, std::unique_ptr<BackoffStrategy> backoff,
            Logger* logger, size_t batch = 32, absl::Duration idle_poll = absl::Seconds(5));

  // One pass: sends pending submissions until the spool is empty or a send must be retried.
  // Errors are the spool's own (it could not be read or settled); the submission stays pending.
  absl::StatusOr<ForwardPass> SendPending();

  // Passes until Stop: after an empty spool it waits for Notify (or `idle_poll`), after a
  // retryable failure for the backoff delay (or Stop, whichever comes first). The call in flight
  // when Stop is called is completed and settled before Run returns.
  void Run();

  // Called after every send has been settled, e.g. to count it or report it; set before Run.
  void SetObserver(std::function<void(const SendReport&)> observer) {
    observer_ = std::move(observer);
  }

  // Replaces the backoff (new retry settings); takes effect at the start of the next pass.
  void SetBackoff(std::unique_ptr<BackoffStrategy> backoff);

  // Waits out `delay` before the next pass after a retryable failure: ends early when the
  // failure was a lost connection and the collector is reachable again, or on Stop. False when
  // stopped.
  bool WaitToRetry(absl::Duration delay);

  // New submissions were appended.
  void Notify();
  void Stop();

 private:
  // Waits out `backoff` (or, without one, until notified); false when stopped.
  bool Wait(std::optional<absl::Duration> backoff);
  bool Stopping();

  Spool* spool_;
  SubmissionSender* sender_;
  std::unique_ptr<BackoffStrategy> backoff_;
  Logger* logger_;
  size_t batch_;
  absl::Duration idle_poll_;
  std::function<void(const SendReport&)> observer_;
  // Set by SendPending when the last pass ended on a failure to reach the collector.
  bool connection_failed_ = false;

  absl::Mutex mu_;
  std::unique_ptr<BackoffStrategy> next_backoff_ ABSL_GUARDED_BY(mu_);
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vroeg

#endif  // VROEG_AGENT_FORWARDER_H_
