#ifndef VROEG_TESTS_INTEGRATION_FAULT_FAULT_PROCESSES_H_
#define VROEG_TESTS_INTEGRATION_FAULT_FAULT_PROCESSES_H_

// The real vroeg-collector and vroeg-agent as fault tests drive them: started, stopped,
// killed and started again with the same configuration and state, every run's log kept.

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/integration/fault/observation_stream.h"
#include "tests/support/process.h"
#include "tests/support/test_region.h"

namespace vroeg::testing {

// Generous bound for a process to start, sized for sanitizer builds on a busy machine.
inline constexpr absl::Duration kStartTimeout = absl::Seconds(60);

// The region's collector on one port for all its runs, so that agents find it again.
//
// Thread-safety: not thread-safe.
class FaultCollector {
 public:
  // Picks a free loopback port and writes the collector's configuration into `region`.
  static absl::StatusOr<std::unique_ptr<FaultCollector>> Create(TestRegion& region);
  // The same with a configuration of the caller's: `write_config` writes it for the port and
  // returns its path; `database` is the SQLite file it names.
  static absl::StatusOr<std::unique_ptr<FaultCollector>> Create(
      TestRegion& region, const std::function<std::string(int port)>& write_config,
      std::string database);

  // The running collector's /metrics port.
  int metrics_port() const { return metrics_port_; }

  // Starts a run and waits until it listens.
  absl::Status Start();
  // SIGTERM; the collector must exit with 0.
  absl::Status Stop();
  // SIGKILL.
  absl::Status Kill();

  int port() const { return port_; }
  const std::string& database() const { return database_; }
  int runs() const { return runs_; }
  // Every run's log, each headed by its run number.
  std::string Logs() const;

 private:
  FaultCollector(std::string dir, std::string config, int port)
      : dir_(std::move(dir)), config_(std::move(config)), port_(port) {}

  std::string dir_;
  std::string config_;
  std::string database_;
  int port_;
  int metrics_port_ = 0;
  int runs_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

struct FaultAgentOptions {
  // Where the agent sends: the collector's port, or a proxy's.
  int collector_port = 0;
  int timeout_seconds = 5;
  // spool.max_bytes; the agent's default when unset.
  std::optional<uint64_t> spool_max_bytes;
};

// What an agent's logs say it did, over all its runs.
struct AgentLogSummary {
  int64_t spooled = 0;                 // file_spooled lines
  int64_t spooled_again = 0;           // of those, files spooled before (taken again after a kill)
  int64_t acknowledged = 0;            // submission_acknowledged lines
  int64_t acknowledged_duplicate = 0;  // ... that the collector had stored already
  int64_t retries = 0;                 // submission_retry lines
  int64_t quarantined = 0;             // submission_quarantined lines: refused for good
  int64_t deferred = 0;                // file_deferred lines
  int64_t torn_tails = 0;              // spool_torn_tail_truncated lines
  int64_t corrupt_segments = 0;        // spool_segment_corrupt lines
  // Spool sequence -> the file it was taken from (name only), from file_spooled lines.
  std::map<uint64_t, std::string> sequence_files;
  // Files (names only) the spool named as not sent because their segment was damaged, from
  // spool_submission_not_sent lines, in log order.
  std::vector<std::string> not_sent;
};

// One provider's `vroeg-agent run` with its own drop folder and spool under `dir`.
//
// Thread-safety: Drop, DoneNames, DoneFiles and WaitingFiles only touch the file system and may
// be called from any thread; the rest from one thread.
class FaultAgent {
 public:
  // Issues the provider's certificate and writes its configuration.
  FaultAgent(TestRegion& region, std::string urn, const std::string& name,
             const FaultAgentOptions& options);

  // Starts a run and waits until it listens.
  absl::Status Start();
  // SIGTERM; the agent must exit with 0.
  absl::Status Stop();
  // SIGKILL.
  absl::Status Kill();

  const std::string& urn() const { return urn_; }
  const std::string& drop_dir() const { return drop_dir_; }
  const std::string& spool_dir() const { return spool_dir_; }
  int runs() const { return runs_; }

  // Puts a file into the drop folder the way a careful export job does: written under a hidden
  // name, then renamed.
  void Drop(const std::string& name, const std::string& content) const;
  // Names of the files in done/.
  std::vector<std::string> DoneNames() const;
  size_t DoneFiles() const;
  // Files in the drop folder itself (hidden ones excepted).
  size_t WaitingFiles() const;

  absl::StatusOr<std::string> Metrics() const;
  // One sample of the running agent's /metrics, e.g. `vroeg_agent_spool_submissions`.
  absl::StatusOr<double> Metric(const std::string& series) const;

  std::string Logs() const;
  AgentLogSummary Summarize() const;

 private:
  std::string urn_;
  std::string dir_;
  std::string config_;
  std::string drop_dir_;
  std::string spool_dir_;
  int runs_ = 0;
  int metrics_port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

// Writes streams' files into their agents' drop folders on a thread of its own, in order,
// keeping at most `window` files of each stream in the folder ahead of what its agent has
// taken: a steady export job that neither waits for the agent nor buries it. A test that wants
// the stream spread over a number of faults also limits how many files of each stream may be
// written so far.
//
// Thread-safety: Limit and Stop may be called from any thread.
class StreamWriter {
 public:
  struct Feed {
    const ObservationStream* stream;
    const FaultAgent* agent;
  };
  StreamWriter(std::vector<Feed> feeds, int window, int limit = std::numeric_limits<int>::max());
  ~StreamWriter();

  // At most `limit` files of each stream are written (files already written stay).
  void Limit(int limit) { limit_ = limit; }

  // Stops early (the destructor does too).
  void Stop();

 private:
  void Run();

  std::vector<Feed> feeds_;
  int window_;
  std::atomic<int> limit_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Waits until every agent has taken all `files` of its stream and its spool is empty (its
// /metrics says vroeg_agent_spool_submissions 0). The error describes where each agent stood.
absl::Status AwaitDelivered(const std::vector<std::pair<FaultAgent*, int>>& agents_and_files,
                            absl::Duration timeout);

// Files taken so far over all agents.
size_t TotalDone(const std::vector<FaultAgent*>& agents);

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_INTEGRATION_FAULT_FAULT_PROCESSES_H_
