#ifndef VROEG_TESTS_SUPPORT_PROMETHEUS_API_H_
#define VROEG_TESTS_SUPPORT_PROMETHEUS_API_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vroeg::testing {

// One element of an instant vector.
struct PromSample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Evaluates `query` through a real Prometheus' HTTP API (/api/v1/query) on 127.0.0.1:port.
// Errors carry Prometheus' own error text.
absl::StatusOr<std::vector<PromSample>> PrometheusQuery(int port, const std::string& query);

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_PROMETHEUS_API_H_
