#ifndef VROEG_SERVER_INDICATOR_COLLECTABLE_H_
#define VROEG_SERVER_INDICATOR_COLLECTABLE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/catalogue.h"
#include "common/clock.h"
#include "common/text_exposition.h"
#include "prometheus/metric_family.h"
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
// AppendExposition renders this text once and reuses it for later scrapes while LatestState's
// version is the same and the clock has not passed an instant where the output changes (a
// reporter expiring, a due time passing); only vroeg_series_not_exposed_total is written per
// scrape. Collect always computes afresh.
// Thread-safe: Collect and AppendExposition may run concurrently with updates of the state and
// with themselves.
class IndicatorCollectable : public TextCollectable {
 public:
  // `settings` must have its defaults applied. `state` and `clock` are not owned and must
  // outlive this object. `started` is when the collector started.
  IndicatorCollectable(std::shared_ptr<const Catalogue> catalogue,
                       early_warning::IndicatorRoles roles, const LatestState* state,
                       config::v1::Region region, config::v1::EarlyWarning settings,
                       const Clock* clock, absl::Time started);

  std::vector<prometheus::MetricFamily> Collect() const override;
  void AppendExposition(std::vector<ExpositionChunk>* chunks) const override;

 private:
  // The instants between which a rendering stays the same as long as the state does.
  struct Validity {
    absl::Time from;
    // The first instant at which a reporter expires.
    absl::Time expiry_changes = absl::InfiniteFuture();
    // The last instant before a reporter becomes overdue.
    absl::Time through = absl::InfiniteFuture();
    bool Covers(absl::Time now) const {
      return now >= from && now < expiry_changes && now <= through;
    }
  };
  // The families at one instant, vroeg_series_not_exposed_total without its sample.
  struct Rendering {
    std::vector<prometheus::MetricFamily> families;
    // Per-reporter samples the cap left out of this rendering.
    uint64_t not_exposed = 0;
    Validity validity;
  };
  // The text of a Rendering, split around the counter that changes per scrape.
  struct CachedText {
    uint64_t version = 0;
    Validity validity;
    uint64_t not_exposed = 0;
    ExpositionChunk before_counter;
    prometheus::MetricFamily counter;
    ExpositionChunk after_counter;
    bool ValidAt(uint64_t state_version, absl::Time now) const {
      return version == state_version && validity.Covers(now);
    }
  };

  Rendering Render(absl::Time now) const;
  // Adds this rendering's left-out samples to the counter; returns the new total.
  uint64_t CountNotExposed(uint64_t not_exposed) const;

  std::shared_ptr<const Catalogue> catalogue_;
  const early_warning::IndicatorRoles roles_;
  const LatestState* state_;
  const config::v1::Region region_;
  const config::v1::EarlyWarning settings_;
  const Clock* clock_;
  const absl::Time started_;
  // Per-reporter samples left out by the cap, over all scrapes.
  mutable std::atomic<uint64_t> not_exposed_{0};
  mutable absl::Mutex cache_mu_;
  mutable std::shared_ptr<const CachedText> cache_ ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace vroeg

#endif  // VROEG_SERVER_INDICATOR_COLLECTABLE_H_
