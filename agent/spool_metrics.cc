#include "agent/spool_metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace vroeg {

prometheus::MetricFamily SingleValueFamily(const std::string& name, const std::string& help,
                                           double value, prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

std::vector<prometheus::MetricFamily> SpoolMetricFamilies(const std::string& prefix,
                                                          const std::string& receiver,
                                                          const SpoolStats& stats, absl::Time now) {
  const double age = stats.oldest_pending ? absl::ToDoubleSeconds(now - *stats.oldest_pending) : 0;
  return {
      SingleValueFamily(absl::StrCat(prefix, "_bytes"), "Bytes the spool holds on disk.",
                        static_cast<double>(stats.disk_bytes)),
      SingleValueFamily(
          absl::StrCat(prefix, "_submissions"),
          absl::StrCat("Submissions in the spool waiting for ", receiver, "'s acknowledgement."),
          static_cast<double>(stats.pending_submissions)),
      SingleValueFamily(absl::StrCat(prefix, "_oldest_pending_age_seconds"),
                        "Age of the oldest unacknowledged submission; 0 when none.", age),
      SingleValueFamily(absl::StrCat(prefix, "_corrupt_segments_total"),
                        "Spool segments found damaged and set aside since start.",
                        static_cast<double>(stats.corrupt_segments_total),
                        prometheus::MetricType::Counter),
  };
}

}  // namespace vroeg
