#include "server/storage/observation_store.h"

#include "absl/strings/str_cat.h"

namespace vroeg {

absl::Status SubmissionIdReusedError(const SubmissionRecord& submission, absl::Time first_used) {
  return absl::AlreadyExistsError(absl::StrCat(
      "submission id '", submission.submission_id, "' was already used by ", submission.reporter,
      " at ", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", first_used, absl::UTCTimeZone()),
      " for different content; send new data under a new submission id"));
}

}  // namespace vroeg
