#include "tests/support/dashboard_queries.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <set>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "common/yaml_proto.h"
#include "google/protobuf/util/json_util.h"

namespace vroeg::testing {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

const Value* Field(const Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string StringField(const Struct& object, const std::string& key) {
  const Value* value = Field(object, key);
  return value != nullptr && value->has_string_value() ? value->string_value() : "";
}

// The elements of the list `key` of `object` that are objects; none when it is absent.
std::vector<const Struct*> ObjectList(const Struct& object, const std::string& key) {
  std::vector<const Struct*> out;
  const Value* list = Field(object, key);
  if (list == nullptr || !list->has_list_value()) return out;
  for (const Value& element : list->list_value().values()) {
    if (element.has_struct_value()) out.push_back(&element.struct_value());
  }
  return out;
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// When text[i] starts a variable reference ($name, ${name}, ${name:format}, ${name.field}),
// sets `end` one past it and `name` to the variable's name.
bool ReferenceAt(const std::string& text, size_t i, size_t* end, std::string* name) {
  if (text[i] != '$' || i + 1 >= text.size()) return false;
  const bool braced = text[i + 1] == '{';
  const size_t name_begin = i + (braced ? 2 : 1);
  size_t name_end = name_begin;
  while (name_end < text.size() && IsWordChar(text[name_end])) ++name_end;
  if (name_end == name_begin) return false;
  if (braced) {
    const size_t close = text.find('}', name_end);
    if (close == std::string::npos ||
        (name_end != close && text[name_end] != ':' && text[name_end] != '.')) {
      return false;
    }
    *end = close + 1;
  } else {
    *end = name_end;
  }
  *name = text.substr(name_begin, name_end - name_begin);
  return true;
}

// Calls `found(begin, end, name)` for each variable reference text[begin, end) in order.
void ScanReferences(const std::string& text,
                    const std::function<void(size_t, size_t, const std::string&)>& found) {
  size_t i = 0;
  while (i < text.size()) {
    size_t end = 0;
    std::string name;
    if (ReferenceAt(text, i, &end, &name)) {
      found(i, end, name);
      i = end;
    } else {
      ++i;
    }
  }
}

// Index of the end of the quoted string starting at text[i] (one past the closing quote),
// honouring backslash escapes except in backquoted (raw) strings.
size_t SkipString(const std::string& text, size_t i) {
  const char quote = text[i];
  ++i;
  while (i < text.size() && text[i] != quote) {
    if (text[i] == '\\' && quote != '`') ++i;
    ++i;
  }
  return std::min(i + 1, text.size());
}

// Index one past the bracket that closes the one at text[i], skipping strings inside.
size_t SkipBracketed(const std::string& text, size_t i) {
  const char open = text[i];
  const char close = open == '(' ? ')' : open == '{' ? '}' : ']';
  int depth = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(text, i);
      continue;
    }
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
    ++i;
  }
  return text.size();
}

// The position of the last comma of `text` outside brackets and strings, or npos.
size_t LastTopLevelComma(const std::string& text) {
  size_t last = std::string::npos;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(text, i);
    } else if (c == '(' || c == '{' || c == '[') {
      i = SkipBracketed(text, i);
    } else {
      if (c == ',') last = i;
      ++i;
    }
  }
  return last;
}

// The argument text of `function(...)` when `text` is exactly such a call.
bool CallArguments(absl::string_view text, absl::string_view function, std::string* arguments) {
  text = absl::StripAsciiWhitespace(text);
  if (!absl::StartsWith(text, function)) return false;
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(text.substr(function.size()));
  if (!absl::StartsWith(rest, "(") || !absl::EndsWith(rest, ")")) return false;
  *arguments = std::string(rest.substr(1, rest.size() - 2));
  return true;
}

// Fills query and label of a template variable's query as Grafana's Prometheus data source
// reads it (metricFindQuery): label_values, query_result, label_names and metrics are
// functions of Grafana, and any other text is sent as a series selector.
void ParseVariableQuery(DashboardQuery* query) {
  std::string arguments;
  if (CallArguments(query->expr, "label_values", &arguments)) {
    const size_t comma = LastTopLevelComma(arguments);
    if (comma == std::string::npos) {
      query->label = std::string(absl::StripAsciiWhitespace(arguments));
    } else {
      query->query = std::string(absl::StripAsciiWhitespace(arguments.substr(0, comma)));
      query->label = std::string(absl::StripAsciiWhitespace(arguments.substr(comma + 1)));
    }
  } else if (CallArguments(query->expr, "query_result", &arguments)) {
    query->query = std::string(absl::StripAsciiWhitespace(arguments));
  } else if (!CallArguments(query->expr, "label_names", &arguments) &&
             !CallArguments(query->expr, "metrics", &arguments)) {
    query->query = std::string(absl::StripAsciiWhitespace(query->expr));
  }
}

absl::Status AddPanelQueries(const std::string& uid, const Struct& panel,
                             std::vector<DashboardQuery>* out) {
  const std::string title = StringField(panel, "title");
  for (const Struct* target : ObjectList(panel, "targets")) {
    DashboardQuery query;
    query.dashboard_uid = uid;
    query.panel_title = title;
    query.ref_id = StringField(*target, "refId");
    if (const Value* expr = Field(*target, "expr"); expr != nullptr) {
      if (!expr->has_string_value()) {
        return absl::InvalidArgumentError(absl::StrCat("dashboard ", uid, ", panel \"", title,
                                                       "\", target ", query.ref_id,
                                                       ": expr is not a string"));
      }
      query.expr = expr->string_value();
    }
    query.query = query.expr;
    if (const Value* instant = Field(*target, "instant"); instant != nullptr) {
      query.instant = instant->bool_value();
    }
    out->push_back(std::move(query));
  }
  return absl::OkStatus();
}

absl::Status AddVariableQueries(const std::string& uid, const Struct& dashboard,
                                std::vector<DashboardQuery>* out) {
  const Value* templating = Field(dashboard, "templating");
  if (templating == nullptr || !templating->has_struct_value()) return absl::OkStatus();
  for (const Struct* variable : ObjectList(templating->struct_value(), "list")) {
    if (StringField(*variable, "type") != "query") continue;
    DashboardQuery query;
    query.dashboard_uid = uid;
    query.variable = StringField(*variable, "name");
    // Grafana 10 stores the query as {"query": "...", ...}; older versions as a string.
    const Value* text = Field(*variable, "query");
    if (text != nullptr && text->has_struct_value()) text = Field(text->struct_value(), "query");
    if (text != nullptr && !text->has_string_value()) {
      return absl::InvalidArgumentError(absl::StrCat("dashboard ", uid, ", variable ",
                                                     query.variable, ": query is not a string"));
    }
    if (text != nullptr) query.expr = text->string_value();
    ParseVariableQuery(&query);
    out->push_back(std::move(query));
  }
  return absl::OkStatus();
}

const std::set<std::string>& NonMetricWords() {
  static const auto* words = new std::set<std::string>{
      // Binary operators and modifiers.
      "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
      // Grouping keywords (their label lists are skipped separately).
      "by", "without", "on", "ignoring", "group_left", "group_right",
      // Aggregation operators, which may be followed by a grouping instead of "(".
      "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
      "topk", "quantile", "limitk", "limit_ratio"};
  return *words;
}

bool IsGroupingKeyword(const std::string& lower) {
  return lower == "by" || lower == "without" || lower == "on" || lower == "ignoring" ||
         lower == "group_left" || lower == "group_right";
}

}  // namespace

absl::StatusOr<std::vector<DashboardFile>> LoadDashboardFiles(const std::string& dir) {
  std::vector<std::string> paths;
  std::error_code error;
  // The error_code overloads throughout: the range-for form throws on a failed increment.
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code ignored;
    if (it->is_regular_file(ignored) && it->path().extension() == ".json") {
      paths.push_back(it->path().string());
    }
  }
  if (error) {
    return absl::NotFoundError(absl::StrCat("cannot read directory ", dir, ": ", error.message()));
  }
  if (paths.empty()) return absl::NotFoundError(absl::StrCat("no *.json file in ", dir));
  std::sort(paths.begin(), paths.end());

  std::vector<DashboardFile> files;
  for (const std::string& path : paths) {
    VROEG_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    DashboardFile file;
    file.path = path;
    if (const auto parsed = google::protobuf::util::JsonStringToMessage(text, &file.json);
        !parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is not a JSON object: ", std::string(parsed.message())));
    }
    files.push_back(std::move(file));
  }
  return files;
}

std::vector<const Struct*> AllPanels(const Struct& dashboard) {
  std::vector<const Struct*> out;
  for (const Struct* panel : ObjectList(dashboard, "panels")) {
    out.push_back(panel);
    if (StringField(*panel, "type") == "row") {
      for (const Struct* nested : AllPanels(*panel)) out.push_back(nested);
    }
  }
  return out;
}

absl::StatusOr<std::vector<DashboardQuery>> LoadDashboardQueries(const std::string& dir) {
  VROEG_ASSIGN_OR_RETURN(std::vector<DashboardFile> files, LoadDashboardFiles(dir));
  std::vector<DashboardQuery> queries;
  for (const DashboardFile& file : files) {
    const std::string uid = StringField(file.json, "uid");
    for (const Struct* panel : AllPanels(file.json)) {
      VROEG_RETURN_IF_ERROR(AddPanelQueries(uid, *panel, &queries));
    }
    VROEG_RETURN_IF_ERROR(AddVariableQueries(uid, file.json, &queries));
  }
  return queries;
}

std::string SubstituteVariables(const std::string& expr,
                                const std::map<std::string, std::string>& values) {
  std::string out;
  size_t copied = 0;
  ScanReferences(expr, [&](size_t begin, size_t end, const std::string& name) {
    auto it = values.find(name);
    if (it == values.end()) return;
    out.append(expr, copied, begin - copied);
    out.append(it->second);
    copied = end;
  });
  out.append(expr, copied, std::string::npos);
  return out;
}

std::vector<std::string> ReferencedVariables(const std::string& text) {
  std::vector<std::string> names;
  ScanReferences(text, [&](size_t, size_t, const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  });
  return names;
}

std::vector<std::string> MetricNames(const std::string& expr) {
  std::vector<std::string> names;
  const auto is_name_start = [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  };
  const auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  };
  const auto next_non_space = [&expr](size_t from) {
    while (from < expr.size() && std::isspace(static_cast<unsigned char>(expr[from]))) ++from;
    return from;
  };
  size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(expr, i);
    } else if (c == '{' || c == '[') {
      // Label matchers, range durations and subquery steps name no metric.
      i = SkipBracketed(expr, i);
    } else if (c == '#') {
      i = expr.find('\n', i);
      if (i == std::string::npos) i = expr.size();
    } else if (c == '$') {
      size_t end = 0;
      std::string variable;
      i = ReferenceAt(expr, i, &end, &variable) ? end : i + 1;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < expr.size() &&
                std::isdigit(static_cast<unsigned char>(expr[i + 1])))) {
      // Numbers, hexadecimal numbers and durations (5m, 1h30m).
      while (i < expr.size() &&
             (is_name_char(expr[i]) || expr[i] == '.' ||
              ((expr[i] == '+' || expr[i] == '-') && (expr[i - 1] == 'e' || expr[i - 1] == 'E')))) {
        ++i;
      }
    } else if (is_name_start(c)) {
      size_t end = i;
      while (end < expr.size() && is_name_char(expr[end])) ++end;
      const std::string word = expr.substr(i, end - i);
      const std::string lower = absl::AsciiStrToLower(word);
      const size_t next = next_non_space(end);
      const bool call = next < expr.size() && expr[next] == '(';
      if (IsGroupingKeyword(lower) && call) {
        end = SkipBracketed(expr, next);
      } else if (!call && NonMetricWords().count(lower) == 0 &&
                 std::find(names.begin(), names.end(), word) == names.end()) {
        names.push_back(word);
      }
      i = end;
    } else {
      ++i;
    }
  }
  return names;
}

}  // namespace vroeg::testing
