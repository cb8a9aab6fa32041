#ifndef VROEG_COMMON_RETRY_POLICY_H_
#define VROEG_COMMON_RETRY_POLICY_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vroeg {

// What a sender does with a submission after one attempt to deliver it to the collector.
enum class SendOutcome {
  // The collector stored it, now or earlier: it may be deleted from the spool.
  kAcknowledged,
  // Nothing was decided about its content: keep it and send it again after a backoff delay.
  kRetry,
  // The collector refused it for good: set it aside with the collector's message, never resend.
  kQuarantine,
};

// Classifies the status of one send. OK is kAcknowledged. UNAVAILABLE (collector or its storage
// down, connection dropped), DEADLINE_EXCEEDED, ABORTED and CANCELLED are kRetry: CANCELLED is
// what a client sees of a call the collector dropped while shutting down, which says nothing about
// the submission, and resending is always safe because the collector stores a submission id once.
// UNAUTHENTICATED is kRetry too: it is about the sender's certificate (expired or revoked while
// the connection stayed open), not the submission, which goes through once the certificate is
// renewed. RESOURCE_EXHAUSTED is kRetry when the collector attached a retry hint (its rate limit)
// and kQuarantine without one: a submission over the collector's size limits fails the same way
// however often it is sent. Every other code is kQuarantine: INVALID_ARGUMENT, PERMISSION_DENIED,
// ALREADY_EXISTS, FAILED_PRECONDITION and the rest describe the submission or the sender, so
// resending the same bytes would fail the same way forever and hold up the reporter's later
// submissions. That includes UNKNOWN and INTERNAL. Thread-safe.
SendOutcome ClassifySendResult(const absl::Status& status);

// "acknowledged", "retry" or "quarantine": for logs and metric labels. Thread-safe.
absl::string_view SendOutcomeName(SendOutcome outcome);

// How long the collector asks a sender to wait before retrying travels as an absl::Status payload
// under this type URL (the same convention as the SubmissionRejection payload in
// common/grpc_status.h). The payload is a serialized google.rpc.RetryInfo, the retry hint of gRPC's
// richer error model:
//
//   message RetryInfo { google.protobuf.Duration retry_delay = 1; }
inline constexpr char kRetryInfoTypeUrl[] = "type.googleapis.com/google.rpc.RetryInfo";

// A hint is untrusted input from the network; longer ones are cut to this.
inline constexpr absl::Duration kLongestRetryAfter = absl::Hours(1);

// The retry delay the collector attached to `status`, cut to kLongestRetryAfter. nullopt when there
// is none, or when the payload is malformed or the delay negative: a bad hint never stops a
// retry. Thread-safe.
std::optional<absl::Duration> RetryAfterHint(const absl::Status& status);

// Attaches `retry_after` (negative counts as zero, longer than kLongestRetryAfter is cut) to a
// non-OK `status` as a RetryInfo payload, replacing any earlier one. Does nothing to an OK status.
void SetRetryAfterHint(absl::Status* status, absl::Duration retry_after);

}  // namespace vroeg

#endif  // VROEG_COMMON_RETRY_POLICY_H_
