#ifndef VROEG_COMMON_HTTPS_METRICS_SERVER_H_
#define VROEG_COMMON_HTTPS_METRICS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "vroeg/config/v1/metrics.pb.h"

namespace vroeg {

// A running /metrics endpoint speaking HTTPS (TLS 1.2 or 1.3) and asking for basic
// authentication. GET /metrics answers the Prometheus text format of the collectables, missing
// or wrong credentials 401, other paths 404. It serves from its own thread; destroying it stops
// that thread and closes the port.
class HttpsMetricsServer {
 public:
  virtual ~HttpsMetricsServer() = default;

  // The port listened on, also when the listen address asked for port 0.
  virtual int port() const = 0;
};

// Reads the certificate, key and password digest of `security` (checked by
// CheckMetricsSecurity; relative paths against `base_dir`) and listens on `listen` (host:port).
// Collectables that no longer exist are skipped. Errors from the files are those of
// ReadSecretFile and BasicAuthCredentials::Load; UNAVAILABLE, naming `setting`, when it cannot
// listen or the certificate and key are not usable.
absl::StatusOr<std::unique_ptr<HttpsMetricsServer>> StartHttpsMetricsServer(
    const std::string& setting, const std::string& listen,
    const config::v1::MetricsSecurity& security, const std::string& base_dir,
    std::vector<std::weak_ptr<prometheus::Collectable>> collectables);

}  // namespace vroeg

#endif  // VROEG_COMMON_HTTPS_METRICS_SERVER_H_
