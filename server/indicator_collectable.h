#ifndef VROEG_SERVER_INDICATOR_COLLECTABLE_H_
#define VROEG_SERVER_INDICATOR_COLLECTABLE_H_

#include <memory>
#include <string>
#include <vector>

#include "common/catalogue.h"
#include "prometheus/collectable.h"
#include "server/latest_state.h"

namespace vroeg {

// Exposes stored state on /metrics, computed at scrape time from LatestState:
//  - per reporter series: the catalogue metric (prefix jeugdzorg_) with labels region, reporter,
//    reporter_kind, care_form and municipality (when set) plus the catalogue's constant labels;
//    values in the metric's base unit (weeks as seconds);
//  - per region and care form: the catalogue's regional aggregate (metric.region_name) by its
//    aggregation rule, and the catalogue's ratios of two regional sums (e.g. occupancy);
//  - vroeg_series: the number of series held.
// Thread-safe: Collect may run concurrently with updates of the state.
class IndicatorCollectable : public prometheus::Collectable {
 public:
  // `state` is not owned and must outlive this object.
  IndicatorCollectable(std::shared_ptr<const Catalogue> catalogue, const LatestState* state,
                       std::string region);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<const Catalogue> catalogue_;
  const LatestState* state_;
  std::string region_;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_INDICATOR_COLLECTABLE_H_
