// Static checks of the Grafana dashboards in dashboards/ and their provisioning: they must load,
// select their data source through the `datasource` variable, define every variable they use,
// query only metrics the collector exposes (the catalogue's and the derived figures below), show
// ratios, seconds and euros in their units, and colour the figures of an alert at its threshold.
// Whether the queries return data is for the end-to-end test against a real Prometheus.

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/catalogue.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/support/dashboard_queries.h"
#include "tests/support/status_matchers.h"
#include "yaml-cpp/yaml.h"

namespace vroeg::testing {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kDatasourceUid[] = "${datasource}";

// Figures the collector derives rather than takes from one catalogue indicator
// (docs/early-warning.md), the collector's own metrics (server/), and Prometheus' own series.
const std::set<std::string>& DerivedMetricNames() {
  static const auto* names = new std::set<std::string>{
      // Availability and concentration per region and care form.
      "jeugdzorg_region_places_available",
      "jeugdzorg_places_available",
      "jeugdzorg_region_waiting_beyond_norm_youths",
      "jeugdzorg_region_waiting_beyond_norm_ratio",
      "jeugdzorg_region_intake_stop_ratio",
      "jeugdzorg_provider_capacity_share_ratio",
      "jeugdzorg_region_capacity_largest_share_ratio",
      "jeugdzorg_region_capacity_hhi",
      // Staff.
      "jeugdzorg_region_staff_vacancy_ratio",
      "jeugdzorg_provider_staff_vacancy_ratio",
      // Provider health.
      "jeugdzorg_provider_solvency_ratio",
      "jeugdzorg_provider_current_ratio",
      "jeugdzorg_provider_result_margin_ratio",
      "jeugdzorg_provider_budget_ratio",
      "jeugdzorg_provider_cbs_band",
      "jeugdzorg_provider_youth_revenue_annualised_euros",
      "jeugdzorg_provider_early_warning_scope",
      "jeugdzorg_provider_revenue_share_largest_municipality_ratio",
      "jeugdzorg_provider_revenue_share_region_ratio",
      "jeugdzorg_provider_negative_result_quarters",
      // Trends.
      "jeugdzorg_region_places_operational_change_ratio",
      "jeugdzorg_region_waiting_youths_change_ratio",
      "jeugdzorg_region_waiting_beyond_norm_youths_change",
      "jeugdzorg_region_occupancy_high_periods",
      // Reporting compliance.
      "jeugdzorg_reporter_last_period_end_timestamp_seconds",
      "jeugdzorg_reporter_due_timestamp_seconds",
      "jeugdzorg_reporter_overdue",
      "jeugdzorg_region_expected_reporters",
      "jeugdzorg_region_reporting_ratio",
      // The collector itself.
      "vroeg_build_info",
      "vroeg_start_time_seconds",
      "vroeg_series",
      "vroeg_series_exposed",
      "vroeg_series_not_exposed_total",
      "vroeg_series_expired",
      "vroeg_reporters_expired",
      "vroeg_submissions_accepted_total",
      "vroeg_submissions_duplicate_total",
      "vroeg_submissions_rejected_total",
      "vroeg_observations_stored_total",
      "vroeg_observation_corrections_total",
      "vroeg_commit_duration_seconds",
      "vroeg_client_certificates_refused_total",
      "vroeg_authorization_refusals_total",
      "vroeg_tls_certificate_expiry_timestamp_seconds",
      "vroeg_tls_reload_failures_total",
      // Prometheus.
      "up",
      "ALERTS",
  };
  return *names;
}

// Histograms, whose series carry the suffixes _bucket, _sum and _count.
const std::set<std::string>& HistogramNames() {
  static const auto* names = new std::set<std::string>{"vroeg_commit_duration_seconds"};
  return *names;
}

// Grafana's global variables a query may use without defining them.
const std::set<std::string>& BuiltInVariables() {
  static const auto* names = new std::set<std::string>{
      "__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms",
      "__dashboard",     "__from",     "__to",          "__org",   "__user"};
  return *names;
}

// The five dashboards docs/early-warning.md and the end-to-end test refer to by uid.
const std::set<std::string>& ExpectedUids() {
  static const auto* uids = new std::set<std::string>{"vroeg-regio-overzicht", "vroeg-zorgvorm",
                                                      "vroeg-aanbieders-financieel",
                                                      "vroeg-rapportage", "vroeg-collector"};
  return *uids;
}

std::string SourceDir() {
  const char* dir = std::getenv("VROEG_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

std::string DashboardsDir() { return SourceDir() + "/dashboards"; }

const Value* Field(const Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string String(const Struct& object, const std::string& key) {
  const Value* value = Field(object, key);
  return value != nullptr ? value->string_value() : "";
}

const Struct* Object(const Struct& object, const std::string& key) {
  const Value* value = Field(object, key);
  return value != nullptr && value->has_struct_value() ? &value->struct_value() : nullptr;
}

std::vector<const Struct*> Objects(const Struct& object, const std::string& key) {
  std::vector<const Struct*> out;
  const Value* value = Field(object, key);
  if (value == nullptr || !value->has_list_value()) return out;
  for (const Value& element : value->list_value().values()) {
    if (element.has_struct_value()) out.push_back(&element.struct_value());
  }
  return out;
}

std::vector<const Struct*> Variables(const Struct& dashboard) {
  const Struct* templating = Object(dashboard, "templating");
  return templating != nullptr ? Objects(*templating, "list") : std::vector<const Struct*>{};
}

// The metric a histogram series belongs to (x for x_bucket), else `name` itself.
std::string BaseMetric(const std::string& name) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    if (absl::EndsWith(name, suffix)) {
      const std::string base = name.substr(0, name.size() - std::string(suffix).size());
      if (HistogramNames().count(base) != 0) return base;
    }
  }
  return name;
}

// The metric names of one target's expression, histogram series folded into their histogram.
std::set<std::string> TargetMetrics(const Struct& target) {
  std::set<std::string> out;
  for (const std::string& name : MetricNames(String(target, "expr"))) out.insert(BaseMetric(name));
  return out;
}

// Every name the catalogue gives a Prometheus metric. Reflection rather than a field list: each
// string field of Metric named `name` or `*_name` is a figure the collector exposes (name,
// region_name, region_max_name, municipality_name), so a new kind needs no change here.
std::set<std::string> CatalogueMetricNames() {
  std::set<std::string> names;
  auto catalogue = Catalogue::LoadFile(SourceDir() + "/deploy/catalogue/catalogue.yaml");
  EXPECT_THAT(catalogue, IsOk());
  if (!catalogue.ok()) return names;
  for (const auto& indicator : (*catalogue)->proto().indicators()) {
    const google::protobuf::Message& metric = indicator.metric();
    const google::protobuf::Descriptor* descriptor = metric.GetDescriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* field = descriptor->field(i);
      if (field->is_repeated() || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
          (field->name() != "name" && !absl::EndsWith(field->name(), "_name"))) {
        continue;
      }
      const std::string value = metric.GetReflection()->GetString(metric, field);
      if (!value.empty()) names.insert(value);
    }
  }
  for (const auto& ratio : (*catalogue)->proto().ratios()) names.insert(ratio.metric_name());
  return names;
}

class DashboardsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto files = LoadDashboardFiles(DashboardsDir());
    ASSERT_THAT(files, IsOk());
    files_ = *std::move(files);
  }

  std::vector<DashboardFile> files_;
};

// Where a finding is: dashboard uid and panel title.
std::string Where(const DashboardFile& file, const Struct* panel = nullptr) {
  std::string where = absl::StrCat("dashboard ", String(file.json, "uid"), " (", file.path, ")");
  if (panel != nullptr) absl::StrAppend(&where, ", panel \"", String(*panel, "title"), "\"");
  return where;
}

TEST_F(DashboardsTest, EveryFileIsADashboardOfARecentSchema) {
  for (const DashboardFile& file : files_) {
    EXPECT_FALSE(String(file.json, "uid").empty()) << file.path;
    EXPECT_FALSE(String(file.json, "title").empty()) << file.path;
    const Value* schema = Field(file.json, "schemaVersion");
    ASSERT_NE(schema, nullptr) << file.path;
    EXPECT_GE(schema->number_value(), 37) << file.path << ": Grafana 9 or later";
    EXPECT_FALSE(AllPanels(file.json).empty()) << file.path;
  }
}

TEST_F(DashboardsTest, UidsAndTitlesAreUniqueAndEveryExpectedDashboardExists) {
  std::set<std::string> uids;
  std::set<std::string> titles;
  for (const DashboardFile& file : files_) {
    EXPECT_TRUE(uids.insert(String(file.json, "uid")).second) << "duplicate uid in " << file.path;
    EXPECT_TRUE(titles.insert(String(file.json, "title")).second)
        << "duplicate title in " << file.path;
  }
  EXPECT_EQ(uids, ExpectedUids());
}

TEST_F(DashboardsTest, EveryDashboardHasThePrometheusDatasourceVariable) {
  for (const DashboardFile& file : files_) {
    int found = 0;
    for (const Struct* variable : Variables(file.json)) {
      if (String(*variable, "name") != "datasource") continue;
      ++found;
      EXPECT_EQ(String(*variable, "type"), "datasource") << Where(file);
      EXPECT_EQ(String(*variable, "query"), "prometheus") << Where(file);
    }
    EXPECT_EQ(found, 1) << Where(file);
  }
}

TEST_F(DashboardsTest, EveryPanelTargetAndVariableQueriesThroughTheDatasourceVariable) {
  const auto uses_variable = [](const Struct& object) {
    const Struct* datasource = Object(object, "datasource");
    return datasource != nullptr && String(*datasource, "uid") == kDatasourceUid &&
           String(*datasource, "type") == "prometheus";
  };
  for (const DashboardFile& file : files_) {
    for (const Struct* panel : AllPanels(file.json)) {
      if (String(*panel, "type") == "row") continue;
      EXPECT_TRUE(uses_variable(*panel)) << Where(file, panel);
      for (const Struct* target : Objects(*panel, "targets")) {
        EXPECT_TRUE(uses_variable(*target))
            << Where(file, panel) << ", target " << String(*target, "refId");
      }
    }
    for (const Struct* variable : Variables(file.json)) {
      if (String(*variable, "type") != "query") continue;
      EXPECT_TRUE(uses_variable(*variable))
          << Where(file) << ", variable " << String(*variable, "name");
    }
  }
}

// A query variable's query: Grafana 10 stores {"query": "...", ...}, older versions a string.
std::string VariableQuery(const Struct& variable) {
  const Struct* query = Object(variable, "query");
  return query != nullptr ? String(*query, "query") : String(variable, "query");
}

TEST_F(DashboardsTest, VariablesAreDefinedBeforeUseAndUsed) {
  for (const DashboardFile& file : files_) {
    std::set<std::string> defined = BuiltInVariables();
    std::set<std::string> used;
    const auto check = [&](const std::string& text, const std::string& where) {
      for (const std::string& name : ReferencedVariables(text)) {
        EXPECT_TRUE(defined.count(name) != 0) << where << " uses undefined variable $" << name;
        used.insert(name);
      }
    };
    // A variable's query may use only those before it: Grafana resolves them in list order.
    for (const Struct* variable : Variables(file.json)) {
      const std::string name = String(*variable, "name");
      if (String(*variable, "type") == "query") {
        const std::string where = Where(file) + ", variable " + name;
        check(VariableQuery(*variable), where);
        // Grafana shows the definition; it must be the query that runs.
        const std::string definition = String(*variable, "definition");
        EXPECT_TRUE(definition.empty() || definition == VariableQuery(*variable)) << where;
      }
      EXPECT_TRUE(defined.insert(name).second) << Where(file) << " defines $" << name << " twice";
    }
    for (const Struct* panel : AllPanels(file.json)) {
      check(String(*panel, "title"), Where(file, panel));
      for (const Struct* target : Objects(*panel, "targets")) {
        check(String(*target, "expr"), Where(file, panel));
      }
    }
    for (const Struct* variable : Variables(file.json)) {
      const std::string name = String(*variable, "name");
      EXPECT_TRUE(used.count(name) != 0 || name == "datasource")
          << Where(file) << " defines $" << name << " but never uses it";
    }
  }
}

TEST_F(DashboardsTest, PanelsAreTitledDescribedAndPlaced) {
  for (const DashboardFile& file : files_) {
    std::set<double> ids;
    for (const Struct* panel : AllPanels(file.json)) {
      EXPECT_FALSE(String(*panel, "title").empty()) << Where(file, panel);
      const Value* id = Field(*panel, "id");
      EXPECT_TRUE(id != nullptr && ids.insert(id->number_value()).second)
          << Where(file, panel) << ": missing or duplicate id";
      const Struct* grid = Object(*panel, "gridPos");
      ASSERT_NE(grid, nullptr) << Where(file, panel);
      const double x = Field(*grid, "x") != nullptr ? Field(*grid, "x")->number_value() : -1;
      const double w = Field(*grid, "w") != nullptr ? Field(*grid, "w")->number_value() : 0;
      EXPECT_TRUE(x >= 0 && w > 0 && x + w <= 24) << Where(file, panel) << ": gridPos";
      if (String(*panel, "type") == "row") continue;
      EXPECT_FALSE(String(*panel, "description").empty()) << Where(file, panel);
      EXPECT_FALSE(Objects(*panel, "targets").empty()) << Where(file, panel);
    }
  }
}

TEST_F(DashboardsTest, EveryTargetHasAnExpressionAndItsOwnRefId) {
  for (const DashboardFile& file : files_) {
    for (const Struct* panel : AllPanels(file.json)) {
      std::set<std::string> ref_ids;
      for (const Struct* target : Objects(*panel, "targets")) {
        const std::string ref_id = String(*target, "refId");
        EXPECT_FALSE(ref_id.empty()) << Where(file, panel);
        EXPECT_TRUE(ref_ids.insert(ref_id).second) << Where(file, panel) << ": refId " << ref_id;
        EXPECT_FALSE(String(*target, "expr").empty()) << Where(file, panel) << ", " << ref_id;
      }
    }
  }
}

TEST_F(DashboardsTest, EveryMetricIsOneTheCollectorOrPrometheusExposes) {
  std::set<std::string> known = CatalogueMetricNames();
  ASSERT_FALSE(known.empty());
  known.insert(DerivedMetricNames().begin(), DerivedMetricNames().end());

  auto queries = LoadDashboardQueries(DashboardsDir());
  ASSERT_THAT(queries, IsOk());
  int checked = 0;
  for (const DashboardQuery& query : *queries) {
    for (const std::string& name : MetricNames(query.query)) {
      ++checked;
      EXPECT_TRUE(known.count(BaseMetric(name)) != 0)
          << "dashboard " << query.dashboard_uid << ", "
          << (query.variable.empty() ? "panel \"" + query.panel_title + "\", target " + query.ref_id
                                     : "variable " + query.variable)
          << ": unknown metric " << name;
    }
  }
  EXPECT_GT(checked, 0);
}

// The unit a panel showing only `metric` must have; empty when any will do.
std::string ExpectedUnit(const std::string& metric) {
  // Assets over liabilities: around 1, not a share, so shown as a plain number.
  if (metric == "jeugdzorg_provider_current_ratio") return "";
  if (absl::EndsWith(metric, "_ratio")) return "percentunit";
  // Timestamps are shown as dates or turned into ages, each in its own unit.
  if (absl::EndsWith(metric, "_timestamp_seconds")) return "";
  if (absl::EndsWith(metric, "_seconds")) return "s";
  if (absl::EndsWith(metric, "_euros")) return "currencyEUR";
  return "";
}

// The unit all of `metrics` need, or empty when they need none or different ones.
std::string CommonUnit(const std::set<std::string>& metrics) {
  std::set<std::string> units;
  for (const std::string& metric : metrics) units.insert(ExpectedUnit(metric));
  return units.size() == 1 ? *units.begin() : "";
}

// The property `id` of the table override for the column of `target`, if any.
const Value* ColumnProperty(const Struct& panel, const Struct& target, size_t target_count,
                            const std::string& id) {
  const std::string column =
      target_count == 1 ? "Value" : absl::StrCat("Value #", String(target, "refId"));
  const Struct* field_config = Object(panel, "fieldConfig");
  if (field_config == nullptr) return nullptr;
  for (const Struct* override_rule : Objects(*field_config, "overrides")) {
    const Struct* matcher = Object(*override_rule, "matcher");
    if (matcher == nullptr || String(*matcher, "id") != "byName" ||
        String(*matcher, "options") != column) {
      continue;
    }
    for (const Struct* property : Objects(*override_rule, "properties")) {
      if (String(*property, "id") == id) return Field(*property, "value");
    }
  }
  return nullptr;
}

const Value* DefaultProperty(const Struct& panel, const std::string& id) {
  const Struct* field_config = Object(panel, "fieldConfig");
  const Struct* defaults = field_config != nullptr ? Object(*field_config, "defaults") : nullptr;
  return defaults != nullptr ? Field(*defaults, id) : nullptr;
}

TEST_F(DashboardsTest, RatiosSecondsAndEurosAreShownInTheirUnits) {
  for (const DashboardFile& file : files_) {
    for (const Struct* panel : AllPanels(file.json)) {
      const std::string type = String(*panel, "type");
      const std::vector<const Struct*> targets = Objects(*panel, "targets");
      if (type == "table") {
        for (const Struct* target : targets) {
          const std::string unit = CommonUnit(TargetMetrics(*target));
          if (unit.empty()) continue;
          const Value* actual = ColumnProperty(*panel, *target, targets.size(), "unit");
          EXPECT_EQ(actual != nullptr ? actual->string_value() : "", unit)
              << Where(file, panel) << ", column of target " << String(*target, "refId");
        }
        continue;
      }
      std::set<std::string> metrics;
      for (const Struct* target : targets) {
        const std::set<std::string> names = TargetMetrics(*target);
        metrics.insert(names.begin(), names.end());
      }
      const std::string unit = CommonUnit(metrics);
      if (unit.empty()) continue;
      const Value* actual = DefaultProperty(*panel, "unit");
      if (type == "heatmap") {
        const Struct* options = Object(*panel, "options");
        const Struct* y_axis = options != nullptr ? Object(*options, "yAxis") : nullptr;
        actual = y_axis != nullptr ? Field(*y_axis, "unit") : nullptr;
      }
      EXPECT_EQ(actual != nullptr ? actual->string_value() : "", unit) << Where(file, panel);
    }
  }
}

// A figure an alert fires on, and the colour a panel showing it must have at the alert's
// threshold (deploy/prometheus/rules/alerts.yml): from `value` up, or below `value` when
// `below` (the alert fires under it).
struct AlertColour {
  std::string metric;
  double value;
  std::string colour;
  bool below;
};

std::string Describe(const AlertColour& rule) {
  return absl::StrCat(rule.metric, " must be ", rule.colour, rule.below ? " below " : " from ",
                      rule.value);
}

const std::vector<AlertColour>& AlertColours() {
  static const auto* colours = new std::vector<AlertColour>{
      {"jeugdzorg_region_places_available", 1, "red", true},
      {"jeugdzorg_region_occupancy_ratio", 0.95, "red", false},
      {"jeugdzorg_region_occupancy_high_periods", 3, "red", false},
      {"jeugdzorg_region_intake_stop_ratio", 0.5, "red", false},
      {"jeugdzorg_region_waiting_beyond_norm_ratio", 0.2, "orange", false},
      {"jeugdzorg_region_capacity_largest_share_ratio", 0.5, "orange", false},
      {"jeugdzorg_provider_capacity_share_ratio", 0.5, "orange", false},
      {"jeugdzorg_provider_current_ratio", 1, "red", true},
      {"jeugdzorg_provider_negative_result_quarters", 2, "red", false},
  };
  return *colours;
}

// Whether `thresholds` (Grafana's {"mode", "steps"}) gives `rule.colour` at the rule's side of
// its value.
bool HasColour(const Value* thresholds, const AlertColour& rule) {
  if (thresholds == nullptr || !thresholds->has_struct_value()) return false;
  const std::vector<const Struct*> steps = Objects(thresholds->struct_value(), "steps");
  for (size_t i = 0; i < steps.size(); ++i) {
    const Value* value = Field(*steps[i], "value");
    if (value == nullptr || !value->has_number_value() || value->number_value() != rule.value) {
      continue;
    }
    const Struct* coloured = rule.below ? (i > 0 ? steps[i - 1] : nullptr) : steps[i];
    return coloured != nullptr && String(*coloured, "color") == rule.colour;
  }
  return false;
}

TEST_F(DashboardsTest, AlertFiguresAreColouredAtTheAlertThreshold) {
  int checked = 0;
  for (const DashboardFile& file : files_) {
    for (const Struct* panel : AllPanels(file.json)) {
      const bool table = String(*panel, "type") == "table";
      const std::vector<const Struct*> targets = Objects(*panel, "targets");
      std::set<std::string> panel_metrics;
      for (const Struct* target : targets) {
        const std::set<std::string> metrics = TargetMetrics(*target);
        panel_metrics.insert(metrics.begin(), metrics.end());
        if (!table || metrics.size() != 1) continue;
        for (const AlertColour& rule : AlertColours()) {
          if (*metrics.begin() != rule.metric) continue;
          ++checked;
          EXPECT_TRUE(
              HasColour(ColumnProperty(*panel, *target, targets.size(), "thresholds"), rule))
              << Where(file, panel) << ", column of target " << String(*target, "refId") << ": "
              << Describe(rule);
        }
      }
      if (table || panel_metrics.size() != 1) continue;
      for (const AlertColour& rule : AlertColours()) {
        if (*panel_metrics.begin() != rule.metric) continue;
        ++checked;
        EXPECT_TRUE(HasColour(DefaultProperty(*panel, "thresholds"), rule))
            << Where(file, panel) << ": " << Describe(rule);
      }
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(DashboardProvisioningTest, ProvidersReadTheDashboardsFromFiles) {
  const std::string path = DashboardsDir() + "/provisioning/dashboards.yaml";
  try {
    const YAML::Node root = YAML::LoadFile(path);
    EXPECT_EQ(root["apiVersion"].as<int>(), 1);
    ASSERT_TRUE(root["providers"].IsSequence()) << path;
    ASSERT_GT(root["providers"].size(), 0u) << path;
    for (const YAML::Node& provider : root["providers"]) {
      EXPECT_EQ(provider["type"].as<std::string>(), "file") << path;
      const std::string dir = provider["options"]["path"].as<std::string>();
      // The JSON files of dashboards/ are installed there, not the repository's folder layout.
      EXPECT_TRUE(absl::StartsWith(dir, "/") && absl::EndsWith(dir, "/dashboards")) << dir;
      EXPECT_FALSE(provider["options"]["foldersFromFilesStructure"].as<bool>(false)) << path;
    }
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << "cannot read " << path << ": " << e.what();
  }
}

TEST(DashboardProvisioningTest, DatasourceIsTheOneTheDashboardsSelectByDefault) {
  const std::string path = DashboardsDir() + "/provisioning/datasources.yaml";
  std::string uid;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    EXPECT_EQ(root["apiVersion"].as<int>(), 1);
    for (const YAML::Node& datasource : root["datasources"]) {
      if (datasource["type"].as<std::string>() != "prometheus") continue;
      uid = datasource["uid"].as<std::string>();
      EXPECT_EQ(datasource["url"].as<std::string>(), "http://127.0.0.1:9090") << path;
    }
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << "cannot read " << path << ": " << e.what();
  }
  EXPECT_EQ(uid, "prometheus") << path << " must provision a Prometheus data source";

  auto files = LoadDashboardFiles(DashboardsDir());
  ASSERT_THAT(files, IsOk());
  for (const DashboardFile& file : *files) {
    for (const Struct* variable : Variables(file.json)) {
      if (String(*variable, "name") != "datasource") continue;
      const Struct* current = Object(*variable, "current");
      EXPECT_EQ(current != nullptr ? String(*current, "value") : "", uid) << Where(file);
    }
  }
}

}  // namespace
}  // namespace vroeg::testing
