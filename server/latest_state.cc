#include "server/latest_state.h"

namespace vroeg {

LatestState::LatestState(size_t history_periods) : history_periods_(history_periods) {}

void LatestState::Apply(const StoredObservation& observation) {
  const auto start = early_warning::ParseDay(observation.period_start);
  const auto end = early_warning::ParseDay(observation.period_end);
  if (!start.ok() || !end.ok()) return;
  absl::MutexLock lock(&mu_);
  series_[observation.series].Record(*start, *end, observation.value, observation.received_at,
                                     history_periods_);
}

absl::Status LatestState::Load(ObservationStore& store) {
  return store.ForEachCurrent([this](const StoredObservation& observation) { Apply(observation); });
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

}  // namespace vroeg
