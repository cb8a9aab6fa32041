#include "server/storage/observation_store.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace vroeg {

absl::StatusOr<CommitResult> ObservationStore::Commit(const SubmissionRecord& submission) {
  const SubmissionRecord* const one[] = {&submission};
  std::vector<absl::StatusOr<CommitResult>> results = CommitGroup(one);
  if (results.size() != 1) {
    return absl::InternalError(
        absl::StrCat("the store returned ", results.size(), " results for one submission"));
  }
  return std::move(results[0]);
}

absl::Status ObservationStore::ForEachCurrent(
    const std::function<void(const StoredObservation&)>& fn) {
  return ForEachCurrentAfter(0, fn);
}

absl::Status SubmissionIdReusedError(const SubmissionRecord& submission, absl::Time first_used) {
  return absl::AlreadyExistsError(absl::StrCat(
      "submission id '", submission.submission_id, "' was already used by ", submission.reporter,
      " at ", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", first_used, absl::UTCTimeZone()),
      " for different content; send new data under a new submission id"));
}

}  // namespace vroeg
