#ifndef VROEG_SERVER_EXPORT_AGGREGATES_H_
#define VROEG_SERVER_EXPORT_AGGREGATES_H_

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/catalogue.h"
#include "server/storage/observation_store.h"
#include "vroeg/api/v1/export.pb.h"

namespace vroeg {

// Which figures an AggregateBuilder sends.
struct AggregateOptions {
  // Indicator codes to send figures of; empty sends every indicator whose aggregation is not
  // NONE. Weight indicators are read whether listed or not.
  std::set<std::string> indicators;
  // Also MUNICIPALITY and NO_MUNICIPALITY figures.
  bool by_municipality = false;
  // Which of those: CBS codes for MUNICIPALITY figures, "" for the NO_MUNICIPALITY figure; empty
  // sends all. REGION figures always cover every municipality.
  std::set<std::string> municipalities;
  // A national collector: also a NATIONAL figure per period, indicator and care form, combined
  // from the REGION figures (sums and counts added, weighted means by weight, MAX of the maxes).
  bool national = false;
};

// The figures of ExportAggregates (proto/vroeg/api/v1/export.proto, AggregateFigure), computed
// from the current values the store reads, in the store's order (period end, period start, ...).
// It holds one period's rows at a time: when a row of the next period arrives, it sends the
// figures of the one before, ordered by indicator, care form, scope, region and municipality.
//
// Every row of a period is one reporter's current value for one series; `reporters` counts the
// distinct reporters a figure combines. COUNT_TRUE counts reporters with at least one value 1.
// A WEIGHTED_MEAN value is weighted by the same reporter's value of the indicator's
// weight_indicator for the same care form, municipality and period. A value without such a
// weight cannot be weighted and is left out of the figure (it is not counted in `reporters`,
// and unweighted() counts it); a figure whose weights sum to zero (no value kept, or nobody
// waiting) has no mean and is not sent. Its weight indicator's own figure shows the reporters
// that were left out.
//
// Not thread-safe. The catalogue must outlive the builder.
class AggregateBuilder {
 public:
  // Takes a figure; false stops the export (the client is gone).
  using Emit = std::function<bool(api::v1::AggregateFigure&& figure)>;

  AggregateBuilder(const Catalogue* catalogue, AggregateOptions options);

  // One current value of the region `region`, in the store's order. Sends the figures of the
  // previous period when `row` starts a new one. Returns false when `emit` did.
  bool Add(const std::string& region, const StoredObservation& row, const Emit& emit);

  // Sends the figures of the last period. Returns false when `emit` did.
  bool Finish(const Emit& emit);

  // Values of weighted means left out for want of a weight, so far.
  uint64_t unweighted() const { return unweighted_; }

 private:
  struct Value {
    std::string region;
    std::string reporter;
    std::string indicator;
    std::string care_form;
    std::string municipality;
    double value = 0;
  };

  bool Flush(const Emit& emit);

  const Catalogue* catalogue_;
  AggregateOptions options_;
  // The period being read, and its values.
  std::string period_start_;
  std::string period_end_;
  type::v1::Granularity granularity_ = type::v1::GRANULARITY_UNSPECIFIED;
  std::vector<Value> values_;
  uint64_t unweighted_ = 0;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_EXPORT_AGGREGATES_H_
