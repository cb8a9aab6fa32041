#ifndef VROEG_AGENT_AGENT_DAEMON_H_
#define VROEG_AGENT_AGENT_DAEMON_H_

#include <memory>

#include "absl/status/statusor.h"
#include "agent/agent_settings.h"
#include "common/clock.h"
#include "common/log.h"

namespace vroeg {

// `vroeg-agent run`: watches the drop folders, validates and spools every complete file, and
// forwards the spool to the collector until each submission is acknowledged. Exposes its own
// /metrics. The composition root of the agent.
class AgentDaemon {
 public:
  // Opens the spool and the drop folders and starts the intake and forwarding threads; errors
  // name the setting or path at fault. The collector need not be reachable: files are taken once
  // its catalogue is known (fetched at start and cached next to the spool), and submissions wait
  // in the spool until it answers. `clock` and `logger` must outlive the daemon.
  static absl::StatusOr<std::unique_ptr<AgentDaemon>> Start(const AgentSettings& settings,
                                                            const Clock* clock, Logger* logger);
  virtual ~AgentDaemon() = default;

  virtual int metrics_port() const = 0;
  // Reads the configuration file again and applies it without dropping work: new certificates,
  // collector address, timeouts, retry settings, drop folders and scan interval. The spool and
  // the metrics address are kept (a warning names them when they changed; they need a
  // restart). On any error nothing changes and the previous configuration stays in force; the
  // error names the setting at fault. Logs the outcome. Thread-safe.
  virtual absl::Status Reload(const std::string& config_path) = 0;
  // Blocks until Shutdown is called from another thread.
  virtual void Wait() = 0;
  // Stops taking files, lets the call in flight finish and settle, and joins the threads. What
  // is still pending stays in the spool for the next run. Idempotent.
  virtual void Shutdown() = 0;
};

}  // namespace vroeg

#endif  // VROEG_AGENT_AGENT_DAEMON_H_
