#ifndef VROEG_AGENT_SPOOL_SPOOL_H_
#define VROEG_AGENT_SPOOL_SPOOL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "vroeg/api/v1/submission.pb.h"

namespace vroeg {

// One submission waiting in a spool.
struct SpooledSubmission {
  // Assigned by the spool: strictly increasing in append order, never reused, also not after a
  // restart. Gaps are possible (an append that failed may have used a number).
  uint64_t sequence = 0;
  // As appended; carries the sender-chosen submission_id, which is kept across retries so that
  // the collector stores the submission once however often it is sent.
  api::v1::SubmitRequest request;
  // Where the submission came from (e.g. the file it was read from), for messages.
  std::string source;
  // When it was appended, by the spool's clock.
  absl::Time spooled_at;
};

struct SpoolStats {
  // Submissions appended and neither acknowledged nor quarantined.
  uint64_t pending_submissions = 0;
  // What those submissions take in the spool.
  uint64_t pending_bytes = 0;
  // Everything counted against the spool's size limit: pending submissions plus what has been
  // settled but not yet reclaimed. Appends keep it within the limit (it can be above only
  // when the limit was lowered while more was stored).
  uint64_t disk_bytes = 0;
  // Submissions quarantined through this handle.
  uint64_t quarantined_total = 0;
  // Stored data found damaged and set aside by this handle (including when it was opened).
  uint64_t corrupt_segments_total = 0;
  // When the first pending submission (the lowest sequence) was appended; empty when nothing
  // is pending.
  std::optional<absl::Time> oldest_pending;
};

// A durable, bounded store-and-forward queue of submissions: the agent appends a submission
// before it tells anyone the input was taken, and removes it only once the collector has
// acknowledged it (or refused it for good, which sets it aside in a quarantine).
//
// Guarantees: a submission whose Append returned OK stays pending until Acknowledge or
// Quarantine returns OK for it, across process crashes and restarts; once either returned OK
// it is never returned by Peek again.
//
// Thread-safety: implementations are thread-safe; every method may be called from any thread.
class Spool {
 public:
  virtual ~Spool() = default;

  // Adds `request` at the end of the queue and returns its sequence. Durable before OK.
  // Errors: RESOURCE_EXHAUSTED, with a message naming the limit, when the spool is full:
  // nothing was written, and the caller keeps its input and tries again after acknowledgements
  // have freed space; INVALID_ARGUMENT when the submission alone could never fit; UNAVAILABLE
  // or another code for storage errors (nothing is pending; retrying is safe).
  virtual absl::StatusOr<uint64_t> Append(const api::v1::SubmitRequest& request,
                                          absl::string_view source) = 0;

  // Up to `max` pending submissions, oldest (lowest sequence) first. Removes nothing. May
  // return fewer when they are large, so that a batch of whole files is not held in memory at
  // once, but at least one while any is pending.
  virtual absl::StatusOr<std::vector<SpooledSubmission>> Peek(size_t max) = 0;

  // The collector has durably stored the submission: it leaves the queue for good. Durable
  // before OK. Errors: NOT_FOUND when `sequence` is not pending (never appended, or already
  // acknowledged or quarantined); storage errors as for Append (it stays pending).
  virtual absl::Status Acknowledge(uint64_t sequence) = 0;

  // The collector refused the submission permanently (e.g. INVALID_ARGUMENT): it is set aside
  // with `reason` where a person can read it, and leaves the queue. Durable before OK.
  // Errors as for Acknowledge.
  virtual absl::Status Quarantine(uint64_t sequence, absl::string_view reason) = 0;

  virtual SpoolStats Stats() const = 0;
};

}  // namespace vroeg

#endif  // VROEG_AGENT_SPOOL_SPOOL_H_
