#ifndef VROEG_SERVER_UPSTREAM_H_
#define VROEG_SERVER_UPSTREAM_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/collector_client.h"
#include "agent/forwarder.h"
#include "agent/spool/file_spool.h"
#include "common/clock.h"
#include "common/log.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "server/ingestor.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg {

// A regional collector's link to the national collector (config `upstream`), built from the
// agent's parts: accepted submissions are appended to a FileSpool, and a Forwarder sends them
// from there, oldest first (so that corrections arrive in the order the region committed them),
// through a CollectorClient presenting the region's certificate, retrying with backoff until
// they are acknowledged. A submission the national collector refuses for good (e.g. its
// configuration does not list this region) is quarantined in <spool>/quarantine with the reason,
// logged, and counted in vroeg_upstream_sends_total{outcome="quarantine"}. What is pending
// survives restarts and kill -9; what is acknowledged is never sent again, and a submission that
// is sent again anyway is stored once by the national collector (same reporter and submission
// id).
//
// Metrics: vroeg_upstream_sends_total{outcome} and the spool's state (vroeg_upstream_spool_*,
// read at scrape time from collectable()).
//
// Thread-safety: Enqueue may be called from any thread.
class Upstream final : public SubmissionQueue {
 public:
  // Opens the spool, reads the certificate, checks that it speaks for `region`
  // (urn:vroeg:region:<code>) and starts forwarding. Errors name the configuration key.
  static absl::StatusOr<std::unique_ptr<Upstream>> Start(const config::v1::Upstream& config,
                                                         const config::v1::Region& region,
                                                         const std::string& base_dir,
                                                         const Clock* clock, Logger* logger,
                                                         prometheus::Registry* registry);

  // Stops forwarding; the send in flight is settled first. What is pending stays in the spool.
  ~Upstream() override;

  // Appends the submission durably and wakes the forwarder. Errors: UNAVAILABLE when the spool
  // is full or cannot be written (the submission's sender should retry; a retry is answered as a
  // duplicate and queued again).
  absl::Status Enqueue(const api::v1::SubmitRequest& request) override;

  std::shared_ptr<prometheus::Collectable> collectable() const { return collectable_; }

 private:
  Upstream() = default;

  std::string target_;
  std::unique_ptr<FileSpool> spool_;
  std::unique_ptr<CollectorClient> client_;
  std::unique_ptr<Forwarder> forwarder_;
  std::shared_ptr<prometheus::Collectable> collectable_;
  std::thread thread_;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_UPSTREAM_H_
