#ifndef VROEG_SERVER_LATEST_STATE_H_
#define VROEG_SERVER_LATEST_STATE_H_

#include <cstddef>
#include <cstdint>
#include <map>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/early_warning/series.h"
#include "server/storage/observation_store.h"

namespace vroeg {

// The recent history of every series, kept in memory for /metrics and rebuilt from storage at
// start-up: per series the current values of its `history_periods` newest periods and when it
// last received anything. "Newest" is by period (end date, then start date), never by arrival:
// backdated data fills in history without hiding a later period, a correction replaces the
// value of its period, and a period older than the window is dropped. Thread-safe.
class LatestState {
 public:
  // `history_periods` must be at least 1.
  explicit LatestState(size_t history_periods);

  // Applies one current observation. Apply corrections in commit order. An observation whose
  // dates do not parse is ignored (the store only holds validated ones).
  void Apply(const StoredObservation& observation);

  // Reads what this state keeps of every series from `store` (ObservationStore::ForEachRecent)
  // and applies it: the same state as Apply of every current value in commit order would give.
  // Meant for start-up, on an empty state. Errors are the store's; the state may then hold part
  // of the series.
  absl::Status Load(ObservationStore& store);

  // A copy of every series, ordered by key.
  early_warning::Snapshot Snapshot() const;

  // Number of series held.
  size_t size() const;

  // Changes with every Apply, so that what is derived from a Snapshot can be reused while it
  // stays the same. Read it before taking the snapshot: the snapshot is then at least as new.
  uint64_t version() const;

 private:
  const size_t history_periods_;
  mutable absl::Mutex mu_;
  std::map<SeriesKey, early_warning::SeriesHistory> series_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_LATEST_STATE_H_
