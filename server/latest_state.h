#ifndef VROEG_SERVER_LATEST_STATE_H_
#define VROEG_SERVER_LATEST_STATE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

  struct LoadSummary {
    // The state came from the store's checkpoint and what was committed after it.
    bool from_checkpoint = false;
    // Why a checkpoint the store had was not used (saved with another history_periods, in
    // another format, damaged); empty when there was none or it was used.
    std::string checkpoint_refused;
  };

  // Meant for start-up, on an empty state. Takes the store's checkpoint
  // (ObservationStore::TakeCheckpoint); when it is one this state can use, restores it and
  // applies every value current now that was committed after it: the state the collector had
  // when it saved the checkpoint, updated as Apply would have. Otherwise reads what this state
  // keeps of every series (ObservationStore::ForEachRecent) and applies it: the same state as
  // Apply of every current value in commit order would give. Errors are the store's; the state
  // may then hold part of the series.
  absl::StatusOr<LoadSummary> Load(ObservationStore& store);

  // Saves what this state holds as the store's checkpoint (ObservationStore::SaveCheckpoint),
  // for the next Load. Only when nothing commits any more: the collector calls it after its
  // last commit, when it stops. Errors are the store's.
  absl::Status SaveCheckpoint(ObservationStore& store) const;

  // A copy of every series, ordered by key.
  early_warning::Snapshot Snapshot() const;

  // Number of series held.
  size_t size() const;

  // Changes with every Apply, so that what is derived from a Snapshot can be reused while it
  // stays the same. Read it before taking the snapshot: the snapshot is then at least as new.
  uint64_t version() const;

 private:
  // Replaces what this state holds by a checkpoint's; returns why it cannot (and then changes
  // nothing), or an empty string.
  std::string Restore(const std::string& checkpoint);

  const size_t history_periods_;
  mutable absl::Mutex mu_;
  std::map<SeriesKey, early_warning::SeriesHistory> series_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_LATEST_STATE_H_
