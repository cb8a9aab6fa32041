#include "agent/file_intake.h"

#include "absl/strings/str_cat.h"
#include "agent/file_submitter.h"
#include "common/problem.h"
#include "common/status_macros.h"

namespace vroeg {

absl::string_view IntakeOutcomeName(IntakeOutcome outcome) {
  switch (outcome) {
    case IntakeOutcome::kSpooled:
      return "spooled";
    case IntakeOutcome::kRejected:
      return "rejected";
    case IntakeOutcome::kDeferred:
      return "deferred";
  }
  return "unknown";
}

absl::StatusOr<IntakeOutcome> TakeFile(const std::string& path, const ValidationContext& context,
                                       Spool& spool, DropFolder& folder, Logger& logger) {
  PreparedFile file = PrepareFile(path, context);
  if (!file.error.ok() || !file.problems.empty()) {
    const std::string errors =
        !file.error.ok()
            ? absl::StrCat(file.error.message(), "\n")
            : absl::StrCat(file.problems.size(), " problems; nothing of this file was sent:\n",
                           FormatProblems(file.problems, file.problems.size()));
    VROEG_ASSIGN_OR_RETURN(std::string moved, folder.MarkRejected(path, errors));
    logger.Warning("file_rejected", {{"file", path},
                                     {"moved_to", moved},
                                     {"problems", file.problems.size()},
                                     {"first", file.error.ok() ? FormatProblem(file.problems[0])
                                                               : file.error.message()}});
    return IntakeOutcome::kRejected;
  }
  auto sequence = spool.Append(file.request, path);
  if (absl::IsResourceExhausted(sequence.status())) {
    logger.Warning("file_deferred", {{"file", path}, {"reason", sequence.status().message()}});
    return IntakeOutcome::kDeferred;
  }
  if (absl::IsInvalidArgument(sequence.status())) {
    // Too large for the spool even when empty: waiting would not help.
    VROEG_ASSIGN_OR_RETURN(
        std::string moved,
        folder.MarkRejected(path, absl::StrCat(sequence.status().message(), "; split the file\n")));
    logger.Warning("file_rejected",
                   {{"file", path}, {"moved_to", moved}, {"first", sequence.status().message()}});
    return IntakeOutcome::kRejected;
  }
  if (!sequence.ok()) return sequence.status();
  VROEG_ASSIGN_OR_RETURN(std::string moved, folder.MarkDone(path));
  logger.Info("file_spooled", {{"file", path},
                               {"moved_to", moved},
                               {"submission_id", file.request.submission_id()},
                               {"observations", file.request.observations_size()},
                               {"sequence", *sequence}});
  return IntakeOutcome::kSpooled;
}

}  // namespace vroeg
