#include "agent/agent_settings.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/yaml_proto.h"

namespace vroeg {
namespace {

constexpr uint32_t kDefaultTimeoutSeconds = 30;

absl::Status ApplyDefaults(config::v1::AgentConfig* config) {
  if (config->collector().empty()) {
    return absl::InvalidArgumentError(
        "collector is required: the regional collector's host:port, e.g. "
        "vroeg.flevoland.example:7443");
  }
  const size_t colon = config->collector().rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == config->collector().size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("collector: '", config->collector(), "' is not host:port"));
  }
  if (config->timeout_seconds() == 0) config->set_timeout_seconds(kDefaultTimeoutSeconds);
  if (config->tls().certificate().empty() || config->tls().private_key().empty() ||
      config->tls().ca_certificate().empty()) {
    return absl::InvalidArgumentError(
        "tls.certificate, tls.private_key and tls.ca_certificate are required: the region "
        "issues them (vroegctl pki issue)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AgentSettings> LoadAgentSettings(const std::string& path) {
  AgentSettings settings;
  VROEG_RETURN_IF_ERROR(LoadYamlFile(path, &settings.config));
  if (auto s = ApplyDefaults(&settings.config); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  settings.base_dir = std::filesystem::absolute(path).parent_path().string();
  return settings;
}

}  // namespace vroeg
