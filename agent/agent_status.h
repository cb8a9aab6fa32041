#ifndef VROEG_AGENT_AGENT_STATUS_H_
#define VROEG_AGENT_AGENT_STATUS_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/agent_settings.h"
#include "agent/file_intake.h"
#include "agent/spool/spool.h"
#include "common/clock.h"
#include "vroeg/agent/v1/agent_status.pb.h"

namespace vroeg {

// Where `vroeg-agent run` keeps its status for `vroeg-agent status`: next to the spool rather
// than in it, because the spool directory belongs to the spool alone.
std::string StatusFilePath(const std::string& spool_path);

// What the daemon has done since it started, collected from its threads and turned into an
// AgentStatus on request. Thread-safe.
class StatusBoard {
 public:
  StatusBoard(agent::v1::AgentStatus identity, absl::Time started_at);

  // After a configuration reload.
  void SetCollector(const std::string& collector);
  void RecordDelivered(const SpooledSubmission& submission, absl::Time at);
  // A failure to deliver (with the submission) or of the agent itself (without).
  void RecordError(const absl::Status& error, absl::Time at, const std::string& submission_id = "",
                   const std::string& source = "");
  void RecordFile(IntakeOutcome outcome);

  agent::v1::AgentStatus Snapshot(const SpoolStats& spool, uint64_t files_waiting, absl::Time now,
                                  bool running) const;

 private:
  mutable absl::Mutex mu_;
  agent::v1::AgentStatus status_ ABSL_GUARDED_BY(mu_);
};

// Replaces the file atomically (write a temporary file, rename), readable by the owner only.
absl::Status WriteStatusFile(const std::string& path, const agent::v1::AgentStatus& status);
// NOT_FOUND, naming the path, when no daemon has written one.
absl::StatusOr<agent::v1::AgentStatus> ReadStatusFile(const std::string& path);

// Whether the daemon that wrote `status` still runs and keeps it up to date.
enum class DaemonState { kRunning, kStopped, kNotResponding };
DaemonState JudgeDaemon(const agent::v1::AgentStatus& status, absl::Time now, bool process_alive);

// The status as `vroeg-agent status` prints it, one aligned line per fact.
std::string FormatStatus(const agent::v1::AgentStatus& status, absl::Time now, DaemonState state);

// `vroeg-agent status`: reads the status file of the daemon that uses `settings` and prints it
// (or the JSON with `json`). Returns kExitOk when the daemon runs, kExitRetryLater when it
// does not or does not respond, kExitUsage when there is no readable status.
int ShowAgentStatus(const AgentSettings& settings, const Clock& clock, bool json, std::ostream& out,
                    std::ostream& err);

}  // namespace vroeg

#endif  // VROEG_AGENT_AGENT_STATUS_H_
