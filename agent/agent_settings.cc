#include "agent/agent_settings.h"

#include "absl/strings/str_cat.h"
#include "common/config_file.h"
#include "common/status_macros.h"

namespace vroeg {
namespace {

constexpr uint32_t kDefaultTimeoutSeconds = 30;

absl::Status ApplyDefaults(config::v1::AgentConfig* config) {
  if (config->collector().empty()) {
    return absl::InvalidArgumentError(
        "collector is required: the regional collector's host:port, e.g. "
        "vroeg.flevoland.example:7443");
  }
  VROEG_RETURN_IF_ERROR(CheckHostPort("collector", config->collector()));
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
  VROEG_ASSIGN_OR_RETURN(settings.base_dir, LoadConfigFile(path, &settings.config, [&] {
                           return ApplyDefaults(&settings.config);
                         }));
  return settings;
}

}  // namespace vroeg
