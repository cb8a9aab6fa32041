#ifndef VROEG_TESTS_SUPPORT_PROMETHEUS_SERVER_H_
#define VROEG_TESTS_SUPPORT_PROMETHEUS_SERVER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace vroeg::testing {

// Real Prometheus servers for end-to-end tests, configured from the repository's files in
// deploy/prometheus with only what a test must change. Functions are independent and safe to
// call from any thread; errors name the file or key at fault.

// The full path of `program` on PATH, or empty.
std::string FindProgram(const std::string& program);

// deploy/prometheus/prometheus.yml (a region's Prometheus) with the collector's address, every
// interval set to `interval` (the scrape timeout too, which may not exceed it), the rule files
// taken from `rules_dir` and the `region` external label set to `region`. FAILED_PRECONDITION
// when the file no longer has exactly one job vroeg-collector or no external label region.
absl::StatusOr<std::string> RegionalPrometheusConfig(int metrics_port, const std::string& rules_dir,
                                                     const std::string& region,
                                                     const std::string& interval);

// deploy/prometheus/national.yml (the national Prometheus) with the federate job's targets
// replaced by one target per region, 127.0.0.1:port labelled region=<key>, every interval set to
// `interval` and the rule files taken from `rules_dir`. FAILED_PRECONDITION when the file no
// longer has exactly one job federate.
absl::StatusOr<std::string> NationalPrometheusConfig(const std::map<std::string, int>& regions,
                                                     const std::string& rules_dir,
                                                     const std::string& interval);

// Copies the rule files directly in `from_dir` (*.yml, not subfolders) into `to_dir` with every
// `for:` set to 0s, so that an alert fires at the first evaluation that finds its condition, and
// every rule group's own `interval:` set to `interval`. The `for:` durations themselves are
// covered by the promtool unit tests in tests/rules. NOT_FOUND when `from_dir` has no rule file
// or none with a `for:`.
absl::Status CopyRulesWithoutFor(const std::string& from_dir, const std::string& to_dir,
                                 const std::string& interval);

// Starts `binary` (Prometheus) with `config` on a free loopback port, its data and log in `dir`,
// and waits until it serves; sets `*port`. Prometheus cannot take port 0, so a port that was free
// a moment ago is tried, and another one when something took it in between.
absl::StatusOr<std::unique_ptr<BackgroundProcess>> StartPrometheus(const std::string& binary,
                                                                   const std::string& config,
                                                                   const std::string& dir,
                                                                   int* port);

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_PROMETHEUS_SERVER_H_
