#ifndef VROEG_AGENT_SUBMISSION_SENDER_H_
#define VROEG_AGENT_SUBMISSION_SENDER_H_

#include "absl/status/statusor.h"
#include "vroeg/api/v1/submission.pb.h"

namespace vroeg {

// Delivers one submission to the collector and returns its answer: OK only when the collector
// committed it (now or earlier). Errors carry the collector's code and message.
// Implementations are thread-safe.
class SubmissionSender {
 public:
  virtual ~SubmissionSender() = default;
  virtual absl::StatusOr<api::v1::SubmitResponse> Submit(const api::v1::SubmitRequest& request) = 0;
};

}  // namespace vroeg

#endif  // VROEG_AGENT_SUBMISSION_SENDER_H_
