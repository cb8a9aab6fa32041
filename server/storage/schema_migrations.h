#ifndef VROEG_SERVER_STORAGE_SCHEMA_MIGRATIONS_H_
#define VROEG_SERVER_STORAGE_SCHEMA_MIGRATIONS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace vroeg {

// One step of a storage backend's schema history: the SQL that takes a database from version
// `version` - 1 to `version`. Each backend keeps its steps in order (versions 1, 2, ...) and
// records every applied step in its table schema_migrations (version, description, applied_at),
// one transaction per step. Append steps; never edit or remove a released one.
struct SchemaMigration {
  int64_t version;
  const char* description;
  const char* sql;
};

// True when `steps` are numbered 1, 2, ... without gaps, as every backend's list must be.
constexpr bool MigrationsAreNumberedInOrder(absl::Span<const SchemaMigration> steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].version != static_cast<int64_t>(i) + 1) return false;
  }
  return true;
}

// The FAILED_PRECONDITION every backend returns, before changing anything, for a `database`
// (a path, or a PostgreSQL target) whose schema version is newer than the `known` version of
// this binary: running on would misread or damage what a newer collector wrote.
absl::Status NewerSchemaError(absl::string_view database, int64_t version, int64_t known);

}  // namespace vroeg

#endif  // VROEG_SERVER_STORAGE_SCHEMA_MIGRATIONS_H_
