#include "common/process_lifecycle.h"

#include <csignal>

#include "absl/strings/str_cat.h"

namespace vroeg {
namespace {

sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

}  // namespace

void BlockStopSignals() {
  const sigset_t signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

std::thread StopOnSignal(Logger& logger, std::function<void()> stop, std::function<void()> reload) {
  return std::thread([&logger, stop = std::move(stop), reload = std::move(reload)] {
    const sigset_t signals = StopSignals();
    while (true) {
      int signal = 0;
      if (sigwait(&signals, &signal) != 0) continue;
      if (signal != SIGHUP) {
        logger.Info("stopping", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
        stop();
        return;
      }
      if (reload) {
        logger.Info("reloading", {{"signal", "SIGHUP"}});
        reload();
      } else {
        logger.Warning("reload_unsupported",
                       {{"signal", "SIGHUP"}, {"effect", "ignored; restart to apply changes"}});
      }
    }
  });
}

absl::StatusOr<MetricsEndpoint> StartMetricsEndpoint(
    const std::string& setting, const std::string& listen,
    const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  MetricsEndpoint endpoint;
  // civetweb reports a busy port by throwing; this is the edge where that becomes a status.
  try {
    endpoint.exposer = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat(setting, ": cannot listen on ", listen, ": ", e.what()));
  }
  for (const auto& collectable : collectables) endpoint.exposer->RegisterCollectable(collectable);
  const auto ports = endpoint.exposer->GetListeningPorts();
  endpoint.port = ports.empty() ? 0 : ports.front();
  return endpoint;
}

}  // namespace vroeg
