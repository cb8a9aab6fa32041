#ifndef VROEG_SERVER_INGESTOR_H_
#define VROEG_SERVER_INGESTOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/catalogue.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/log.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/authorizer.h"
#include "server/latest_state.h"
#include "server/rate_limiter.h"
#include "server/storage/observation_store.h"
#include "vroeg/api/v1/submission.pb.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg {

// Most problems listed in one refusal; the count of the rest is reported.
inline constexpr int kMaxListedProblems = 100;

// Where a regional collector sends what it accepted next: the national collector (Upstream).
class SubmissionQueue {
 public:
  virtual ~SubmissionQueue() = default;
  // Durable before OK; errors are returned to the submission's sender as they are.
  virtual absl::Status Enqueue(const api::v1::SubmitRequest& request) = 0;
};

// What an Ingestor enforces besides the catalogue; the defaults are the collector's.
struct IngestorOptions {
  config::v1::Region region;
  // Regions that may forward to this collector (see Authorizer).
  std::vector<config::v1::Region> member_regions;
  uint32_t max_observations_per_submission = 200000;
  // Per reporter (see RateLimiter).
  double submissions_per_minute = 600;
  double burst = 1000;
  // When set, every accepted submission is queued here after its commit and before the answer,
  // with the reporter, the submission id and the commit time (received_at); a duplicate is
  // queued again, so that one committed just before a crash is not left behind. Not owned.
  SubmissionQueue* upstream = nullptr;
};

// Takes a submission from an authenticated caller through the per-reporter rate limit,
// authorization, validation and a durable commit, then updates the in-memory state and queues it
// upstream when configured. Returns OK only after the commit (and the queueing). A submission a
// region forwards is stored under its original reporter, with the region's code and the time the
// region committed it (SubmitRequest.received_at). Thread-safe.
class Ingestor {
 public:
  // Nothing is owned except the catalogue share; all pointers must outlive the Ingestor.
  Ingestor(std::shared_ptr<const Catalogue> catalogue, IngestorOptions options,
           ObservationStore* store, LatestState* state, const Clock* clock, Logger* logger,
           prometheus::Registry* registry);

  // Errors: RESOURCE_EXHAUSTED (the reporter sent too many submissions lately: a retry hint is
  // attached, see common/retry_policy.h; or too many observations at once), PERMISSION_DENIED
  // (see Authorizer), INVALID_ARGUMENT (bad submission id or validation problems; a
  // SubmissionRejection is attached, see common/grpc_status.h), ALREADY_EXISTS and UNAVAILABLE
  // from the store.
  absl::StatusOr<api::v1::SubmitResponse> Submit(const ReporterId& caller,
                                                 api::v1::SubmitRequest request);

  // Counts a refusal that happened before Submit could run (e.g. no usable certificate).
  void CountRejection(absl::StatusCode code);

 private:
  absl::StatusOr<api::v1::SubmitResponse> SubmitChecked(const ReporterId& caller,
                                                        api::v1::SubmitRequest request);

  std::shared_ptr<const Catalogue> catalogue_;
  IngestorOptions options_;
  Authorizer authorizer_;
  RateLimiter rate_limiter_;
  ObservationStore* store_;
  LatestState* state_;
  const Clock* clock_;
  Logger* logger_;
  // Commit and state update happen together so that the state sees corrections in commit order.
  absl::Mutex commit_mu_;

  prometheus::Counter* accepted_;
  prometheus::Counter* duplicates_;
  prometheus::Family<prometheus::Counter>* rejected_;
  prometheus::Counter* observations_stored_;
  prometheus::Counter* corrections_;
  prometheus::Histogram* commit_seconds_;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_INGESTOR_H_
