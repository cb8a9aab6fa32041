#ifndef VROEG_TESTS_SUPPORT_DASHBOARD_QUERIES_H_
#define VROEG_TESTS_SUPPORT_DASHBOARD_QUERIES_H_

// Reads the Grafana dashboards in dashboards/ as Grafana would, so that tests can check them
// statically and evaluate every query they send against a real Prometheus. All functions are
// thread-safe (no shared state).

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"

namespace vroeg::testing {

// One dashboard file, parsed.
struct DashboardFile {
  std::string path;
  google::protobuf::Struct json;
};

// One query a dashboard sends to its data source: a panel's target or a query variable's query.
struct DashboardQuery {
  std::string dashboard_uid;
  // The panel's title; empty for a template variable.
  std::string panel_title;
  // The template variable's name; empty for a panel target.
  std::string variable;
  // The target's refId; empty for a template variable.
  std::string ref_id;
  // The expression as the dashboard writes it, variables not substituted.
  std::string expr;
  // What to evaluate as a PromQL instant query: `expr` for a target; for a variable, the
  // selector inside label_values(selector, label), the query inside query_result(query), empty
  // for the functions that send no query (label_values(label), label_names(), metrics(regex)),
  // and any other text as it is (Grafana sends it as a series selector).
  std::string query;
  // For label_values(...): the label whose values the variable offers; else empty.
  std::string label;
  // The target asks for an instant query (tables, stats of the newest value).
  bool instant = false;
};

// Parses every *.json file directly in `dir`, sorted by file name. NOT_FOUND when `dir` cannot
// be read or holds no JSON file; INVALID_ARGUMENT naming the file when one is not a JSON object.
absl::StatusOr<std::vector<DashboardFile>> LoadDashboardFiles(const std::string& dir);

// Every panel of a dashboard in document order: top-level panels, rows included, each row
// followed by the panels nested in it (Grafana nests the panels of collapsed rows). The
// pointers point into `dashboard`.
std::vector<const google::protobuf::Struct*> AllPanels(const google::protobuf::Struct& dashboard);

// The queries of every dashboard in `dir` (see LoadDashboardFiles): every target of every panel
// (nested ones included), then every template variable of type "query". Targets of other data
// sources than Prometheus are included too: they are the static test's business. Errors as
// LoadDashboardFiles, and INVALID_ARGUMENT naming dashboard and panel when a target's expr or a
// variable's query is present but not a string.
absl::StatusOr<std::vector<DashboardQuery>> LoadDashboardQueries(const std::string& dir);

// Replaces Grafana variable references in `expr` as Grafana does: $name, ${name} and
// ${name:format} (the format is ignored; the value is inserted as given), where name is
// [A-Za-z0-9_]+ taken as long as possible. Built-ins are ordinary names here: pass
// "__rate_interval", "__interval", "__range" and "__range_s" in `values` as well. A reference
// to a name not in `values` is left as it is, so that evaluating the result fails loudly.
std::string SubstituteVariables(const std::string& expr,
                                const std::map<std::string, std::string>& values);

// The names of the variables `text` refers to (see SubstituteVariables), each once, in order
// of first use.
std::vector<std::string> ReferencedVariables(const std::string& text);

// The metric names a PromQL expression selects (not functions, keywords, label names, label
// values or durations), each once, in order of first use. A histogram's series keep their
// suffix (x_bucket). Only the syntax Grafana dashboards use is understood: it is a lexer, not a
// parser, and does not validate the expression.
std::vector<std::string> MetricNames(const std::string& expr);

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_DASHBOARD_QUERIES_H_
