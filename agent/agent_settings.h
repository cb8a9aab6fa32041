#ifndef VROEG_AGENT_AGENT_SETTINGS_H_
#define VROEG_AGENT_AGENT_SETTINGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vroeg/config/v1/agent.pb.h"

namespace vroeg {

// An agent configuration with defaults applied and every setting checked, plus the directory
// that relative paths in it are resolved against.
struct AgentSettings {
  config::v1::AgentConfig config;
  std::string base_dir;
};

// Fills in the retry defaults (500 ms, 300 s) and checks the pair; errors name `key`, the
// configuration key the settings are under.
absl::Status ApplyRetryDefaults(absl::string_view key, config::v1::RetryConfig* retry);

// Loads the YAML file, rejects unknown keys, applies defaults and checks values; the error
// names the key and says what is expected.
absl::StatusOr<AgentSettings> LoadAgentSettings(const std::string& path);

}  // namespace vroeg

#endif  // VROEG_AGENT_AGENT_SETTINGS_H_
