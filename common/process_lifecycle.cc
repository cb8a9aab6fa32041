#include "common/process_lifecycle.h"

#include <csignal>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

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
    const config::v1::MetricsSecurity& security, const std::string& base_dir,
    const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  MetricsEndpoint endpoint;
  VROEG_ASSIGN_OR_RETURN(endpoint.server,
                         StartMetricsServer(setting, listen, security, base_dir,
                                            {collectables.begin(), collectables.end()}));
  endpoint.port = endpoint.server->port();
  endpoint.url = absl::StrCat(security.has_tls() ? "https://" : "http://",
                              listen.substr(0, listen.rfind(':')), ":", endpoint.port, "/metrics");
  return endpoint;
}

}  // namespace vroeg
