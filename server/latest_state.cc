#include "server/latest_state.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "vroeg/collector/v1/state.pb.h"

namespace vroeg {
namespace {

// StateCheckpoint.format of what SaveCheckpoint writes.
constexpr uint32_t kCheckpointFormat = 1;

}  // namespace

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

absl::StatusOr<LatestState::LoadSummary> LatestState::Load(ObservationStore& store) {
  LoadSummary summary;
  VROEG_ASSIGN_OR_RETURN(std::optional<StateCheckpoint> checkpoint, store.TakeCheckpoint());
  if (checkpoint.has_value()) {
    summary.checkpoint_refused = Restore(checkpoint->state);
    if (summary.checkpoint_refused.empty()) {
      summary.from_checkpoint = true;
      VROEG_RETURN_IF_ERROR(store.ForEachCurrentAfter(
          checkpoint->position,
          [this](const StoredObservation& observation) { Apply(observation); }));
      return summary;
    }
  }
  VROEG_RETURN_IF_ERROR(store.ForEachRecent(history_periods_, [this](const RecentSeries& recent) {
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
  }));
  return summary;
}

absl::Status LatestState::SaveCheckpoint(ObservationStore& store) const {
  collector::v1::StateCheckpoint checkpoint;
  {
    absl::ReaderMutexLock lock(&mu_);
    checkpoint.set_format(kCheckpointFormat);
    checkpoint.set_history_periods(static_cast<uint32_t>(history_periods_));
    checkpoint.mutable_series()->Reserve(static_cast<int>(series_.size()));
    for (const auto& [key, history] : series_) {
      collector::v1::SeriesState* series = checkpoint.add_series();
      series->set_reporter(key.reporter);
      series->set_indicator(key.indicator);
      series->set_care_form(key.care_form);
      series->set_municipality(key.municipality);
      series->set_newest_received(history.newest_received);
      for (const early_warning::PeriodValue& period : history.periods) {
        series->add_period_start(period.start);
        series->add_period_end(period.end);
        series->add_value(period.value);
      }
    }
  }
  return store.SaveCheckpoint(checkpoint.SerializeAsString());
}

std::string LatestState::Restore(const std::string& bytes) {
  collector::v1::StateCheckpoint checkpoint;
  if (!checkpoint.ParseFromString(bytes)) return "it is not a state checkpoint";
  if (checkpoint.format() != kCheckpointFormat) {
    return absl::StrCat("it has format ", checkpoint.format(), ", this collector reads ",
                        kCheckpointFormat);
  }
  if (checkpoint.history_periods() != history_periods_) {
    return absl::StrCat("it was saved with early_warning.history_periods ",
                        checkpoint.history_periods(), ", now ", history_periods_);
  }
  std::map<SeriesKey, early_warning::SeriesHistory> restored;
  for (const collector::v1::SeriesState& series : checkpoint.series()) {
    const int periods = series.period_start_size();
    if (periods == 0 || static_cast<size_t>(periods) > history_periods_ ||
        series.period_end_size() != periods || series.value_size() != periods) {
      return "a series in it has a damaged history";
    }
    early_warning::SeriesHistory history;
    history.newest_received = series.newest_received();
    history.periods.reserve(periods);
    for (int i = 0; i < periods; ++i) {
      history.periods.push_back({series.period_start(i), series.period_end(i), series.value(i)});
      // Oldest first, as SeriesHistory keeps them: a checkpoint out of order is not ours.
      if (i > 0 && !early_warning::Newer(history.periods[i], history.periods[i - 1])) {
        return "a series in it has a damaged history";
      }
    }
    SeriesKey key{series.reporter(), series.indicator(), series.care_form(), series.municipality()};
    if (!restored.emplace(std::move(key), std::move(history)).second) {
      return "it holds a series twice";
    }
  }
  absl::MutexLock lock(&mu_);
  series_ = std::move(restored);
  ++version_;
  return "";
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
