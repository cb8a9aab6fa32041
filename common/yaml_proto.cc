#include "common/yaml_proto.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "yaml-cpp/yaml.h"

namespace vroeg {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The prefix every value of a lint-clean enum carries: the zero value's name without
// "UNSPECIFIED" (UNIT_UNSPECIFIED gives UNIT_).
absl::string_view EnumPrefix(const EnumDescriptor& type) {
  absl::string_view zero = type.value(0)->name();
  return absl::ConsumeSuffix(&zero, "UNSPECIFIED") ? zero : absl::string_view();
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

class Parser {
 public:
  explicit Parser(absl::string_view source) : source_(source) {}

  absl::Status Fill(const YAML::Node& node, const std::string& path, Message* message) {
    const Descriptor* descriptor = message->GetDescriptor();
    if (node.IsNull()) return absl::OkStatus();
    if (!node.IsMap()) {
      return Error(node, path,
                   absl::StrCat("expected a mapping of ", descriptor->name(), " fields, found ",
                                NodeKind(node)));
    }
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar()) return Error(key, path, "keys must be plain names");
      const std::string name = key.Scalar();
      const std::string field_path = path.empty() ? name : absl::StrCat(path, ".", name);
      if (!seen.insert(name).second) return Error(key, field_path, "key appears twice");
      const FieldDescriptor* field = descriptor->FindFieldByName(name);
      if (field == nullptr) {
        return Error(key, field_path, absl::StrCat("unknown key", Suggestion(descriptor, name)));
      }
      VROEG_RETURN_IF_ERROR(FillField(entry.second, field_path, field, message));
    }
    return absl::OkStatus();
  }

 private:
  static std::string Suggestion(const Descriptor* descriptor, const std::string& name) {
    std::string best;
    size_t best_distance = 3;
    std::vector<std::string> names;
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const std::string& candidate = descriptor->field(i)->name();
      names.push_back(candidate);
      size_t d = EditDistance(name, candidate);
      if (d < best_distance) {
        best_distance = d;
        best = candidate;
      }
    }
    if (!best.empty()) return absl::StrCat(" (did you mean '", best, "'?)");
    return absl::StrCat("; valid keys: ", absl::StrJoin(names, ", "));
  }

  static std::string NodeKind(const YAML::Node& node) {
    if (node.IsMap()) return "a mapping";
    if (node.IsSequence()) return "a list";
    if (node.IsNull()) return "nothing";
    return absl::StrCat("'", node.Scalar(), "'");
  }

  absl::Status Error(const YAML::Node& node, const std::string& path,
                     const std::string& message) const {
    const YAML::Mark mark = node.Mark();
    std::string where(source_);
    if (mark.line >= 0) absl::StrAppend(&where, ":", mark.line + 1, ":", mark.column + 1);
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", path.empty() ? "" : absl::StrCat(path, ": "), message));
  }

  absl::Status FillField(const YAML::Node& node, const std::string& path,
                         const FieldDescriptor* field, Message* message) {
    if (field->is_map()) {
      if (node.IsNull()) return absl::OkStatus();
      if (!node.IsMap()) return Error(node, path, "expected a mapping");
      const Reflection* reflection = message->GetReflection();
      std::set<std::string> seen;
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) return Error(entry.first, path, "keys must be plain names");
        const std::string key_path = absl::StrCat(path, ".", entry.first.Scalar());
        if (!seen.insert(entry.first.Scalar()).second) {
          return Error(entry.first, key_path, "key appears twice");
        }
        Message* map_entry = reflection->AddMessage(message, field);
        const Descriptor* entry_descriptor = map_entry->GetDescriptor();
        VROEG_RETURN_IF_ERROR(
            SetScalar(entry.first, key_path, entry_descriptor->map_key(), map_entry));
        VROEG_RETURN_IF_ERROR(
            SetSingle(entry.second, key_path, entry_descriptor->map_value(), map_entry));
      }
      return absl::OkStatus();
    }
    if (field->is_repeated()) {
      if (node.IsNull()) return absl::OkStatus();
      if (!node.IsSequence()) {
        return Error(node, path, absl::StrCat("expected a list, found ", NodeKind(node)));
      }
      for (size_t i = 0; i < node.size(); ++i) {
        VROEG_RETURN_IF_ERROR(
            AddRepeated(node[i], absl::StrCat(path, "[", i, "]"), field, message));
      }
      return absl::OkStatus();
    }
    return SetSingle(node, path, field, message);
  }

  absl::Status SetSingle(const YAML::Node& node, const std::string& path,
                         const FieldDescriptor* field, Message* message) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return Fill(node, path, message->GetReflection()->MutableMessage(message, field));
    }
    return SetScalar(node, path, field, message);
  }

  absl::Status AddRepeated(const YAML::Node& node, const std::string& path,
                           const FieldDescriptor* field, Message* message) {
    const Reflection* reflection = message->GetReflection();
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return Fill(node, path, reflection->AddMessage(message, field));
    }
    return SetScalar(node, path, field, message);
  }

  template <typename T>
  absl::StatusOr<T> ParseNumber(const YAML::Node& node, const std::string& path,
                                absl::string_view what) const {
    const std::string& text = node.Scalar();
    T value{};
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    if (!text.empty() && text[0] == '+') ++begin;
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr != end || begin == end) {
      return Error(node, path, absl::StrCat("'", text, "' is not ", what));
    }
    return value;
  }

  // Sets a singular scalar or appends to a repeated scalar field.
  absl::Status SetScalar(const YAML::Node& node, const std::string& path,
                         const FieldDescriptor* field, Message* message) {
    if (!node.IsScalar()) {
      return Error(node, path, absl::StrCat("expected a single value, found ", NodeKind(node)));
    }
    const Reflection* r = message->GetReflection();
    const bool repeated = field->is_repeated();
    const std::string& text = node.Scalar();
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        repeated ? r->AddString(message, field, text) : r->SetString(message, field, text);
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_BOOL: {
        const std::string lower = absl::AsciiStrToLower(text);
        if (lower != "true" && lower != "false") {
          return Error(node, path, absl::StrCat("'", text, "' is not true or false"));
        }
        repeated ? r->AddBool(message, field, lower == "true")
                 : r->SetBool(message, field, lower == "true");
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT32: {
        VROEG_ASSIGN_OR_RETURN(int32_t v, ParseNumber<int32_t>(node, path, "a whole number"));
        repeated ? r->AddInt32(message, field, v) : r->SetInt32(message, field, v);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        VROEG_ASSIGN_OR_RETURN(int64_t v, ParseNumber<int64_t>(node, path, "a whole number"));
        repeated ? r->AddInt64(message, field, v) : r->SetInt64(message, field, v);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        VROEG_ASSIGN_OR_RETURN(uint32_t v,
                               ParseNumber<uint32_t>(node, path, "a non-negative whole number"));
        repeated ? r->AddUInt32(message, field, v) : r->SetUInt32(message, field, v);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        VROEG_ASSIGN_OR_RETURN(uint64_t v,
                               ParseNumber<uint64_t>(node, path, "a non-negative whole number"));
        repeated ? r->AddUInt64(message, field, v) : r->SetUInt64(message, field, v);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        VROEG_ASSIGN_OR_RETURN(double v, ParseNumber<double>(node, path, "a number"));
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
          repeated ? r->AddFloat(message, field, static_cast<float>(v))
                   : r->SetFloat(message, field, static_cast<float>(v));
        } else {
          repeated ? r->AddDouble(message, field, v) : r->SetDouble(message, field, v);
        }
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const EnumDescriptor* type = field->enum_type();
        const auto* value = type->FindValueByName(text);
        if (value == nullptr) {
          value = type->FindValueByName(absl::StrCat(EnumPrefix(*type), text));
        }
        if (value == nullptr || value->number() == 0) {
          std::vector<std::string> names;
          for (int i = 1; i < type->value_count(); ++i) {
            names.emplace_back(ShortEnumName(*type->value(i)));
          }
          return Error(node, path,
                       absl::StrCat("'", text, "' is not one of ", absl::StrJoin(names, ", ")));
        }
        repeated ? r->AddEnum(message, field, value) : r->SetEnum(message, field, value);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
    return Error(node, path, "unsupported field type");
  }

  absl::string_view source_;
};

}  // namespace

absl::string_view ShortEnumName(const google::protobuf::EnumValueDescriptor& value) {
  absl::string_view name = value.name();
  absl::ConsumePrefix(&name, EnumPrefix(*value.type()));
  return name;
}

absl::Status ParseYamlToMessage(absl::string_view yaml, absl::string_view source,
                                google::protobuf::Message* message) {
  message->Clear();
  YAML::Node root;
  // yaml-cpp reports syntax errors by throwing; keep that at this edge.
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": not valid YAML: ", e.msg));
  }
  try {
    return Parser(source).Fill(root, "", message);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is a directory, not a file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string reason = std::strerror(err);
    if (err == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat("cannot read ", path, ": ", reason));
    }
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", reason));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("error while reading ", path));
  return std::move(out).str();
}

absl::Status LoadYamlFile(const std::string& path, google::protobuf::Message* message) {
  VROEG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseYamlToMessage(text, path, message);
}

}  // namespace vroeg
