#ifndef VROEG_AGENT_SPOOL_METRICS_H_
#define VROEG_AGENT_SPOOL_METRICS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "agent/spool/spool.h"
#include "prometheus/metric_family.h"

namespace vroeg {

// A gauge (or, with `type` Counter, a counter) family with one unlabelled sample.
prometheus::MetricFamily SingleValueFamily(
    const std::string& name, const std::string& help, double value,
    prometheus::MetricType type = prometheus::MetricType::Gauge);

// A spool's state as metrics, read at scrape time by whoever forwards from it (the agent to its
// region, a regional collector to the national one): <prefix>_bytes, <prefix>_submissions,
// <prefix>_oldest_pending_age_seconds (0 when nothing is pending) and
// <prefix>_corrupt_segments_total. `receiver` names where the submissions go, for the help
// texts, e.g. "the collector".
std::vector<prometheus::MetricFamily> SpoolMetricFamilies(const std::string& prefix,
                                                          const std::string& receiver,
                                                          const SpoolStats& stats, absl::Time now);

}  // namespace vroeg

#endif  // VROEG_AGENT_SPOOL_METRICS_H_
