#include "server/storage/schema_migrations.h"

#include "absl/strings/str_cat.h"

namespace vroeg {

absl::Status NewerSchemaError(absl::string_view database, int64_t version, int64_t known) {
  return absl::FailedPreconditionError(absl::StrCat(
      database, " has schema version ", version,
      " and was written by a newer vroeg-collector; this vroeg-collector knows schema versions up "
      "to ",
      known,
      ". Nothing was changed: run the newer vroeg-collector, or restore the backup made before "
      "the upgrade"));
}

}  // namespace vroeg
