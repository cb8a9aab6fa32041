#ifndef VROEG_SERVER_INGESTOR_H_
#define VROEG_SERVER_INGESTOR_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/catalogue.h"
#include "common/clock.h"
#include "common/identity.h"
#include "common/log.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
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
// region committed it (SubmitRequest.received_at).
//
// Group commit: submissions that passed every check wait in a list; one of their callers at a
// time (the leader) takes every submission waiting (up to kMaxGroupObservations observations, at
// least one submission), commits them in one ObservationStore::CommitGroup, and then, in the
// order they arrived, updates the state, metrics and upstream queue for each and hands each
// caller its own answer. A submission arriving while no commit runs is committed at once, alone:
// nothing waits for company. Corrections reach the state and the upstream queue in commit order.
//
// Thread-safety: thread-safe; Submit is meant to be called from many threads at once.
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

  // One submission that passed every check, from its caller to its answer.
  struct Pending;
  // Bound on the observations of one group (a single larger submission is committed alone).
  static constexpr size_t kMaxGroupObservations = 200000;

  // Waits for `pending` to be committed, as a member of a group or as its leader, and returns
  // its answer.
  absl::StatusOr<api::v1::SubmitResponse> CommitInGroup(Pending& pending)
      ABSL_LOCKS_EXCLUDED(commit_mu_);
  // Leader only, without commit_mu_: commits `group` and gives each member its answer.
  void CommitGroup(const std::vector<Pending*>& group) ABSL_LOCKS_EXCLUDED(commit_mu_);

  std::shared_ptr<const Catalogue> catalogue_;
  IngestorOptions options_;
  Authorizer authorizer_;
  RateLimiter rate_limiter_;
  ObservationStore* store_;
  LatestState* state_;
  const Clock* clock_;
  Logger* logger_;
  // Guards the list of waiting submissions and who commits. A group's commit, state update
  // and queueing run outside it, but by the one leader at a time, so that the state and the
  // upstream queue see corrections in commit order.
  absl::Mutex commit_mu_;
  // In arrival order.
  std::deque<Pending*> waiting_ ABSL_GUARDED_BY(commit_mu_);
  bool committing_ ABSL_GUARDED_BY(commit_mu_) = false;

  prometheus::Counter* accepted_;
  prometheus::Counter* duplicates_;
  prometheus::Family<prometheus::Counter>* rejected_;
  prometheus::Counter* observations_stored_;
  prometheus::Counter* corrections_;
  // Per submission committed: how long the transaction that committed it, with its group, took
  // (not the time it waited for an earlier group to finish).
  prometheus::Histogram* commit_seconds_;
  // Per transaction: how many submissions it committed.
  prometheus::Histogram* group_submissions_;
  // Submissions that passed every check and wait for a commit to take them.
  prometheus::Gauge* waiting_submissions_;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_INGESTOR_H_
