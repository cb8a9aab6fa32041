#ifndef VROEG_TESTS_FAKES_FAKE_OBSERVATION_STORE_H_
#define VROEG_TESTS_FAKES_FAKE_OBSERVATION_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/storage/observation_store.h"

namespace vroeg {

// A working ObservationStore in memory, with the same semantics as SqliteStore (it passes the
// same contract suite): observations take the submission's reporter, submission id, received
// time and region; times are truncated to whole microseconds; commit order decides what is
// current.
//
// Handles made by NewHandle() share the data, the checkpoint included, which outlives any one
// handle; destroying a handle and using another stands in for a process restart, and two handles
// in use at once for two collector processes: SaveCheckpoint on one is refused once the other
// committed since it was made or last called TakeCheckpoint.
//
// Thread-safety: thread-safe. ForEachCurrentAfter, ForEachRecent and
// ForEachObservation hold a lock while they call `fn`, which must not call back into the store.
class FakeObservationStore : public ObservationStore {
 public:
  // An empty store.
  FakeObservationStore();
  ~FakeObservationStore() override;

  // Another handle on the same data.
  std::unique_ptr<FakeObservationStore> NewHandle() const;

  // The next `n` transactions (calls of Commit or CommitGroup, on any handle) fail: every
  // submission in them gets UNAVAILABLE and nothing is written.
  void FailNextCommits(int n);

  // How many transactions (calls of Commit or CommitGroup) were asked of any handle, failed ones
  // included.
  int commit_calls() const;

  std::vector<absl::StatusOr<CommitResult>> CommitGroup(
      std::span<const SubmissionRecord* const> submissions) override;
  // Positions count the observations stored so far, in commit order.
  absl::Status ForEachCurrentAfter(
      int64_t position, const std::function<void(const StoredObservation&)>& fn) override;
  absl::Status SaveCheckpoint(std::string_view state) override;
  absl::StatusOr<std::optional<StateCheckpoint>> TakeCheckpoint() override;
  // Sorts each series' current values in memory.
  absl::Status ForEachRecent(size_t periods_per_series,
                             const std::function<void(const RecentSeries&)>& fn) override;
  absl::StatusOr<std::vector<StoredObservation>> History(const SeriesKey& series,
                                                         const std::string& period_start,
                                                         const std::string& period_end) override;
  absl::StatusOr<StoreCounts> Counts() override;
  // Sorts the selected rows in memory: a fake needs no cursor.
  absl::Status ForEachObservation(const ExportQuery& query,
                                  const std::function<bool(const StoredObservation&)>& fn) override;

 private:
  struct Data;
  explicit FakeObservationStore(std::shared_ptr<Data> data);

  std::shared_ptr<Data> data_;
  // Guarded by data_->mu. The observations stored in all when this handle was made or last
  // called TakeCheckpoint, plus those its own commits stored since: what SaveCheckpoint expects.
  uint64_t observations_seen_ = 0;
};

}  // namespace vroeg

#endif  // VROEG_TESTS_FAKES_FAKE_OBSERVATION_STORE_H_
