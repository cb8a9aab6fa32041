// The early-warning chain end to end, as a region runs it: the Flevoland scenario
// (tools/demo/flevoland_scenario.h) for today, delivered file by file through one real
// `vroeg-agent submit` per reporter to a real collector, scraped by a real Prometheus running
// the repository's configuration and rules. Exactly the scenario's alerts fire, and every query
// of every dashboard evaluates against what the collector exposes.

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/identity.h"
#include "common/period.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/dashboard_queries.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_api.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_region.h"
#include "tools/demo/flevoland_scenario.h"

namespace vroeg::testing {
namespace {

// About nine months: two whole quarters for the finance figures, and more than the three
// previous periods the trends compare with, for weeks and for months.
constexpr int kHistoryMonths = 9;
constexpr int kParallelAgents = 4;
constexpr char kInterval[] = "1s";

// The alerts the end of the scenario's history raises (flevoland_scenario.h, a to g), each named
// by its alertname and the labels that tell alerts of one name apart.
const std::set<std::string> kExpectedAlerts = {
    // a. Others fill up as De Zeearend loses staffed places: above 0.95 for seven weeks.
    R"(JeugdzorgOccupancyHigh{care_form="verblijf"})",
    // b. De Zeearend's growing list waits past both norms and is over a fifth of the region's.
    R"(JeugdzorgWaitingBeyondNormRising{care_form="verblijf",stage="intake"})",
    R"(JeugdzorgWaitingBeyondNormRising{care_form="verblijf",stage="treatment"})",
    // c. De Zeearend and Het Baken stop intake: two of the three short-stay providers.
    R"(JeugdzorgIntakeStopMajority{care_form="kortdurend_verblijf"})",
    // d. Every crisis place taken, in the last two weeks only.
    R"(JeugdzorgNoAvailablePlaces{care_form="crisishulp"})",
    // e. De Zeearend, in scope, loses money two quarters running with a current ratio below 1;
    // Het Baken loses money too but is out of scope.
    R"(JeugdzorgProviderCurrentRatioLow{reporter="98990012"})",
    R"(JeugdzorgProviderLosses{reporter="98990012"})",
    // f. De Haven's places stop five weeks before the end.
    R"(JeugdzorgReporterOverdue{dataset="capacity",reporter="98990144"})",
    // g. The cast: the GI is the only provider of child protection and juvenile probation, and
    // Zuiderzee holds most places for multidisciplinary youth mental health care.
    R"(JeugdzorgCapacityConcentrated{care_form="jeugdbescherming",reporter="98999001"})",
    R"(JeugdzorgCapacityConcentrated{care_form="jeugdreclassering",reporter="98999001"})",
    R"(JeugdzorgCapacityConcentrated{care_form="multidisciplinair_ggz_complex",reporter="98990047"})",
};

// alertname{label="value",...} with the labels that tell alerts of one name apart, sorted.
std::string AlertKey(const PromSample& alert) {
  std::vector<std::string> labels;
  for (const char* name : {"care_form", "dataset", "reporter", "stage"}) {
    if (auto it = alert.labels.find(name); it != alert.labels.end()) {
      labels.push_back(absl::StrCat(name, "=\"", it->second, "\""));
    }
  }
  return absl::StrCat(alert.labels.at("alertname"), "{", absl::StrJoin(labels, ","), "}");
}

std::string Difference(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::vector<std::string> only;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only));
  return only.empty() ? "(none)" : absl::StrCat("\n  ", absl::StrJoin(only, "\n  "));
}

// Outcome of one `vroeg-agent submit` of a reporter's whole history.
struct Delivery {
  std::string folder;
  absl::StatusOr<CommandResult> result = absl::UnknownError("not run");
};

// Runs one agent per reporter, `kParallelAgents` at a time, each submitting that reporter's
// files in name order (which is chronological).
std::vector<Delivery> DeliverAll(TestRegion& region, int grpc_port, const demo::DemoData& data,
                                 const std::string& data_dir) {
  std::vector<Delivery> deliveries;
  std::vector<std::vector<std::string>> commands;
  for (const demo::DemoReporter& reporter : data.reporters) {
    // TestRegion issues certificates with vroegctl, one at a time.
    const std::string config = region.AgentConfig(reporter.id.Urn(), grpc_port);
    std::vector<std::string> files;
    for (const demo::DemoFile& file : data.files) {
      if (absl::StartsWith(file.path, reporter.folder + "/")) {
        files.push_back(absl::StrCat(data_dir, "/", file.path));
      }
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> argv = {AgentBinary(), "submit", "--config", config};
    argv.insert(argv.end(), files.begin(), files.end());
    commands.push_back(std::move(argv));
    deliveries.push_back({reporter.folder});
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kParallelAgents; ++w) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < commands.size(); i = next++) {
        deliveries[i].result = RunCommand(commands[i], absl::Minutes(4));
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  return deliveries;
}

// The values each dashboard variable offers, found as Grafana finds them: by evaluating the
// variable's own query. Fixed values (region and Grafana's built-ins) are given.
class VariableValues {
 public:
  VariableValues(int port, const std::vector<DashboardQuery>& queries,
                 std::map<std::string, std::string> fixed)
      : port_(port), fixed_(std::move(fixed)) {
    for (const DashboardQuery& query : queries) {
      if (!query.variable.empty()) definitions_[{query.dashboard_uid, query.variable}] = query;
    }
  }

  // Every combination of values for the variables `text` refers to in `dashboard`. A variable
  // the dashboard does not define is left as it is, so that evaluation fails and says so.
  absl::StatusOr<std::vector<std::map<std::string, std::string>>> Combinations(
      const std::string& dashboard, const std::string& text, int depth = 0) {
    std::vector<std::map<std::string, std::string>> combinations = {fixed_};
    for (const std::string& name : ReferencedVariables(text)) {
      if (fixed_.count(name)) continue;
      auto values = Values(dashboard, name, depth);
      if (!values.ok()) return values.status();
      if (values->empty()) continue;
      std::vector<std::map<std::string, std::string>> extended;
      for (const auto& combination : combinations) {
        for (const std::string& value : *values) {
          extended.push_back(combination);
          extended.back()[name] = value;
        }
      }
      combinations = std::move(extended);
    }
    return combinations;
  }

 private:
  absl::StatusOr<std::vector<std::string>> Values(const std::string& dashboard,
                                                  const std::string& name, int depth) {
    const auto key = std::make_pair(dashboard, name);
    if (auto cached = cache_.find(key); cached != cache_.end()) return cached->second;
    const auto definition = definitions_.find(key);
    if (definition == definitions_.end()) return std::vector<std::string>{};
    const DashboardQuery& variable = definition->second;
    if (depth > 3 || variable.label.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("variable ", name, " of ", dashboard, " (", variable.expr,
                       ") is not label_values(...): this test cannot list its values"));
    }
    // label_values(label) without a selector offers every value the label has.
    const std::string selector =
        variable.query.empty() ? absl::StrCat("{", variable.label, "!=\"\"}") : variable.query;
    auto combinations = Combinations(dashboard, selector, depth + 1);
    if (!combinations.ok()) return combinations.status();
    std::set<std::string> values;
    for (const auto& combination : *combinations) {
      auto samples = PrometheusQuery(port_, SubstituteVariables(selector, combination));
      if (!samples.ok()) return samples.status();
      for (const PromSample& sample : *samples) {
        if (auto it = sample.labels.find(variable.label); it != sample.labels.end()) {
          values.insert(it->second);
        }
      }
    }
    if (values.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("variable ", name, " of ", dashboard, " offers no values"));
    }
    return cache_[key] = std::vector<std::string>(values.begin(), values.end());
  }

  const int port_;
  const std::map<std::string, std::string> fixed_;
  std::map<std::pair<std::string, std::string>, DashboardQuery> definitions_;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> cache_;
};

// Number of elements an instant query returns: a scalar counts as one.
absl::StatusOr<size_t> Evaluate(int port, const std::string& query) {
  auto samples = PrometheusQuery(port, query);
  if (samples.ok()) return samples->size();
  // PrometheusQuery accepts vectors only; a scalar evaluated fine and holds a value.
  if (absl::EndsWith(samples.status().message(), "is not an instant vector")) return 1;
  return samples.status();
}

// Polls `query` until its first sample's value is at least `minimum`, for at most `timeout`.
absl::Status AwaitValue(int port, const std::string& query, double minimum,
                        absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    auto samples = PrometheusQuery(port, query);
    if (samples.ok() && !samples->empty() && samples->front().value >= minimum) {
      return absl::OkStatus();
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          query, " did not reach ", minimum, " within ", absl::FormatDuration(timeout), ": ",
          samples.ok()
              ? (samples->empty() ? "no samples" : absl::StrCat("last ", samples->front().value))
              : samples.status().ToString()));
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
}

TEST(EarlyWarningTest, ScenarioRaisesExactlyItsAlertsAndEveryDashboardQueryEvaluates) {
  const std::string prometheus = FindProgram("prometheus");
  ASSERT_FALSE(prometheus.empty())
      << "no prometheus binary: install the Debian package prometheus (scripts/test.sh does)";

  // The scenario for today, as the collector sees today.
  demo::ScenarioOptions options;
  options.today = DutchDate(absl::Now());
  options.end = demo::LastCompleteMonth(options.today);
  options.months = kHistoryMonths;
  options.seed = 1;
  absl::StatusOr<demo::DemoData> data = demo::GenerateFlevoland(options);
  ASSERT_TRUE(data.ok()) << data.status();
  TestRegion region;
  const std::string data_dir = region.dir() + "/data";
  ASSERT_TRUE(demo::WriteDemoData(*data, data_dir, /*force=*/false).ok());

  auto collector =
      RunningCollector::Start(region.CollectorConfig(), region.dir() + "/collector.log");
  ASSERT_TRUE(collector.ok()) << collector.status();

  // Every file of every reporter is accepted.
  const std::vector<Delivery> deliveries =
      DeliverAll(region, (*collector)->grpc_port(), *data, data_dir);
  for (const Delivery& delivery : deliveries) {
    ASSERT_TRUE(delivery.result.ok()) << delivery.folder << ": " << delivery.result.status();
    ASSERT_EQ(delivery.result->exit_code, 0) << delivery.folder << " was not delivered in full:\n"
                                             << delivery.result->out << delivery.result->err;
  }

  auto config = RegionalPrometheusConfig((*collector)->metrics_port(), region.dir() + "/rules",
                                         "flevoland", kInterval);
  ASSERT_TRUE(config.ok()) << config.status();
  WriteFile(region.dir() + "/prometheus.yml", *config);
  const absl::Status rules = CopyRulesWithoutFor(SourceDir() + "/deploy/prometheus/rules",
                                                 region.dir() + "/rules", kInterval);
  ASSERT_TRUE(rules.ok()) << rules;
  int port = 0;
  auto server = StartPrometheus(prometheus, region.dir() + "/prometheus.yml", region.dir(), &port);
  ASSERT_TRUE(server.ok()) << server.status();

  // Exactly the scenario's alerts fire. Rules run every second and fire at once, so the set
  // settles within seconds of the first scrapes; the bound leaves room for a slow machine.
  std::set<std::string> firing;
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  absl::Status last_query = absl::OkStatus();
  while (absl::Now() < deadline) {
    auto alerts = PrometheusQuery(port, R"(ALERTS{alertstate="firing"})");
    last_query = alerts.status();
    if (alerts.ok()) {
      firing.clear();
      for (const PromSample& alert : *alerts) firing.insert(AlertKey(alert));
      if (firing == kExpectedAlerts) break;
    }
    absl::SleepFor(absl::Seconds(1));
  }
  EXPECT_TRUE(last_query.ok()) << last_query;
  EXPECT_EQ(firing, kExpectedAlerts)
      << "expected but not firing:" << Difference(kExpectedAlerts, firing)
      << "\nfiring but not expected:" << Difference(firing, kExpectedAlerts);

  // Every dashboard query evaluates, once rate() windows hold enough scrapes.
  const absl::Status scraped =
      AwaitValue(port, R"(count_over_time(up{job="vroeg-collector"}[5m]))", 5, absl::Seconds(60));
  ASSERT_TRUE(scraped.ok()) << scraped;
  auto queries = LoadDashboardQueries(SourceDir() + "/dashboards");
  ASSERT_TRUE(queries.ok()) << queries.status();
  ASSERT_FALSE(queries->empty());
  VariableValues variables(port, *queries,
                           {{"region", "flevoland"},
                            {"__rate_interval", "1m"},
                            {"__interval", "15s"},
                            {"__range", "5m"},
                            {"__range_s", "300"}});
  std::vector<std::string> failures;
  int evaluated = 0;
  for (const DashboardQuery& query : *queries) {
    if (query.query.empty()) continue;  // sends nothing to Prometheus
    const std::string where =
        absl::StrCat(query.dashboard_uid, " / ",
                     query.variable.empty() ? absl::StrCat("panel \"", query.panel_title, "\"")
                                            : absl::StrCat("variable ", query.variable),
                     ": ", query.expr);
    auto combinations = variables.Combinations(query.dashboard_uid, query.query);
    if (!combinations.ok()) {
      failures.push_back(absl::StrCat(where, "\n    ", combinations.status().message()));
      continue;
    }
    std::vector<std::string> errors;
    bool data_found = false;
    for (const auto& values : *combinations) {
      const std::string expr = SubstituteVariables(query.query, values);
      auto size = Evaluate(port, expr);
      ++evaluated;
      if (!size.ok()) {
        errors.push_back(std::string(size.status().message()));
      } else if (*size > 0) {
        data_found = true;
      }
    }
    if (!errors.empty()) {
      failures.push_back(absl::StrCat(where, "\n    ", errors.size(), " of ", combinations->size(),
                                      " evaluations failed, e.g. ", errors.front()));
    } else if (!data_found) {
      failures.push_back(
          absl::StrCat(where, "\n    no data for any of ", combinations->size(), " evaluations"));
    }
  }
  EXPECT_GT(evaluated, 0);
  EXPECT_THAT(failures, ::testing::IsEmpty())
      << failures.size() << " dashboard queries fail:\n  " << absl::StrJoin(failures, "\n  ");
}

}  // namespace
}  // namespace vroeg::testing
