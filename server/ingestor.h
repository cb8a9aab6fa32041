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
#include "server/latest_state.h"
#include "server/storage/observation_store.h"
#include "vroeg/api/v1/submission.pb.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg {

// Most problems listed in one refusal; the count of the rest is reported.
inline constexpr int kMaxListedProblems = 100;
// Most observations accepted in one submission.
inline constexpr int kMaxObservationsPerSubmission = 200000;

// Takes a submission from an authenticated caller through authorization, validation and a
// durable commit, then updates the in-memory state. Returns OK only after the commit.
// Thread-safe.
class Ingestor {
 public:
  // Nothing is owned except the catalogue share; all pointers must outlive the Ingestor.
  Ingestor(std::shared_ptr<const Catalogue> catalogue, const config::v1::Region& region,
           ObservationStore* store, LatestState* state, const Clock* clock, Logger* logger,
           prometheus::Registry* registry);

  // Errors: PERMISSION_DENIED (the request names another reporter, or the caller's kind may not
  // submit), INVALID_ARGUMENT (bad submission id, too many observations, or validation
  // problems; a SubmissionRejection is attached, see common/grpc_status.h), ALREADY_EXISTS and
  // UNAVAILABLE from the store.
  absl::StatusOr<api::v1::SubmitResponse> Submit(const ReporterId& caller,
                                                 api::v1::SubmitRequest request);

  // Counts a refusal that happened before Submit could run (e.g. no usable certificate).
  void CountRejection(absl::StatusCode code);

 private:
  absl::StatusOr<api::v1::SubmitResponse> SubmitChecked(const ReporterId& caller,
                                                        api::v1::SubmitRequest request);

  std::shared_ptr<const Catalogue> catalogue_;
  config::v1::Region region_;
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
