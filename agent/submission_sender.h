#ifndef VROEG_AGENT_SUBMISSION_SENDER_H_
#define VROEG_AGENT_SUBMISSION_SENDER_H_

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "vroeg/api/v1/submission.pb.h"

namespace vroeg {

// Delivers one submission to the collector and returns its answer: OK only when the collector
// committed it (now or earlier). Errors carry the collector's code and message.
// Implementations are thread-safe.
class SubmissionSender {
 public:
  virtual ~SubmissionSender() = default;
  virtual absl::StatusOr<api::v1::SubmitResponse> Submit(const api::v1::SubmitRequest& request) = 0;

  // Waits up to `timeout` for a working connection to the collector; true once there is one.
  // After a connection failure this lets the next attempt go as soon as the collector is back
  // instead of when the backoff ends. A sender without connections only waits.
  virtual bool AwaitConnected(absl::Duration timeout) {
    absl::SleepFor(timeout);
    return false;
  }
};

}  // namespace vroeg

#endif  // VROEG_AGENT_SUBMISSION_SENDER_H_
