#ifndef VROEG_AGENT_FILE_INTAKE_H_
#define VROEG_AGENT_FILE_INTAKE_H_

#include <string>

#include "absl/status/statusor.h"
#include "agent/drop_folder.h"
#include "agent/spool/spool.h"
#include "common/log.h"
#include "common/validation.h"

namespace vroeg {

enum class IntakeOutcome {
  // Validated, durably in the spool, and moved to done/.
  kSpooled,
  // Invalid: moved to rejected/ with an .errors.txt listing every problem; nothing spooled.
  kRejected,
  // The spool is full: the file stays where it is and is taken on a later scan.
  kDeferred,
};

// "spooled", "rejected" or "deferred", for logs and metric labels.
absl::string_view IntakeOutcomeName(IntakeOutcome outcome);

// Takes one ready file from a drop folder. A file is accepted or refused whole: with any problem
// nothing of it is sent, so a corrected file can simply be dropped again. The file is moved only
// after the spool has it durably; a crash in between leaves it in the folder, and taking it again
// is harmless because its submission id is derived from its content.
// Errors are storage errors of the spool or the folder; the file then stays where it is.
absl::StatusOr<IntakeOutcome> TakeFile(const std::string& path, const ValidationContext& context,
                                       Spool& spool, DropFolder& folder, Logger& logger);

}  // namespace vroeg

#endif  // VROEG_AGENT_FILE_INTAKE_H_
