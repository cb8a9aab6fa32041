#ifndef VROEG_COMMON_METRICS_SERVER_H_
#define VROEG_COMMON_METRICS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "vroeg/config/v1/metrics.pb.h"

namespace vroeg {

// A running /metrics endpoint (libmicrohttpd). GET or HEAD /metrics answers the Prometheus text
// format of the collectables, other paths 404, other methods 405. With metrics_security it speaks
// HTTPS only (TLS 1.2 or 1.3) and asks for basic authentication first: missing or wrong
// credentials get 401 on every path. It serves from its own thread; destroying it stops that
// thread and closes the port.
class MetricsServer {
 public:
  virtual ~MetricsServer() = default;

  // The port listened on, also when the listen address asked for port 0.
  virtual int port() const = 0;
};

// Listens on `listen` (host:port). When `security` has tls (checked by CheckMetricsSecurity;
// relative paths against `base_dir`), reads its certificate, key and password digest and serves
// HTTPS with basic authentication; otherwise plain HTTP. Collectables that no longer exist are
// skipped; a TextCollectable (common/text_exposition.h) gives its own text, the others are
// collected and written per scrape. Errors from the files are those of ReadSecretFile and
// BasicAuthCredentials::Load; UNAVAILABLE, naming `setting` and the address, when it cannot
// listen or the certificate and key are not usable.
absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsServer(
    const std::string& setting, const std::string& listen,
    const config::v1::MetricsSecurity& security, const std::string& base_dir,
    std::vector<std::weak_ptr<prometheus::Collectable>> collectables);

}  // namespace vroeg

#endif  // VROEG_COMMON_METRICS_SERVER_H_
