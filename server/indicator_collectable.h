#ifndef VROEG_SERVER_INDICATOR_COLLECTABLE_H_
#define VROEG_SERVER_INDICATOR_COLLECTABLE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "common/catalogue.h"
#include "common/clock.h"
#include "prometheus/collectable.h"
#include "server/early_warning/roles.h"
#include "server/latest_state.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg {

// Exposes stored state on /metrics, computed at scrape time from a snapshot of LatestState:
//  - per reporter series: the catalogue metric (prefix jeugdzorg_) with labels region, reporter,
//    reporter_kind, care_form and municipality (when set) plus the catalogue's constant labels;
//    values in the metric's base unit (weeks as seconds);
//  - the catalogue's regional figures (metric.region_name, region_max_name, municipality_name,
//    ratios; see early_warning/catalogue_figures.h);
//  - the early-warning figures (see early_warning/figures.h) under their contract names;
//  - vroeg_series (held), vroeg_reporters_expired and vroeg_series_expired (left out because
//    silent too long), vroeg_series_exposed and vroeg_series_not_exposed_total (the cap).
// Reporters silent for longer than early_warning.reporter_expiry_days are left out everywhere.
// Regional figures always appear; per-reporter samples stop at early_warning.max_exposed_series,
// derived figures before catalogue series. Ratios without a positive denominator are left out.
// Thread-safe: Collect may run concurrently with updates of the state and with itself.
class IndicatorCollectable : public prometheus::Collectable {
 public:
  // `settings` must have its defaults applied. `state` and `clock` are not owned and must
  // outlive this object. `started` is when the collector started.
  IndicatorCollectable(std::shared_ptr<const Catalogue> catalogue,
                       early_warning::IndicatorRoles roles, const LatestState* state,
                       config::v1::Region region, config::v1::EarlyWarning settings,
                       const Clock* clock, absl::Time started);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<const Catalogue> catalogue_;
  const early_warning::IndicatorRoles roles_;
  const LatestState* state_;
  const config::v1::Region region_;
  const config::v1::EarlyWarning settings_;
  const Clock* clock_;
  const absl::Time started_;
  // Per-reporter samples left out by the cap, over all scrapes.
  mutable std::atomic<uint64_t> not_exposed_{0};
};

}  // namespace vroeg

#endif  // VROEG_SERVER_INDICATOR_COLLECTABLE_H_
