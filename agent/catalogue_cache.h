#ifndef VROEG_AGENT_CATALOGUE_CACHE_H_
#define VROEG_AGENT_CATALOGUE_CACHE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/collector_client.h"
#include "common/catalogue.h"
#include "common/log.h"

namespace vroeg {

// The collector's catalogue, which is authoritative for validation, with a copy on disk so that
// files can be checked and spooled while the collector is unreachable.
//
// Thread-safety: thread-safe.
class CatalogueCache {
 public:
  // `path` is where the copy is kept (<spool path>.catalogue.binpb by convention).
  explicit CatalogueCache(std::string path) : path_(std::move(path)) {}

  static std::string PathForSpool(const std::string& spool_path) {
    return spool_path + ".catalogue.binpb";
  }

  // Reads the copy an earlier run kept; nullptr when there is none or it is unusable.
  std::shared_ptr<const Catalogue> LoadCopy();

  // Fetches the catalogue from the collector and keeps a copy. On failure the previous catalogue
  // (fetched or loaded) stays current. Errors: the client's, or INVALID_ARGUMENT for a catalogue
  // that does not pass the integrity checks.
  absl::StatusOr<std::shared_ptr<const Catalogue>> Refresh(CollectorClient& client, Logger& logger);

  // The latest catalogue, or nullptr when none was fetched or loaded yet.
  std::shared_ptr<const Catalogue> current() const;
  // True once Refresh succeeded.
  bool fetched() const;

 private:
  const std::string path_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const Catalogue> current_ ABSL_GUARDED_BY(mu_);
  bool fetched_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vroeg

#endif  // VROEG_AGENT_CATALOGUE_CACHE_H_
