#ifndef VROEG_COMMON_PROCESS_LIFECYCLE_H_
#define VROEG_COMMON_PROCESS_LIFECYCLE_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/log.h"
#include "common/metrics_server.h"
#include "prometheus/collectable.h"
#include "vroeg/config/v1/metrics.pb.h"

namespace vroeg {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread. Call it in main before any thread
// starts, so every thread inherits the mask and only StopOnSignal's thread receives them.
void BlockStopSignals();

// Starts a thread that waits for signals: SIGINT or SIGTERM is logged and `stop` called, which
// ends the thread; SIGHUP calls `reload` (or, without one, is logged and ignored rather than
// ending the process as it would by default). Join it once the service has stopped (which only
// a signal makes happen).
std::thread StopOnSignal(Logger& logger, std::function<void()> stop,
                         std::function<void()> reload = nullptr);

// A /metrics endpoint serving collectables on a listen address (host:port; port 0 picks one);
// destroying the endpoint stops it.
struct MetricsEndpoint {
  std::unique_ptr<MetricsServer> server;
  int port = 0;
  // Where to scrape, e.g. https://127.0.0.1:9464/metrics.
  std::string url;
};

// Serves HTTPS with basic authentication when `security` is set (checked by
// CheckMetricsSecurity; files relative to `base_dir`), plain HTTP otherwise; see
// StartMetricsServer, whose errors it returns (UNAVAILABLE, naming `setting` and the address, when
// it cannot listen).
absl::StatusOr<MetricsEndpoint> StartMetricsEndpoint(
    const std::string& setting, const std::string& listen,
    const config::v1::MetricsSecurity& security, const std::string& base_dir,
    const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables);

}  // namespace vroeg

#endif  // VROEG_COMMON_PROCESS_LIFECYCLE_H_
