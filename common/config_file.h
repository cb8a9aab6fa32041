#ifndef VROEG_COMMON_CONFIG_FILE_H_
#define VROEG_COMMON_CONFIG_FILE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace vroeg {

// Loads a binary's YAML configuration into `config` (unknown keys are errors), then lets
// `apply_defaults` fill defaults and check values in one place. Every error starts with the
// path. Returns the file's directory, against which relative paths in it are resolved.
absl::StatusOr<std::string> LoadConfigFile(const std::string& path,
                                           google::protobuf::Message* config,
                                           const std::function<absl::Status()>& apply_defaults);

// Checks a host:port setting; INVALID_ARGUMENT names `key` and gives an example.
absl::Status CheckHostPort(absl::string_view key, const std::string& address);

}  // namespace vroeg

#endif  // VROEG_COMMON_CONFIG_FILE_H_
