#include "server/latest_state.h"

#include <algorithm>

namespace vroeg {

LatestState::LatestState(size_t history_periods) : history_periods_(history_periods) {}

void LatestState::Apply(const StoredObservation& observation) {
  const auto start = early_warning::ParseDay(observation.period_start);
  const auto end = early_warning::ParseDay(observation.period_end);
  if (!start.ok() || !end.ok()) return;
  absl::MutexLock lock(&mu_);
  ++version_;
  series_[observation.series].Record(*start, *end, observation.value, observation.received_at,
                                     history_periods_);
}

absl::Status LatestState::Load(ObservationStore& store) {
  return store.ForEachRecent(history_periods_, [this](const RecentSeries& recent) {
    absl::MutexLock lock(&mu_);
    early_warning::SeriesHistory* history = nullptr;
    // Oldest first, so that each Record appends; the window keeps all of them.
    for (auto it = recent.periods.rbegin(); it != recent.periods.rend(); ++it) {
      const auto start = early_warning::ParseDay(it->period_start);
      const auto end = early_warning::ParseDay(it->period_end);
      if (!start.ok() || !end.ok()) continue;
      if (history == nullptr) {
        ++version_;
        history = &series_[recent.series];
      }
      history->Record(*start, *end, it->value, it->received_at, history_periods_);
    }
    // Apply takes the newest received_at of every value it sees, older periods included.
    if (history != nullptr) {
      history->newest_received =
          std::max(history->newest_received, absl::ToUnixSeconds(recent.newest_received));
    }
  });
}

early_warning::Snapshot LatestState::Snapshot() const {
  absl::ReaderMutexLock lock(&mu_);
  early_warning::Snapshot snapshot;
  snapshot.reserve(series_.size());
  for (const auto& [key, history] : series_) snapshot.push_back({key, history});
  return snapshot;
}

size_t LatestState::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return series_.size();
}

uint64_t LatestState::version() const {
  absl::ReaderMutexLock lock(&mu_);
  return version_;
}

}  // namespace vroeg
