#ifndef VROEG_SERVER_LATEST_STATE_H_
#define VROEG_SERVER_LATEST_STATE_H_

#include <functional>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "server/storage/observation_store.h"

namespace vroeg {

// The current value of the latest period of one series.
struct LatestValue {
  std::string period_start;
  std::string period_end;
  double value = 0;
};

// The newest figure per series, kept in memory for /metrics and rebuilt from storage at
// start-up. "Newest" is by period (end date, then start date), never by arrival: backdated data
// updates history without hiding a later period, and a correction of the latest period replaces
// it. Thread-safe.
class LatestState {
 public:
  // Applies one current observation. Apply corrections in commit order.
  void Apply(const StoredObservation& observation);

  // Calls `fn` for every series in key order while holding a read lock; `fn` must not call back
  // into this object.
  void ForEach(const std::function<void(const SeriesKey&, const LatestValue&)>& fn) const;

  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  std::map<SeriesKey, LatestValue> series_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vroeg

#endif  // VROEG_SERVER_LATEST_STATE_H_
