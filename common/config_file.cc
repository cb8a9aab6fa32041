#include "common/config_file.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/yaml_proto.h"

namespace vroeg {

absl::StatusOr<std::string> LoadConfigFile(const std::string& path,
                                           google::protobuf::Message* config,
                                           const std::function<absl::Status()>& apply_defaults) {
  VROEG_RETURN_IF_ERROR(LoadYamlFile(path, config));
  if (absl::Status status = apply_defaults(); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", status.message()));
  }
  return std::filesystem::absolute(path).parent_path().string();
}

absl::Status CheckHostPort(absl::string_view key, const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": '", address, "' is not host:port (e.g. 127.0.0.1:7443)"));
  }
  for (char c : address.substr(colon + 1)) {
    if (!absl::ascii_isdigit(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat(key, ": port in '", address, "' is not a number"));
    }
  }
  return absl::OkStatus();
}

}  // namespace vroeg
