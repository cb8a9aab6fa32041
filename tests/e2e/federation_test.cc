// The national level end to end: two regions, each a real collector fed through real
// `vroeg-agent submit` and scraped by a real Prometheus running the repository's regional
// configuration and rules, federated by a real national Prometheus running the repository's
// national.yml and national rules. Every regional figure and alert arrives once, with its
// region and its regional value, and the national figures add the regions up.

#include <csignal>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/period.h"
#include "gtest/gtest.h"
#include "tests/support/http_get.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_api.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_region.h"
#include "yaml-cpp/yaml.h"

namespace vroeg::testing {
namespace {

constexpr char kInterval[] = "1s";
// What the national Prometheus federates (deploy/prometheus/national.yml).
constexpr char kFederated[] = R"({__name__=~"region.*:.*|ALERTS"})";

using Labels = std::map<std::string, std::string>;

// Places one provider reports for the last complete week, per care form.
struct Places {
  std::string care_form;
  int contracted;
  int operational;
  int occupied;
};

struct Provider {
  std::string agb;
  std::vector<Places> places;
  // Youths waiting for verblijf, for the last complete month.
  int waiting;
};

// A region as its collector.yaml describes it, and what its providers report.
struct RegionSetup {
  std::string code;
  std::string region_yaml;
  std::vector<Provider> providers;
};

// Flevoland: crisishulp full, so JeugdzorgNoAvailablePlaces fires there only.
const RegionSetup kFlevoland = {
    "flevoland",
    R"({code: flevoland, name: Flevoland, municipalities: [{code: GM0034, name: Almere},
        {code: GM0995, name: Lelystad}]})",
    {{"98990012", {{"verblijf", 12, 10, 8}, {"crisishulp", 4, 4, 4}}, 7},
     {"98990047", {{"verblijf", 20, 18, 18}}, 5}}};

const RegionSetup kGooi = {
    "gooi_en_vechtstreek",
    R"({code: gooi_en_vechtstreek, name: Gooi en Vechtstreek, municipalities: [
        {code: GM0402, name: Hilversum}, {code: GM1942, name: Gooise Meren},
        {code: GM0406, name: Huizen}]})",
    {{"98991234", {{"verblijf", 9, 9, 6}, {"crisishulp", 2, 2, 1}}, 3}}};

// Sum of `field` for `care_form` over every provider of `regions`.
int Submitted(const std::string& care_form, int Places::*field,
              const std::vector<const RegionSetup*>& regions) {
  int total = 0;
  for (const RegionSetup* setup : regions) {
    for (const Provider& provider : setup->providers) {
      for (const Places& places : provider.places) {
        if (places.care_form == care_form) total += places.*field;
      }
    }
  }
  return total;
}

// One region as it runs: its PKI and files, collector and Prometheus.
struct RunningRegion {
  const RegionSetup* setup = nullptr;
  std::unique_ptr<TestRegion> files;
  std::unique_ptr<RunningCollector> collector;
  std::unique_ptr<BackgroundProcess> prometheus;
  int prometheus_port = 0;
};

// TestRegion's collector configuration with this region instead of its own.
absl::StatusOr<std::string> CollectorConfig(TestRegion& files, const RegionSetup& setup) {
  const std::string path = files.CollectorConfig();
  try {
    YAML::Node config = YAML::LoadFile(path);
    config["region"] = YAML::Load(setup.region_yaml);
    YAML::Emitter out;
    out << config;
    WriteFile(path, out.c_str());
    return path;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("cannot rewrite ", path, ": ", e.what()));
  }
}

// One CSV per provider in long form: places for the last complete week, waiting for the last
// complete month, as the collector sees today.
std::string ProviderCsv(const Provider& provider) {
  const absl::CivilDay today = DutchDate(absl::Now());
  const absl::CivilDay monday = today - static_cast<int>(absl::GetWeekday(today));
  const std::string week = absl::StrCat(FormatIsoDate(monday - 7), ",", FormatIsoDate(monday - 1));
  const absl::CivilMonth this_month(today);
  const std::string month = absl::StrCat(FormatIsoDate(absl::CivilDay(this_month - 1)), ",",
                                         FormatIsoDate(absl::CivilDay(this_month) - 1));
  std::string csv = "period_start,period_end,care_form,municipality,indicator,value\n";
  for (const Places& places : provider.places) {
    const std::string prefix = absl::StrCat(week, ",", places.care_form, ",,");
    absl::StrAppend(&csv, prefix, "plaatsen_gecontracteerd,", places.contracted, "\n", prefix,
                    "plaatsen_operationeel,", places.operational, "\n", prefix, "plaatsen_bezet,",
                    places.occupied, "\n");
  }
  absl::StrAppend(&csv, month, ",verblijf,,wachtenden,", provider.waiting, "\n");
  return csv;
}

// Starts the region's collector, delivers every provider's file with `vroeg-agent submit` and
// starts its Prometheus with the repository's configuration and rules.
absl::Status StartRegion(const std::string& prometheus, RunningRegion& region) {
  region.files = std::make_unique<TestRegion>();
  const std::string dir = region.files->dir();
  auto config = CollectorConfig(*region.files, *region.setup);
  if (!config.ok()) return config.status();
  auto collector = RunningCollector::Start(*config, dir + "/collector.log");
  if (!collector.ok()) return collector.status();
  region.collector = *std::move(collector);
  for (const Provider& provider : region.setup->providers) {
    const std::string agent = region.files->AgentConfig(
        absl::StrCat("urn:vroeg:provider:", provider.agb), region.collector->grpc_port());
    const std::string file = absl::StrCat(dir, "/", provider.agb, ".csv");
    WriteFile(file, ProviderCsv(provider));
    auto result = RunCommand({AgentBinary(), "submit", "--config", agent, file}, absl::Minutes(2));
    if (!result.ok()) return result.status();
    if (result->exit_code != 0) {
      return absl::InternalError(absl::StrCat(region.setup->code, " provider ", provider.agb,
                                              " was not delivered:\n", result->out, result->err));
    }
  }
  auto prometheus_config = RegionalPrometheusConfig(region.collector->metrics_port(),
                                                    dir + "/rules", region.setup->code, kInterval);
  if (!prometheus_config.ok()) return prometheus_config.status();
  WriteFile(dir + "/prometheus.yml", *prometheus_config);
  const absl::Status rules =
      CopyRulesWithoutFor(SourceDir() + "/deploy/prometheus/rules", dir + "/rules", kInterval);
  if (!rules.ok()) return rules;
  auto server = StartPrometheus(prometheus, dir + "/prometheus.yml", dir, &region.prometheus_port);
  if (!server.ok()) return server.status();
  region.prometheus = *std::move(server);
  return absl::OkStatus();
}

std::string Text(const Labels& labels) {
  return absl::StrCat("{", absl::StrJoin(labels, ",", absl::PairFormatter("=")), "}");
}

// A regional series as the national Prometheus stores it: with honor_labels, the regional labels
// as they are, and the federate target's job and region where the series has none. /federate
// gives a series without an instance an empty one, so it keeps none.
Labels AsFederated(Labels labels, const RunningRegion& region) {
  labels.emplace("job", "federate");
  labels.emplace("region", region.setup->code);
  return labels;
}

// What the regions' Prometheus servers hold of kFederated, as the national one should hold it,
// with values.
absl::StatusOr<std::map<Labels, double>> ExpectedNational(
    const std::vector<RunningRegion>& regions) {
  std::map<Labels, double> expected;
  for (const RunningRegion& region : regions) {
    auto samples = PrometheusQuery(region.prometheus_port, kFederated);
    if (!samples.ok()) return samples.status();
    for (const PromSample& sample : *samples) {
      expected[AsFederated(sample.labels, region)] = sample.value;
    }
  }
  return expected;
}

// Differences between what the regions hold and what the national Prometheus holds, one line
// each. A regional series the national one holds twice, under other labels as well, shows as
// extra.
absl::StatusOr<std::vector<std::string>> FederationDifferences(
    int national_port, const std::vector<RunningRegion>& regions) {
  auto expected = ExpectedNational(regions);
  if (!expected.ok()) return expected.status();
  auto samples = PrometheusQuery(national_port, kFederated);
  if (!samples.ok()) return samples.status();
  std::vector<std::string> differences;
  std::map<Labels, double> national;
  for (const PromSample& sample : *samples) national[sample.labels] = sample.value;
  for (const auto& [labels, value] : *expected) {
    auto it = national.find(labels);
    if (it == national.end()) {
      differences.push_back(absl::StrCat("missing: ", Text(labels)));
    } else if (it->second != value) {
      differences.push_back(absl::StrCat(Text(labels), " is ", it->second, ", regionally ", value));
    }
  }
  for (const auto& [labels, value] : national) {
    if (!expected->count(labels)) differences.push_back(absl::StrCat("extra: ", Text(labels)));
  }
  return differences;
}

// The value of the one sample `query` gives on `port`, waiting (bounded) for it to appear.
absl::StatusOr<double> AwaitOne(int port, const std::string& query) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  absl::Status last = absl::OkStatus();
  while (true) {
    auto samples = PrometheusQuery(port, query);
    if (samples.ok() && samples->size() == 1) return samples->front().value;
    last = samples.ok() ? absl::NotFoundError(absl::StrCat(samples->size(), " samples"))
                        : samples.status();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(query, " on port ", port, ": ", last.message()));
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
}

// The value of `query` once it equals `expected`, or the last value seen when it does not within
// the bound. A national rule records what federation held at its last evaluation, so a total
// settles an evaluation or two after the last region's series arrived.
absl::StatusOr<double> AwaitValue(int port, const std::string& query, double expected) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (true) {
    auto value = AwaitOne(port, query);
    if (!value.ok() || *value == expected || absl::Now() > deadline) return value;
    absl::SleepFor(absl::Milliseconds(500));
  }
}

TEST(FederationTest, NationalPrometheusHoldsEveryRegionOnceAndAddsThemUp) {
  const std::string prometheus = FindProgram("prometheus");
  ASSERT_FALSE(prometheus.empty())
      << "no prometheus binary: install the Debian package prometheus (scripts/test.sh does)";

  std::vector<RunningRegion> regions(2);
  regions[0].setup = &kFlevoland;
  regions[1].setup = &kGooi;
  for (RunningRegion& region : regions) {
    const absl::Status started = StartRegion(prometheus, region);
    ASSERT_TRUE(started.ok()) << region.setup->code << ": " << started;
  }
  const std::vector<const RegionSetup*> setups = {&kFlevoland, &kGooi};

  // Each region records what its own providers sent.
  for (const RunningRegion& region : regions) {
    auto operational =
        AwaitOne(region.prometheus_port,
                 R"(region_care_form:jeugdzorg_places_operational:sum{care_form="verblijf"})");
    ASSERT_TRUE(operational.ok()) << operational.status();
    EXPECT_EQ(*operational, Submitted("verblijf", &Places::operational, {region.setup}))
        << region.setup->code;
  }
  // Every alert with a `for` of 0 s fires at once; flevoland has no crisishulp place free.
  auto no_places = AwaitOne(
      regions[0].prometheus_port,
      R"(ALERTS{alertname="JeugdzorgNoAvailablePlaces",care_form="crisishulp",alertstate="firing"})");
  ASSERT_TRUE(no_places.ok()) << no_places.status();

  TempDir national_dir;
  std::map<std::string, int> targets;
  for (const RunningRegion& region : regions) {
    targets[region.setup->code] = region.prometheus_port;
  }
  auto national_config = NationalPrometheusConfig(targets, national_dir.Sub("rules"), kInterval);
  ASSERT_TRUE(national_config.ok()) << national_config.status();
  WriteFile(national_dir.Sub("national.yml"), *national_config);
  const absl::Status national_rules = CopyRulesWithoutFor(
      SourceDir() + "/deploy/prometheus/rules/national", national_dir.Sub("rules"), kInterval);
  ASSERT_TRUE(national_rules.ok()) << national_rules;
  int national_port = 0;
  auto national = StartPrometheus(prometheus, national_dir.Sub("national.yml"), national_dir.path(),
                                  &national_port);
  ASSERT_TRUE(national.ok()) << national.status();

  // Every regional figure and alert arrives once, with its region and its regional value.
  // Federation runs every second; the bound leaves room for a slow machine.
  std::vector<std::string> differences = {"not compared"};
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    auto compared = FederationDifferences(national_port, regions);
    ASSERT_TRUE(compared.ok()) << compared.status();
    differences = *std::move(compared);
    if (differences.empty()) break;
    absl::SleepFor(absl::Seconds(1));
  }
  EXPECT_TRUE(differences.empty())
      << differences.size() << " differences:\n  " << absl::StrJoin(differences, "\n  ");
  for (const RunningRegion& region : regions) {
    auto count = AwaitOne(national_port, absl::StrCat(R"(count({__name__=~"region.*:.*",region=")",
                                                      region.setup->code, R"("}))"));
    ASSERT_TRUE(count.ok()) << count.status();
    auto regional = AwaitOne(region.prometheus_port, R"(count({__name__=~"region.*:.*"}))");
    ASSERT_TRUE(regional.ok()) << regional.status();
    EXPECT_EQ(*count, *regional) << region.setup->code;
  }
  auto alert = PrometheusQuery(national_port, R"(ALERTS{alertname="JeugdzorgNoAvailablePlaces"})");
  ASSERT_TRUE(alert.ok()) << alert.status();
  ASSERT_EQ(alert->size(), 1u);
  EXPECT_EQ(alert->front().labels.at("region"), "flevoland");
  EXPECT_EQ(alert->front().labels.at("care_form"), "crisishulp");

  // The national rules add the regions up.
  for (const char* care_form : {"verblijf", "crisishulp"}) {
    for (const auto& [name, field] : std::vector<std::pair<std::string, int Places::*>>{
             {"operational", &Places::operational}, {"occupied", &Places::occupied}}) {
      const std::string rule =
          absl::StrCat("care_form:jeugdzorg_places_", name, ":sum{care_form=\"", care_form, "\"}");
      auto total = AwaitValue(national_port, rule, Submitted(care_form, field, setups));
      ASSERT_TRUE(total.ok()) << total.status();
      EXPECT_EQ(*total, Submitted(care_form, field, setups)) << rule;
      double sum = 0;
      for (const RunningRegion& region : regions) {
        auto regional = AwaitOne(region.prometheus_port, "region_" + rule);
        ASSERT_TRUE(regional.ok()) << regional.status();
        sum += *regional;
      }
      EXPECT_EQ(*total, sum) << rule;
    }
  }
  // Available is per provider, never below 0: flevoland 2 + 0 (verblijf), gooi 3.
  auto available = AwaitValue(
      national_port, R"(care_form:jeugdzorg_places_available:sum{care_form="verblijf"})", 5);
  ASSERT_TRUE(available.ok()) << available.status();
  EXPECT_EQ(*available, 5);
  auto waiting = AwaitValue(
      national_port, R"(care_form:jeugdzorg_waiting_youths:sum{care_form="verblijf"})", 7 + 5 + 3);
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_EQ(*waiting, 7 + 5 + 3);
  // Only flevoland has no crisishulp place free; both have verblijf places.
  auto without = AwaitValue(
      national_port,
      R"(care_form:jeugdzorg_regions_without_available_places:count{care_form="crisishulp"})", 1);
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(*without, 1);
  without = AwaitValue(
      national_port,
      R"(care_form:jeugdzorg_regions_without_available_places:count{care_form="verblijf"})", 0);
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(*without, 0);

  // A series without a region of its own: once Gooi's collector stops, its Prometheus raises
  // VroegCollectorNotScraped from `up`. Its /federate labels it with the region through the
  // external label, and the national Prometheus holds it once, with that region.
  RunningRegion& gooi = regions[1];
  auto stopped = gooi.collector->process().Stop(SIGTERM);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  auto not_scraped =
      AwaitOne(gooi.prometheus_port,
               R"(ALERTS{alertname="VroegCollectorNotScraped",alertstate="firing",region=""})");
  ASSERT_TRUE(not_scraped.ok()) << not_scraped.status();
  auto federate = HttpGet(gooi.prometheus_port, "/federate?match%5B%5D=ALERTS");
  ASSERT_TRUE(federate.ok()) << federate.status();
  bool labelled = false;
  for (absl::string_view line : absl::StrSplit(federate->body, '\n')) {
    if (absl::StrContains(line, R"(alertname="VroegCollectorNotScraped")")) {
      labelled = absl::StrContains(line, R"(region="gooi_en_vechtstreek")");
      break;
    }
  }
  EXPECT_TRUE(labelled) << "/federate of gooi_en_vechtstreek:\n" << federate->body;
  auto national_alert = AwaitOne(
      national_port,
      R"(count(ALERTS{alertname="VroegCollectorNotScraped",region="gooi_en_vechtstreek"}))");
  ASSERT_TRUE(national_alert.ok()) << national_alert.status();
  EXPECT_EQ(*national_alert, 1);
  auto elsewhere = PrometheusQuery(
      national_port,
      R"(ALERTS{alertname="VroegCollectorNotScraped",region!="gooi_en_vechtstreek"})");
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.status();
  EXPECT_TRUE(elsewhere->empty());
}

}  // namespace
}  // namespace vroeg::testing
