#include "common/text_exposition.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace vroeg {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// TextSerializer prints with max_digits10 - 1 significant digits.
constexpr int kDoubleDigits = std::numeric_limits<double>::max_digits10 - 1;

void AppendDouble(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("Nan");
    return;
  }
  if (std::isinf(value)) {
    out->append(value < 0 ? "-Inf" : "+Inf");
    return;
  }
  char buffer[64];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value,
                                                    std::chars_format::general, kDoubleDigits);
  out->append(buffer, result.ptr);
}

template <typename Integer>
void AppendInteger(Integer value, std::string* out) {
  char buffer[24];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

// Escapes as the format requires for label values (`quote`) or HELP text (no quote escaping).
void AppendEscaped(absl::string_view text, bool quote, std::string* out) {
  size_t plain = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\' && c != '\n' && !(quote && c == '"')) continue;
    out->append(text.data() + plain, i - plain);
    out->append(c == '\n' ? "\\n" : (c == '"' ? "\\\"" : "\\\\"));
    plain = i + 1;
  }
  out->append(text.data() + plain, text.size() - plain);
}

// The sample's name and labels up to the space before the value. `extra_value` is already text.
void AppendHead(const MetricFamily& family, const ClientMetric& metric, absl::string_view suffix,
                absl::string_view extra_name, absl::string_view extra_value, std::string* out) {
  absl::StrAppend(out, family.name, suffix);
  if (!metric.label.empty() || !extra_name.empty()) {
    out->push_back('{');
    const char* separator = "";
    for (const ClientMetric::Label& label : metric.label) {
      absl::StrAppend(out, separator, label.name, "=\"");
      AppendEscaped(label.value, /*quote=*/true, out);
      out->push_back('"');
      separator = ",";
    }
    if (!extra_name.empty()) {
      absl::StrAppend(out, separator, extra_name, "=\"");
      AppendEscaped(extra_value, /*quote=*/true, out);
      out->push_back('"');
    }
    out->push_back('}');
  }
  out->push_back(' ');
}

void AppendHead(const MetricFamily& family, const ClientMetric& metric, std::string* out) {
  AppendHead(family, metric, "", "", "", out);
}

void AppendTail(const ClientMetric& metric, std::string* out) {
  if (metric.timestamp_ms != 0) {
    out->push_back(' ');
    AppendInteger(metric.timestamp_ms, out);
  }
  out->push_back('\n');
}

std::string DoubleText(double value) {
  std::string text;
  AppendDouble(value, &text);
  return text;
}

// The _count and _sum lines of summaries and histograms.
void AppendCountAndSum(const MetricFamily& family, const ClientMetric& metric, uint64_t count,
                       double sum, std::string* out) {
  AppendHead(family, metric, "_count", "", "", out);
  AppendInteger(count, out);
  AppendTail(metric, out);
  AppendHead(family, metric, "_sum", "", "", out);
  AppendDouble(sum, out);
  AppendTail(metric, out);
}

void AppendSummary(const MetricFamily& family, const ClientMetric& metric, std::string* out) {
  const ClientMetric::Summary& summary = metric.summary;
  AppendCountAndSum(family, metric, summary.sample_count, summary.sample_sum, out);
  for (const ClientMetric::Quantile& quantile : summary.quantile) {
    AppendHead(family, metric, "", "quantile", DoubleText(quantile.quantile), out);
    AppendDouble(quantile.value, out);
    AppendTail(metric, out);
  }
}

void AppendHistogram(const MetricFamily& family, const ClientMetric& metric, std::string* out) {
  const ClientMetric::Histogram& histogram = metric.histogram;
  AppendCountAndSum(family, metric, histogram.sample_count, histogram.sample_sum, out);
  double last = -std::numeric_limits<double>::infinity();
  for (const ClientMetric::Bucket& bucket : histogram.bucket) {
    AppendHead(family, metric, "_bucket", "le", DoubleText(bucket.upper_bound), out);
    last = bucket.upper_bound;
    AppendInteger(bucket.cumulative_count, out);
    AppendTail(metric, out);
  }
  // The format requires a +Inf bucket; prometheus-cpp's histograms have one, hand-built ones may
  // not.
  if (last != std::numeric_limits<double>::infinity()) {
    AppendHead(family, metric, "_bucket", "le", "+Inf", out);
    AppendInteger(histogram.sample_count, out);
    AppendTail(metric, out);
  }
}

absl::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      break;
  }
  return "untyped";
}

}  // namespace

void AppendTextExposition(const MetricFamily& family, std::string* out) {
  if (!family.help.empty()) {
    absl::StrAppend(out, "# HELP ", family.name, " ");
    AppendEscaped(family.help, /*quote=*/false, out);
    out->push_back('\n');
  }
  absl::StrAppend(out, "# TYPE ", family.name, " ", TypeName(family.type), "\n");
  for (const ClientMetric& metric : family.metric) {
    switch (family.type) {
      case MetricType::Counter:
        AppendHead(family, metric, out);
        AppendDouble(metric.counter.value, out);
        break;
      case MetricType::Gauge:
        AppendHead(family, metric, out);
        AppendDouble(metric.gauge.value, out);
        break;
      case MetricType::Untyped:
        AppendHead(family, metric, out);
        AppendDouble(metric.untyped.value, out);
        break;
      case MetricType::Summary:
        AppendSummary(family, metric, out);
        continue;
      case MetricType::Histogram:
        AppendHistogram(family, metric, out);
        continue;
    }
    AppendTail(metric, out);
  }
}

void AppendTextExposition(const std::vector<MetricFamily>& families, std::string* out) {
  for (const MetricFamily& family : families) AppendTextExposition(family, out);
}

}  // namespace vroeg
