#ifndef VROEG_SERVER_STORAGE_OBSERVATION_STORE_H_
#define VROEG_SERVER_STORAGE_OBSERVATION_STORE_H_

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vroeg/api/v1/observation.pb.h"

namespace vroeg {

// What a correction replaces: one reporter's figure for one indicator, care form and
// municipality. Together with a period it names one current value.
struct SeriesKey {
  std::string reporter;  // urn:vroeg:<kind>:<id>
  std::string indicator;
  std::string care_form;     // empty for organisation-level indicators
  std::string municipality;  // empty when not split by municipality
  auto operator<=>(const SeriesKey&) const = default;
};

struct StoredObservation {
  SeriesKey series;
  std::string period_start;  // YYYY-MM-DD
  std::string period_end;    // YYYY-MM-DD
  type::v1::Granularity granularity = type::v1::GRANULARITY_UNSPECIFIED;
  double value = 0;
  std::string submission_id;
  absl::Time received_at;
  // False once a later submission replaced this value for the same series and period.
  bool current = true;
  // For a value that is not current, as ForEachObservation reads it: the submission whose value
  // replaced it, and when that submission was committed. Empty (and superseded_at unset) for the
  // current value, and in what the other reads return.
  std::string superseded_by_submission_id;
  absl::Time superseded_at = absl::InfinitePast();
  // Filled by ForEachObservation: the region of the submission this value came in with
  // (SubmissionRecord::region). Empty in what the other reads return.
  std::string region;
};

// Which stored observations ForEachObservation reads. Within one list the values are
// alternatives; the conditions combine with AND; an empty list selects everything. Values are
// compared exactly, as stored.
struct ExportQuery {
  // Inclusive bounds on period_end (YYYY-MM-DD); empty is open.
  std::string period_end_from;
  std::string period_end_to;
  std::vector<std::string> reporters;
  std::vector<std::string> indicators;
  // "" selects organisation-level figures.
  std::vector<std::string> care_forms;
  // "" selects figures without a municipality.
  std::vector<std::string> municipalities;
  // False: the current value of every series and period only. True: every value ever stored,
  // each superseded one with what replaced it.
  bool history = false;
};

// One submission as the collector commits it: every observation shares reporter,
// submission id, received time and region.
struct SubmissionRecord {
  std::string reporter;
  std::string submission_id;
  // Hex SHA-256 of the submission's canonical content; tells a retry from a reused id. The
  // region is not part of it.
  std::string digest;
  absl::Time received_at;
  // Code of the region whose collector forwarded the submission to this one; empty when the
  // reporter sent it here directly (this collector's own region). Kept as first committed: a
  // duplicate commit does not change it.
  std::string region;
  std::vector<StoredObservation> observations;
};

struct CommitResult {
  // True when (reporter, submission_id) was committed before with the same digest.
  bool duplicate = false;
  uint32_t stored = 0;
  uint32_t corrections = 0;
  // When the submission was first committed.
  absl::Time committed_at;
};

// The newest current values of one series, as ForEachRecent reads them.
struct RecentSeries {
  SeriesKey series;
  // Newest first: by period_end, then period_start (YYYY-MM-DD, so by their bytes). Each has the
  // fields ForEachCurrentAfter fills.
  std::vector<StoredObservation> periods;
  // The latest received_at of any current value of the series, whether or not its period is in
  // `periods` (backdated data: an old period may have been received last).
  absl::Time newest_received = absl::InfinitePast();
};

// What the collector's in-memory state held when it stopped, kept in the store so that the next
// start need not read the newest values of every series again (ObservationStore::SaveCheckpoint).
struct StateCheckpoint {
  // As LatestState wrote it; opaque to the store.
  std::string state;
  // The store's position when it was saved: every observation committed before the save is at
  // or before it, every later one after it (ForEachCurrentAfter). Position 0 is before every
  // observation.
  int64_t position = 0;
};

struct StoreCounts {
  uint64_t submissions = 0;
  // Every stored observation, history included.
  uint64_t observations = 0;
  // Observations that are the current value of their series and period.
  uint64_t current = 0;
};

// Durable storage of submissions and observations with correction history.
// Implementations are thread-safe: every method may be called from any thread.
class ObservationStore {
 public:
  virtual ~ObservationStore() = default;

  // Commits `submissions` in one transaction, made durable once for all of them before this
  // returns, and returns one result per submission, in the same order: exactly what calling
  // Commit on each in that order would have returned. So a submission repeating an earlier one
  // (stored before, or earlier in `submissions`) is a duplicate of it; one that reuses an id gets
  // ALREADY_EXISTS and nothing of it is written, while the others are committed; corrections
  // take effect in the order of `submissions`. When the transaction cannot be written or made
  // durable, every result is UNAVAILABLE and nothing is written (retry is safe). Implementations
  // may add per-submission errors of their own (see theirs). Empty `submissions`: no results.
  virtual std::vector<absl::StatusOr<CommitResult>> CommitGroup(
      std::span<const SubmissionRecord* const> submissions) = 0;

  // Commits the whole submission atomically and durably before returning OK: CommitGroup of one.
  // A new observation for an existing (series, period) becomes current and the earlier one
  // stays as history (current = false). Errors: ALREADY_EXISTS when the reporter used the
  // submission id before for a different digest (nothing written); UNAVAILABLE when storage
  // cannot be written (nothing written; retry is safe).
  absl::StatusOr<CommitResult> Commit(const SubmissionRecord& submission);

  // Calls `fn` for every current observation: ForEachCurrentAfter(0, fn).
  absl::Status ForEachCurrent(const std::function<void(const StoredObservation&)>& fn);

  // Calls `fn` once for every series that has a current value, in no particular order of series,
  // with what LatestState keeps of it (start-up reads this instead of every current value):
  // RecentSeries::periods holds the current values of its `periods_per_series` newest periods
  // (all of them when it has fewer; none when `periods_per_series` is 0) and newest_received
  // the latest received_at of any of its current values, including those of older periods.
  // Both come from one snapshot. `fn` must not call back into the store; the RecentSeries it gets
  // is only valid during the call. Errors: UNAVAILABLE when storage cannot be read; `fn` may then
  // have been called for some of the series.
  virtual absl::Status ForEachRecent(size_t periods_per_series,
                                     const std::function<void(const RecentSeries&)>& fn) = 0;

  // Keeps `state` as the checkpoint, replacing any earlier one, at the store's current position.
  // `state` must reflect exactly what was committed before the call, and nothing may commit
  // during it (the collector saves when it stops, after its last commit). Durable when it
  // returns. A state built by one handle cannot hold what others committed, so the call is
  // refused when another handle or process committed since this handle last called
  // TakeCheckpoint (since it was opened, if it never did). Errors: FAILED_PRECONDITION saying so
  // in that case; UNAVAILABLE when storage cannot be read or written; nothing changed either way.
  virtual absl::Status SaveCheckpoint(std::string_view state) = 0;

  // Removes the checkpoint and returns it, in one transaction; nullopt when there is none. A
  // checkpoint serves one start only: the state restored from it changes from then on, and a
  // start after a crash must not take a checkpoint older than what that state had become.
  // Errors: UNAVAILABLE when storage cannot be read or written (the checkpoint stays).
  virtual absl::StatusOr<std::optional<StateCheckpoint>> TakeCheckpoint() = 0;

  // Calls `fn` for every observation that is current now and was committed after `position`
  // (StateCheckpoint::position), in no particular order, each with series, period, granularity,
  // value, submission_id, received_at and current = true (the other fields are left empty).
  // Memory does not grow with the number of rows. `fn` must not call back into the store.
  // Errors: UNAVAILABLE when storage cannot be read; `fn` may then have been called for some.
  virtual absl::Status ForEachCurrentAfter(
      int64_t position, const std::function<void(const StoredObservation&)>& fn) = 0;

  // Every value ever stored for one series and period, oldest first.
  virtual absl::StatusOr<std::vector<StoredObservation>> History(const SeriesKey& series,
                                                                 const std::string& period_start,
                                                                 const std::string& period_end) = 0;

  virtual absl::StatusOr<StoreCounts> Counts() = 0;

  // Calls `fn` for every observation `query` selects, in this order: period_end, period_start,
  // reporter, indicator, care_form, municipality (each by its bytes) and, within one series and
  // period, commit order (oldest first). Stops early, returning OK, when `fn` returns false.
  // Everything comes from one snapshot: commits that end during the call are not seen. Memory
  // does not grow with the number of rows (implementations step through a cursor). `fn` must
  // not call back into the store. Errors: UNAVAILABLE when storage cannot be read; `fn` may
  // then have been called for part of the rows.
  virtual absl::Status ForEachObservation(
      const ExportQuery& query, const std::function<bool(const StoredObservation&)>& fn) = 0;
};

// The ALREADY_EXISTS every implementation returns when `submission` reuses a submission id
// that its reporter first used at `first_used` for other content.
absl::Status SubmissionIdReusedError(const SubmissionRecord& submission, absl::Time first_used);

}  // namespace vroeg

#endif  // VROEG_SERVER_STORAGE_OBSERVATION_STORE_H_
