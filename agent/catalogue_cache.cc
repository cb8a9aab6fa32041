#include "agent/catalogue_cache.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace vroeg {

std::shared_ptr<const Catalogue> CatalogueCache::LoadCopy() {
  std::ifstream in(path_, std::ios::binary);
  catalogue::v1::Catalogue proto;
  if (!in || !proto.ParseFromIstream(&in)) return nullptr;
  auto catalogue = Catalogue::FromProto(std::move(proto));
  if (!catalogue.ok()) return nullptr;
  absl::MutexLock lock(&mu_);
  current_ = *catalogue;
  return current_;
}

absl::StatusOr<std::shared_ptr<const Catalogue>> CatalogueCache::Refresh(CollectorClient& client,
                                                                         Logger& logger) {
  auto proto = client.GetCatalogue();
  if (!proto.ok()) return proto.status();
  auto catalogue = Catalogue::FromProto(*proto);
  if (!catalogue.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the collector's catalogue is unusable: ", catalogue.status().message()));
  }
  // Replaced by rename so that a crash never leaves half a copy; losing the copy only means
  // waiting for the collector once more, hence no fsync.
  const std::string temp = path_ + ".tmp";
  bool saved = false;
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    saved = proto->SerializeToOstream(&out) && out.flush().good();
  }
  if (!saved || std::rename(temp.c_str(), path_.c_str()) != 0) {
    logger.Warning("catalogue_not_saved",
                   {{"path", path_}, {"effect", "files wait for the collector after a restart"}});
  }
  absl::MutexLock lock(&mu_);
  if (current_ == nullptr || current_->version() != (*catalogue)->version()) {
    logger.Info("catalogue_loaded", {{"version", (*catalogue)->version()}});
  }
  current_ = *catalogue;
  fetched_ = true;
  return current_;
}

std::shared_ptr<const Catalogue> CatalogueCache::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

bool CatalogueCache::fetched() const {
  absl::MutexLock lock(&mu_);
  return fetched_;
}

}  // namespace vroeg
