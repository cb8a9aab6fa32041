#ifndef VROEG_SERVER_COLLECTOR_H_
#define VROEG_SERVER_COLLECTOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/catalogue.h"
#include "common/clock.h"
#include "common/log.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg {

// A collector configuration with defaults applied and every setting checked, plus the directory
// that relative paths in it are resolved against.
struct CollectorSettings {
  config::v1::CollectorConfig config;
  std::string base_dir;
};

// Loads the YAML file, rejects unknown keys, applies defaults and checks values; the error names
// the key and says what is expected.
absl::StatusOr<CollectorSettings> LoadCollectorSettings(const std::string& path);

// Applies defaults and checks a config in place (exposed for tests).
absl::Status ApplyCollectorDefaults(config::v1::CollectorConfig* config);

// The running collector: storage, state rebuilt from it, the gRPC server (mutual TLS only) and
// the /metrics endpoint. The composition root: everything is wired here.
class Collector {
 public:
  // Opens storage, loads the catalogue, rebuilds state and starts listening. Errors say which
  // setting or file is at fault. `clock` and `logger` must outlive the collector.
  static absl::StatusOr<std::unique_ptr<Collector>> Start(const CollectorSettings& settings,
                                                          const Clock* clock, Logger* logger);
  virtual ~Collector() = default;

  virtual int grpc_port() const = 0;
  virtual int metrics_port() const = 0;

  // Re-reads the CA and CRL files now rather than at the next reload interval (SIGHUP). The
  // server certificate is re-read by its own watcher at that interval.
  virtual void Reload() = 0;

  // Blocks until Shutdown is called from another thread.
  virtual void Wait() = 0;
  // Stops accepting calls, finishes the ones in flight, and closes storage. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_COLLECTOR_H_
