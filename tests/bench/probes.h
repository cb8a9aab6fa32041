#ifndef VROEG_TESTS_BENCH_PROBES_H_
#define VROEG_TESTS_BENCH_PROBES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vroeg::bench {

struct ScrapeResult {
  std::vector<double> seconds;  // one per GET, whole response read
  int64_t bytes = 0;            // body of the last response
  int64_t samples = 0;          // its sample lines (neither comments nor empty)
  std::string body;             // the last response's body
};

// GETs http://127.0.0.1:<port><path> `count` times, one after the other. Errors: what the GET
// returned, or INTERNAL for a status other than 200.
absl::StatusOr<ScrapeResult> Scrape(int port, const std::string& path, int count);

struct EndToEndSpec {
  std::string agent_binary;
  std::string agent_config;
  // The agent's reporter (AGB code): its wachtenden for verblijf in GM0034 is what changes.
  std::string reporter_agb;
  std::string region = "flevoland";
  int metrics_port = 0;
  std::string work_dir;  // where the one-value files are written
  int iterations = 10;
  // Longest wait for one value to appear before the run fails.
  absl::Duration visibility_timeout = absl::Seconds(10);
};

struct EndToEndResult {
  std::vector<double> submit_seconds;   // `vroeg-agent submit`, start to exit
  std::vector<double> visible_seconds;  // from submit's exit until /metrics shows the value
};

struct DurableWriteResult {
  std::vector<double> seconds;  // one per write, pwrite and fdatasync
  absl::Duration elapsed;       // all of them
};

// The disk's limit for one writer that must be durable before it answers: overwrites 4 KiB
// blocks of a preallocated 1 MiB file in `dir` in turn, each followed by fdatasync, as SQLite's
// WAL does on every commit, until `limit` passes. The file is removed. UNAVAILABLE naming the
// file when it cannot be written.
absl::StatusOr<DurableWriteResult> DurableWrites(const std::string& dir, absl::Duration limit);

// Each iteration writes a CSV file with one new value of wachtenden (verblijf, GM0034,
// September 2026), runs `vroeg-agent submit` on it and polls /metrics until
// jeugdzorg_waiting_youths for that reporter shows the value. Errors: the agent's exit status
// and output when it fails, DEADLINE_EXCEEDED when a value stays invisible.
absl::StatusOr<EndToEndResult> RunEndToEnd(const EndToEndSpec& spec);

}  // namespace vroeg::bench

#endif  // VROEG_TESTS_BENCH_PROBES_H_
