#ifndef VROEG_COMMON_YAML_PROTO_H_
#define VROEG_COMMON_YAML_PROTO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace vroeg {

// Fills `message` from YAML text, driven by the message's descriptor: keys are proto field
// names, enums are given by value name with or without the type's prefix (COUNT or UNIT_COUNT),
// nested messages are mappings, repeated fields are sequences, map fields are mappings. Unknown
// keys, duplicate keys and values of the wrong type are INVALID_ARGUMENT with
// "<source>:<line>:<column>: <field path>: <what is wrong>". `message` is cleared first.
// Thread-safe (no shared state).
absl::Status ParseYamlToMessage(absl::string_view yaml, absl::string_view source,
                                google::protobuf::Message* message);

// An enum value's name without its type's prefix (UNIT_COUNT gives COUNT), as YAML files and
// messages write it.
absl::string_view ShortEnumName(const google::protobuf::EnumValueDescriptor& value);

// Reads `path` and parses it as above. NOT_FOUND when the file cannot be read.
absl::Status LoadYamlFile(const std::string& path, google::protobuf::Message* message);

// Reads a whole file; NOT_FOUND / PERMISSION_DENIED name the path.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace vroeg

#endif  // VROEG_COMMON_YAML_PROTO_H_
