#include "server/latest_state.h"

#include <tuple>

namespace vroeg {

void LatestState::Apply(const StoredObservation& observation) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = series_.try_emplace(observation.series);
  LatestValue& latest = it->second;
  // ISO dates compare correctly as strings.
  if (!inserted && std::tie(observation.period_end, observation.period_start) <
                       std::tie(latest.period_end, latest.period_start)) {
    return;
  }
  latest.period_start = observation.period_start;
  latest.period_end = observation.period_end;
  latest.value = observation.value;
}

void LatestState::ForEach(
    const std::function<void(const SeriesKey&, const LatestValue&)>& fn) const {
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [key, value] : series_) fn(key, value);
}

size_t LatestState::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return series_.size();
}

}  // namespace vroeg
