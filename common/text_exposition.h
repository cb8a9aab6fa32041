#ifndef VROEG_COMMON_TEXT_EXPOSITION_H_
#define VROEG_COMMON_TEXT_EXPOSITION_H_

#include <memory>
#include <string>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace vroeg {

// Writes families in the Prometheus text format 0.0.4, appending to `out`. The bytes are those
// of prometheus-cpp's TextSerializer (numbers as printf's %.16g, NaN as "Nan", timestamps only
// when not 0) except that HELP text is escaped (backslash and newline) as the format requires;
// TextSerializer leaves it raw, which breaks the line. Label values escape backslash, double
// quote and newline. Thread-safe (no shared state).
void AppendTextExposition(const prometheus::MetricFamily& family, std::string* out);
void AppendTextExposition(const std::vector<prometheus::MetricFamily>& families, std::string* out);

// One part of a /metrics response in the text format; a response is the concatenation of parts.
using ExpositionChunk = std::shared_ptr<const std::string>;

// A collectable that renders its own text, so that it can reuse bytes between scrapes instead of
// building MetricFamily objects each time. The metrics server asks it for text rather than
// calling Collect. Implementations must be thread-safe: scrapes may run concurrently.
class TextCollectable : public prometheus::Collectable {
 public:
  // Appends this collectable's exposition to `chunks`, in the order it is to be served.
  virtual void AppendExposition(std::vector<ExpositionChunk>* chunks) const = 0;
};

}  // namespace vroeg

#endif  // VROEG_COMMON_TEXT_EXPOSITION_H_
