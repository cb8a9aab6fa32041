#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/demo/flevoland_scenario.h"
#include "yaml-cpp/yaml.h"

namespace vroeg::demo {
namespace {

namespace fs = std::filesystem;

constexpr absl::CivilDay kToday(2026, 11, 23);
constexpr absl::CivilMonth kEnd(2026, 10);
constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr char kRevenueByMunicipality[] = "omzet_jeugdzorg_gemeente";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// A temporary directory, unique per test and process, removed at the end of the test.
class TempDir {
 public:
  explicit TempDir(absl::string_view name)
      : path_(fs::path(::testing::TempDir()) /
              absl::StrCat("vroeg_demo_", name, "_", static_cast<int>(getpid()))) {
    fs::remove_all(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

ScenarioOptions Options(uint64_t seed) {
  ScenarioOptions options;
  options.today = kToday;
  options.end = kEnd;
  options.months = 24;
  options.seed = seed;
  return options;
}

void Generate(const ScenarioOptions& options, const fs::path& out) {
  absl::StatusOr<DemoData> data = GenerateFlevoland(options);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_TRUE(WriteDemoData(*data, out.string(), /*force=*/false).ok());
}

// Every regular file under `root`, by relative path, with its contents.
std::map<std::string, std::string> Tree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) {
      files[fs::relative(entry.path(), root).generic_string()] = ReadFile(entry.path());
    }
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// A minimal reader for the generator's own output; the agent has the real one.

struct Observation {
  std::string folder;
  std::string file;
  std::string period_start;
  std::string period_end;
  std::string care_form;
  std::string municipality;
  std::string indicator;
  std::string value_text;
  double value = 0;
};

std::vector<std::string> Lines(absl::string_view contents) {
  absl::ConsumePrefix(&contents, kBom);
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(contents, '\n', absl::SkipEmpty())) {
    absl::ConsumeSuffix(&line, "\r");
    lines.emplace_back(line);
  }
  return lines;
}

double ParseNumber(std::string text) {
  std::replace(text.begin(), text.end(), ',', '.');
  double value = NAN;
  EXPECT_TRUE(absl::SimpleAtod(text, &value)) << text;
  return value;
}

void ParseCsv(const std::string& folder, const std::string& file, const std::string& contents,
              std::vector<Observation>& out) {
  const std::vector<std::string> lines = Lines(contents);
  ASSERT_FALSE(lines.empty()) << file;
  const char separator = absl::StrContains(lines[0], ';') ? ';' : ',';
  const std::vector<std::string> header = absl::StrSplit(lines[0], separator);
  ASSERT_GE(header.size(), 5u) << file;
  const bool long_form = header.size() == 6 && header[4] == "indicator" && header[5] == "value";
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> cells = absl::StrSplit(lines[i], separator);
    ASSERT_EQ(cells.size(), header.size()) << folder << "/" << file << " line " << i + 1;
    Observation base;
    base.folder = folder;
    base.file = file;
    base.period_start = cells[0];
    base.period_end = cells[1];
    base.care_form = cells[2];
    base.municipality = cells[3];
    if (long_form) {
      base.indicator = cells[4];
      base.value_text = cells[5];
      base.value = ParseNumber(cells[5]);
      out.push_back(base);
      continue;
    }
    for (size_t column = 4; column < header.size(); ++column) {
      // An empty cell in wide form means "not reported", as the agent reads it.
      if (cells[column].empty()) continue;
      Observation observation = base;
      observation.indicator = header[column];
      observation.value_text = cells[column];
      observation.value = ParseNumber(cells[column]);
      out.push_back(observation);
    }
  }
}

// Reads the string or number after "key": on a line written by the generator.
std::string JsonField(absl::string_view line, absl::string_view key) {
  const std::string marker = absl::StrCat("\"", key, "\": ");
  const size_t at = line.find(marker);
  if (at == absl::string_view::npos) return "<missing>";
  absl::string_view rest = line.substr(at + marker.size());
  if (absl::ConsumePrefix(&rest, "\"")) return std::string(rest.substr(0, rest.find('"')));
  return std::string(rest.substr(0, rest.find_first_of(",}")));
}

void ParseJson(const std::string& folder, const std::string& file, const std::string& contents,
               std::vector<Observation>& out) {
  const std::vector<std::string> lines = Lines(contents);
  ASSERT_FALSE(lines.empty());
  ASSERT_TRUE(absl::StartsWith(lines.front(), "{\"observations\": [")) << file;
  ASSERT_EQ(lines.back(), "]}") << file;
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    Observation observation{folder,
                            file,
                            JsonField(lines[i], "period_start"),
                            JsonField(lines[i], "period_end"),
                            JsonField(lines[i], "care_form"),
                            JsonField(lines[i], "municipality"),
                            JsonField(lines[i], "indicator"),
                            JsonField(lines[i], "value")};
    observation.value = ParseNumber(observation.value_text);
    out.push_back(observation);
  }
}

// Every observation of one generated file, whatever its format.
std::vector<Observation> ParseDemoFile(const DemoFile& file) {
  std::vector<Observation> parsed;
  const std::string folder = file.path.substr(0, file.path.find('/'));
  if (absl::EndsWith(file.path, ".json")) {
    ParseJson(folder, file.path, file.contents, parsed);
  } else {
    ParseCsv(folder, file.path, file.contents, parsed);
  }
  return parsed;
}

struct ReporterLine {
  std::string kind;
  std::string id;
  std::string name;
  std::string folder;
  std::string note;
};

std::vector<ReporterLine> ParseReporters(const std::string& contents) {
  std::vector<ReporterLine> reporters;
  const std::vector<std::string> lines = Lines(contents);
  EXPECT_EQ(lines.at(0), "kind\tid\tname\tfolder\tnote");
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> cells = absl::StrSplit(lines[i], '\t');
    EXPECT_EQ(cells.size(), 5u) << lines[i];
    if (cells.size() == 5) reporters.push_back({cells[0], cells[1], cells[2], cells[3], cells[4]});
  }
  return reporters;
}

absl::CivilDay Day(const std::string& text) {
  absl::CivilDay day;
  EXPECT_TRUE(absl::ParseCivilTime(text, &day)) << text;
  return day;
}

// ---------------------------------------------------------------------------------------------
// One generated data set, shared by the tests that only read it.

class DemoDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("shared");
    Generate(Options(7), dir_->path());
    files_ = new std::map<std::string, std::string>(Tree(dir_->path()));
    reporters_ = new std::vector<ReporterLine>(ParseReporters(files_->at("reporters.tsv")));
    observations_ = new std::vector<Observation>();
    for (const auto& [path, contents] : *files_) {
      if (path == "reporters.tsv") continue;
      const std::string folder = path.substr(0, path.find('/'));
      const std::string file = path.substr(path.find('/') + 1);
      if (absl::EndsWith(file, ".json")) {
        ParseJson(folder, file, contents, *observations_);
      } else {
        ParseCsv(folder, file, contents, *observations_);
      }
    }
  }

  static void TearDownTestSuite() {
    delete observations_;
    delete reporters_;
    delete files_;
    delete dir_;
  }

  static const ReporterLine* FindReporter(absl::string_view folder) {
    for (const ReporterLine& reporter : *reporters_) {
      if (reporter.folder == folder) return &reporter;
    }
    return nullptr;
  }

  static TempDir* dir_;
  static std::map<std::string, std::string>* files_;
  static std::vector<ReporterLine>* reporters_;
  static std::vector<Observation>* observations_;
};

TempDir* DemoDataTest::dir_ = nullptr;
std::map<std::string, std::string>* DemoDataTest::files_ = nullptr;
std::vector<ReporterLine>* DemoDataTest::reporters_ = nullptr;
std::vector<Observation>* DemoDataTest::observations_ = nullptr;

TEST(DemoDataDeterminismTest, SameSeedGivesIdenticalBytesAndOtherSeedDiffers) {
  TempDir first("first");
  TempDir second("second");
  TempDir other("other");
  Generate(Options(42), first.path());
  Generate(Options(42), second.path());
  Generate(Options(43), other.path());
  const auto first_tree = Tree(first.path());
  EXPECT_EQ(first_tree, Tree(second.path()));
  const auto other_tree = Tree(other.path());
  EXPECT_NE(first_tree, other_tree);
  // Same story, different noise: the same files, with different figures.
  std::vector<std::string> first_names;
  std::vector<std::string> other_names;
  for (const auto& [path, contents] : first_tree) first_names.push_back(path);
  for (const auto& [path, contents] : other_tree) other_names.push_back(path);
  EXPECT_EQ(first_names, other_names);
}

TEST_F(DemoDataTest, ListsEveryReporterWithItsFolder) {
  std::map<std::string, int> by_kind;
  for (const ReporterLine& reporter : *reporters_) {
    ++by_kind[reporter.kind];
    EXPECT_EQ(reporter.folder, absl::StrCat(reporter.kind, "-", reporter.id));
    EXPECT_FALSE(reporter.name.empty());
    EXPECT_TRUE(fs::is_directory(dir_->path() / reporter.folder)) << reporter.folder;
    if (reporter.kind == "municipality") {
      EXPECT_THAT(reporter.id, ::testing::MatchesRegex("GM[0-9]{4}"));
    } else {
      EXPECT_THAT(reporter.id, ::testing::MatchesRegex("9899[0-9]{4}"));
    }
  }
  EXPECT_GE(by_kind["provider"], 12);
  EXPECT_EQ(by_kind["certified_institution"], 1);
  EXPECT_GE(by_kind["municipality"], 5);
  for (absl::string_view code : {"GM0034", "GM0303", "GM0995", "GM0171", "GM0184", "GM0050"}) {
    EXPECT_NE(FindReporter(absl::StrCat("municipality-", code)), nullptr) << code;
  }
  // Every folder on disk is listed.
  for (const auto& entry : fs::directory_iterator(dir_->path())) {
    if (entry.is_directory()) {
      EXPECT_NE(FindReporter(entry.path().filename().string()), nullptr) << entry.path();
    }
  }
}

TEST_F(DemoDataTest, ProvidersOfferOneToThreeCareFormsAndCoverTheCatalogue) {
  std::map<std::string, std::set<std::string>> care_forms;
  std::set<std::string> all;
  for (const Observation& o : *observations_) {
    if (o.folder.rfind("municipality-", 0) == 0 || o.care_form.empty()) continue;
    care_forms[o.folder].insert(o.care_form);
    all.insert(o.care_form);
  }
  for (const auto& [folder, forms] : care_forms) {
    EXPECT_GE(forms.size(), 1u) << folder;
    EXPECT_LE(forms.size(), 3u) << folder;
  }
  EXPECT_EQ(care_forms["certified_institution-98999001"],
            (std::set<std::string>{"jeugdbescherming", "jeugdreclassering"}));
  EXPECT_EQ(all, (std::set<std::string>{
                     "verblijf", "crisishulp", "hoogspecialistische_jeugd_ggz", "jeugdbescherming",
                     "jeugdreclassering", "kortdurend_verblijf", "dagbehandeling",
                     "multidisciplinair_complex", "multidisciplinair_ggz_complex"}));
}

struct IndicatorRule {
  double min = 0;
  double max = 0;
  std::string unit;
  std::set<std::string> reporter_kinds;
  std::string care_form_use;
  // Empty when the catalogue leaves it out (optional).
  std::string municipality_use;
  bool municipality_any_region = false;
};

std::map<std::string, IndicatorRule> LoadCatalogue(std::set<std::string>& care_forms) {
  std::map<std::string, IndicatorRule> rules;
  const char* source_dir = std::getenv("VROEG_SOURCE_DIR");
  const std::string path =
      absl::StrCat(source_dir != nullptr ? source_dir : ".", "/deploy/catalogue/catalogue.yaml");
  try {
    const YAML::Node root = YAML::LoadFile(path);
    for (const YAML::Node& form : root["care_forms"]) {
      care_forms.insert(form["code"].as<std::string>());
    }
    for (const YAML::Node& indicator : root["indicators"]) {
      IndicatorRule rule;
      rule.min = indicator["min"].as<double>();
      rule.max = indicator["max"].as<double>();
      rule.unit = indicator["unit"].as<std::string>();
      rule.care_form_use = indicator["care_form_use"].as<std::string>();
      if (indicator["municipality_use"]) {
        rule.municipality_use = indicator["municipality_use"].as<std::string>();
      }
      if (indicator["municipality_any_region"]) {
        rule.municipality_any_region = indicator["municipality_any_region"].as<bool>();
      }
      for (const YAML::Node& kind : indicator["reporter_kinds"]) {
        rule.reporter_kinds.insert(absl::AsciiStrToLower(kind.as<std::string>()));
      }
      rules[indicator["code"].as<std::string>()] = rule;
    }
  } catch (const YAML::Exception& e) {
    ADD_FAILURE() << "cannot read " << path << ": " << e.what();
  }
  return rules;
}

TEST_F(DemoDataTest, EveryValueFitsTheCatalogue) {
  std::set<std::string> care_forms;
  const std::map<std::string, IndicatorRule> rules = LoadCatalogue(care_forms);
  ASSERT_FALSE(rules.empty());
  ASSERT_FALSE(observations_->empty());
  std::set<std::string> municipalities;
  for (const ReporterLine& reporter : *reporters_) {
    if (reporter.kind == "municipality") municipalities.insert(reporter.id);
  }
  for (const Observation& o : *observations_) {
    const std::string where = absl::StrCat(o.folder, "/", o.file, " ", o.indicator, " ",
                                           o.care_form, " ", o.period_start);
    const auto rule = rules.find(o.indicator);
    ASSERT_NE(rule, rules.end()) << where;
    EXPECT_GE(o.value, rule->second.min) << where;
    EXPECT_LE(o.value, rule->second.max) << where;
    const std::string kind = o.folder.substr(0, o.folder.find('-'));
    EXPECT_TRUE(rule->second.reporter_kinds.count(kind)) << where;
    if (rule->second.unit == "COUNT" || rule->second.unit == "BOOLEAN") {
      EXPECT_EQ(o.value, std::floor(o.value)) << where;
      EXPECT_THAT(o.value_text, ::testing::MatchesRegex("[0-9]+")) << where;
    }
    if (rule->second.care_form_use == "REQUIRED") {
      EXPECT_TRUE(care_forms.count(o.care_form)) << where;
    } else if (rule->second.care_form_use == "FORBIDDEN") {
      EXPECT_EQ(o.care_form, "") << where;
    } else if (!o.care_form.empty()) {
      EXPECT_TRUE(care_forms.count(o.care_form)) << where;
    }
    if (rule->second.municipality_use == "REQUIRED") {
      EXPECT_NE(o.municipality, "") << where;
    } else if (rule->second.municipality_use == "FORBIDDEN") {
      EXPECT_EQ(o.municipality, "") << where;
    }
    if (!o.municipality.empty()) {
      EXPECT_THAT(o.municipality, ::testing::MatchesRegex("GM[0-9]{4}")) << where;
      // Only a paying municipality may lie outside the region.
      if (!rule->second.municipality_any_region) {
        EXPECT_TRUE(municipalities.count(o.municipality)) << where;
      }
    }
  }
}

TEST_F(DemoDataTest, TwoProvidersArePaidPartlyFromOutsideTheRegion) {
  std::set<std::string> members;
  for (const ReporterLine& reporter : *reporters_) {
    if (reporter.kind == "municipality") members.insert(reporter.id);
  }
  // folder -> quarter start -> revenue from the region's members, and in all.
  std::map<std::string, std::map<std::string, std::pair<double, double>>> revenue;
  for (const Observation& o : *observations_) {
    if (o.indicator != kRevenueByMunicipality) continue;
    auto& [in_region, total] = revenue[o.folder][o.period_start];
    if (members.count(o.municipality)) in_region += o.value;
    total += o.value;
  }
  ASSERT_EQ(revenue.size(), 14u);
  std::set<std::string> paid_from_outside;
  for (const auto& [folder, quarters] : revenue) {
    for (const auto& [quarter, parts] : quarters) {
      const double share = parts.first / parts.second;
      if (share == 1.0) continue;
      paid_from_outside.insert(folder);
      // A small part: the region still pays nearly everything.
      EXPECT_GT(share, 0.9) << folder << " " << quarter;
    }
  }
  EXPECT_EQ(paid_from_outside, (std::set<std::string>{"provider-98990047", "provider-98990055"}));
  for (const std::string& folder : paid_from_outside) {
    const ReporterLine* reporter = FindReporter(folder);
    ASSERT_NE(reporter, nullptr);
    EXPECT_THAT(reporter->note, ::testing::HasSubstr("outside the region")) << folder;
  }
}

TEST_F(DemoDataTest, OccupiedNeverExceedsOperationalNorOperationalContracted) {
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<Key, std::map<std::string, double>> places;
  for (const Observation& o : *observations_) {
    if (absl::StartsWith(o.indicator, "plaatsen_")) {
      places[{o.folder, o.care_form, o.municipality, o.period_start}][o.indicator] = o.value;
    }
  }
  ASSERT_GT(places.size(), 1000u);
  for (const auto& [key, values] : places) {
    const std::string where =
        absl::StrCat(std::get<0>(key), " ", std::get<1>(key), " ", std::get<3>(key));
    ASSERT_EQ(values.size(), 3u) << where;
    EXPECT_LE(values.at("plaatsen_bezet"), values.at("plaatsen_operationeel")) << where;
    EXPECT_LE(values.at("plaatsen_operationeel"), values.at("plaatsen_gecontracteerd")) << where;
  }
}

TEST_F(DemoDataTest, PeriodsAreCalendarPeriodsAndNoneStartsAfterToday) {
  std::set<std::string> months;
  for (const Observation& o : *observations_) {
    const absl::CivilDay start = Day(o.period_start);
    const absl::CivilDay end = Day(o.period_end);
    const std::string where = absl::StrCat(o.folder, "/", o.file, " ", o.indicator);
    EXPECT_LE(start, kToday) << where;
    EXPECT_LE(start, end) << where;
    // File names start with the month the figures are for (for quarters: the quarter's last
    // month, when they can be known), so sorting by name gives the order to submit in.
    const bool quarterly = absl::StrContains(o.file, "-kw");
    EXPECT_TRUE(
        absl::StartsWith(o.file, absl::FormatCivilTime(absl::CivilMonth(quarterly ? end : start))))
        << where;
    if (o.indicator == "clientenstop" || absl::StartsWith(o.indicator, "plaatsen_")) {
      EXPECT_EQ(absl::GetWeekday(start), absl::Weekday::monday) << where;
      EXPECT_EQ(end - start, 6) << where;
    } else if (quarterly) {
      EXPECT_EQ(start, absl::CivilDay(absl::CivilMonth(start)));
      EXPECT_EQ((start.month() - 1) % 3, 0) << where;
      EXPECT_EQ(end, absl::CivilDay(absl::CivilMonth(start) + 3) - 1) << where;
    } else {
      EXPECT_EQ(start, absl::CivilDay(absl::CivilMonth(start))) << where;
      EXPECT_EQ(end, absl::CivilDay(absl::CivilMonth(start) + 1) - 1) << where;
      months.insert(absl::FormatCivilTime(absl::CivilMonth(start)));
    }
  }
  EXPECT_EQ(months.size(), 24u);
  EXPECT_EQ(*months.begin(), "2024-11");
  EXPECT_EQ(*months.rbegin(), "2026-10");
}

TEST_F(DemoDataTest, TroubledProviderDriftsIntoTrouble) {
  std::vector<const ReporterLine*> troubled;
  for (const ReporterLine& reporter : *reporters_) {
    if (absl::StrContains(reporter.note, "trouble")) troubled.push_back(&reporter);
  }
  ASSERT_EQ(troubled.size(), 1u);
  const std::string folder = troubled[0]->folder;
  EXPECT_EQ(troubled[0]->kind, "provider");

  std::map<std::string, double> waiting_by_month;  // summed over care forms
  std::map<std::string, double> result_by_quarter;
  std::map<std::string, std::map<std::string, double>> balance_by_quarter;
  std::map<std::string, double> sick_leave_by_quarter;
  std::map<std::string, double> stop_by_week;  // main care form
  std::map<std::string, std::map<std::string, double>> places_by_week;
  std::map<std::string, std::map<std::string, double>> times_by_month;
  for (const Observation& o : *observations_) {
    if (o.folder != folder) continue;
    if (o.indicator == "wachtenden") waiting_by_month[o.period_start] += o.value;
    if (o.indicator == "bedrijfsresultaat") result_by_quarter[o.period_start] = o.value;
    if (o.indicator == "vlottende_activa" || o.indicator == "kortlopende_schulden") {
      balance_by_quarter[o.period_start][o.indicator] = o.value;
    }
    if (o.indicator == "verzuim_ratio") sick_leave_by_quarter[o.period_start] = o.value;
    if (o.care_form != "verblijf") continue;
    if (o.indicator == "clientenstop") stop_by_week[o.period_start] = o.value;
    if (absl::StartsWith(o.indicator, "plaatsen_")) {
      places_by_week[o.period_start][o.indicator] = o.value;
    }
    if (absl::StartsWith(o.indicator, "wachttijd_")) {
      times_by_month[o.period_start][o.indicator] = o.value;
    }
  }
  ASSERT_EQ(waiting_by_month.size(), 24u);
  double first_year = 0;
  auto month = waiting_by_month.begin();
  for (int i = 0; i < 12; ++i, ++month) first_year += month->second;
  EXPECT_GT(waiting_by_month.rbegin()->second, first_year / 12);

  const std::map<std::string, double>& last_times = times_by_month.rbegin()->second;
  EXPECT_GT(last_times.at("wachttijd_intake_weken"), 4);
  EXPECT_GT(last_times.at("wachttijd_behandeling_weken"), 10);

  ASSERT_GE(result_by_quarter.size(), 4u);
  auto quarter = result_by_quarter.rbegin();
  EXPECT_LT(quarter->second, 0) << quarter->first;
  ++quarter;
  EXPECT_LT(quarter->second, 0) << quarter->first;
  EXPECT_GT(result_by_quarter.begin()->second, 0);

  const auto& last_balance = balance_by_quarter.rbegin()->second;
  EXPECT_LT(last_balance.at("vlottende_activa") / last_balance.at("kortlopende_schulden"), 1.0);
  const auto& first_balance = balance_by_quarter.begin()->second;
  EXPECT_GT(first_balance.at("vlottende_activa") / first_balance.at("kortlopende_schulden"), 1.0);
  EXPECT_GT(sick_leave_by_quarter.rbegin()->second, sick_leave_by_quarter.begin()->second);

  EXPECT_EQ(stop_by_week.rbegin()->second, 1);
  EXPECT_EQ(stop_by_week.begin()->second, 0);
  const auto& first_week = places_by_week.begin()->second;
  const auto& last_week = places_by_week.rbegin()->second;
  EXPECT_EQ(last_week.at("plaatsen_gecontracteerd"), first_week.at("plaatsen_gecontracteerd"));
  EXPECT_LT(last_week.at("plaatsen_operationeel"), 0.8 * first_week.at("plaatsen_operationeel"));
}

// ---------------------------------------------------------------------------------------------
// The risks at the end of the history (flevoland_scenario.h, a to g), with the margins that keep
// every other figure clear of the alert thresholds, for seed 1 and whatever day it is.

constexpr char kTroubled[] = "provider-98990012";
constexpr char kSmallLossMaker[] = "provider-98990071";
constexpr char kSilentCapacity[] = "provider-98990144";

// Current values by (folder, indicator, care form, municipality), then by period start.
using SeriesKey = std::tuple<std::string, std::string, std::string, std::string>;
using History = std::map<SeriesKey, std::map<std::string, double>>;

History Index(const DemoData& data) {
  History history;
  for (const DemoFile& file : data.files) {
    if (file.path == "reporters.tsv") continue;
    const std::vector<Observation> parsed = ParseDemoFile(file);
    for (const Observation& o : parsed) {
      history[{o.folder, o.indicator, o.care_form, o.municipality}][o.period_start] = o.value;
    }
  }
  return history;
}

struct Places {
  double operational = 0;
  double occupied = 0;
  // Σ max(0, operational - occupied) per series.
  double available = 0;
  // Series whose occupied equals operational.
  int full = 0;
  int series = 0;
  std::map<std::string, double> operational_by_folder;
};

// Places of `care_form` summed over the series reporting the week starting `week`, or over each
// series' newest week when `week` is empty.
Places PlacesIn(const History& history, const std::string& care_form, const std::string& week) {
  Places places;
  for (const auto& [key, values] : history) {
    const auto& [folder, indicator, form, municipality] = key;
    if (indicator != "plaatsen_operationeel" || form != care_form) continue;
    const std::string start = week.empty() ? values.rbegin()->first : week;
    if (!values.count(start)) continue;
    const double operational = values.at(start);
    const double occupied = history.at({folder, "plaatsen_bezet", form, municipality}).at(start);
    places.operational += operational;
    places.occupied += occupied;
    places.available += std::max(0.0, operational - occupied);
    places.full += occupied == operational ? 1 : 0;
    ++places.series;
    places.operational_by_folder[folder] += operational;
  }
  return places;
}

// The newest value of a series with no care form or municipality, and the one before.
std::pair<double, double> NewestTwo(const History& history, const std::string& folder,
                                    const std::string& indicator) {
  const std::map<std::string, double>& values = history.at({folder, indicator, "", ""});
  auto newest = values.rbegin();
  return {newest->second, std::next(newest)->second};
}

void ExpectTheIntendedRisks(absl::CivilDay today) {
  SCOPED_TRACE(absl::StrCat("today ", absl::FormatCivilTime(today)));
  ScenarioOptions options;
  options.today = today;
  options.end = LastCompleteMonth(today);
  options.months = 9;
  options.seed = 1;
  absl::StatusOr<DemoData> data = GenerateFlevoland(options);
  ASSERT_TRUE(data.ok()) << data.status();
  const History history = Index(*data);

  // Weekly figures run up to the last complete ISO week before today.
  absl::CivilDay sunday = today - 1;
  while (absl::GetWeekday(sunday) != absl::Weekday::sunday) --sunday;
  EXPECT_EQ(data->last_week_end, sunday);
  std::vector<std::string> weeks;  // newest first
  for (int k = 0; k < 7; ++k) weeks.push_back(absl::FormatCivilTime(sunday - 6 - 7 * k));
  std::set<std::string> care_forms;
  for (const auto& [key, values] : history) {
    const auto& [folder, indicator, care_form, municipality] = key;
    if (indicator == "clientenstop") {
      care_forms.insert(care_form);
      EXPECT_EQ(values.rbegin()->first, weeks[0]) << folder << " " << care_form;
    } else if (absl::StartsWith(indicator, "plaatsen_")) {
      // f. De Haven's places stop five weeks before the end.
      EXPECT_EQ(values.rbegin()->first, folder == kSilentCapacity ? weeks[5] : weeks[0])
          << folder << " " << indicator << " " << care_form;
    }
  }
  ASSERT_EQ(care_forms.size(), 9u);

  for (const std::string& care_form : care_forms) {
    SCOPED_TRACE(care_form);
    const Places newest = PlacesIn(history, care_form, "");
    const Places last_week = PlacesIn(history, care_form, weeks[0]);
    if (care_form == "verblijf") {
      // a. Above 0.95 in each of the last four weeks, with places still free.
      for (int k = 0; k < 4; ++k) {
        const Places week = PlacesIn(history, care_form, weeks[k]);
        EXPECT_GT(week.occupied / week.operational, 0.965) << weeks[k];
      }
      EXPECT_GE(newest.available, 2);
    } else if (care_form == "crisishulp") {
      // d. Every crisis place taken in the last two weeks, not in the third.
      for (int k = 0; k < 2; ++k) {
        const Places week = PlacesIn(history, care_form, weeks[k]);
        EXPECT_EQ(week.full, week.series) << weeks[k];
      }
      const Places third = PlacesIn(history, care_form, weeks[2]);
      EXPECT_LT(third.occupied / third.operational, 0.92);
    } else {
      EXPECT_LT(last_week.occupied / last_week.operational, 0.92);
      EXPECT_GE(newest.available, 3);
    }
    // g. Concentration only where the cast has it.
    for (const auto& [folder, operational] : newest.operational_by_folder) {
      const double share = operational / newest.operational;
      if ((care_form == "jeugdbescherming" || care_form == "jeugdreclassering") &&
          folder == "certified_institution-98999001") {
        EXPECT_EQ(share, 1.0);
      } else if (care_form == "multidisciplinair_ggz_complex" && folder == "provider-98990047") {
        EXPECT_GT(share, 0.55);
      } else {
        EXPECT_LT(share, 0.45) << folder;
      }
    }
    // c. Intake stops: two of the three short-stay providers, a minority elsewhere.
    int stops = 0;
    int reporting = 0;
    for (const auto& [key, values] : history) {
      if (std::get<1>(key) != "clientenstop" || std::get<2>(key) != care_form) continue;
      stops += values.rbegin()->second == 1 ? 1 : 0;
      ++reporting;
    }
    if (care_form == "kortdurend_verblijf") {
      EXPECT_EQ(stops, 2);
      EXPECT_EQ(reporting, 3);
    } else {
      EXPECT_LT(static_cast<double>(stops) / reporting, 0.4);
    }
  }

  // b. Only De Zeearend's verblijf waits run past the norms, on a list that keeps growing and
  // holds well over a fifth of the region's.
  const std::string month = absl::FormatCivilTime(absl::CivilDay(options.end));
  double region_waiting = 0;
  for (const auto& [key, values] : history) {
    const auto& [folder, indicator, care_form, municipality] = key;
    if (values.rbegin()->first != month) continue;
    const double value = values.rbegin()->second;
    const bool troubled = folder == kTroubled && care_form == "verblijf";
    if (indicator == "wachttijd_intake_weken") {
      EXPECT_TRUE(troubled ? value > 5.0 : value < 3.8)
          << folder << " " << care_form << " " << value;
    } else if (indicator == "wachttijd_behandeling_weken") {
      EXPECT_TRUE(troubled ? value > 11.0 : value < 9.0)
          << folder << " " << care_form << " " << value;
    } else if (indicator == "wachtenden" && care_form == "verblijf") {
      region_waiting += value;
    }
  }
  const std::map<std::string, double>& waiting =
      history.at({kTroubled, "wachtenden", "verblijf", ""});
  auto newest = waiting.rbegin();
  const double previous =
      (std::next(newest, 1)->second + std::next(newest, 2)->second + std::next(newest, 3)->second) /
      3;
  EXPECT_GT(newest->second, 1.08 * previous);
  EXPECT_GT(newest->second, 0.3 * region_waiting);
  // scripts/demo.sh's example sets this list to 63, which must show as a change.
  EXPECT_LT(newest->second, 60);

  // e. Losses in the last two quarters for De Zeearend (in scope, current ratio below 1) and
  // for Het Baken (out of scope); no other provider loses money or runs short of cash.
  for (const auto& [key, values] : history) {
    const std::string& folder = std::get<0>(key);
    if (std::get<1>(key) != "omzet_jeugdzorg") continue;
    SCOPED_TRACE(folder);
    const auto [result, previous_result] = NewestTwo(history, folder, "bedrijfsresultaat");
    const double current_ratio = NewestTwo(history, folder, "vlottende_activa").first /
                                 NewestTwo(history, folder, "kortlopende_schulden").first;
    const absl::CivilDay quarter_start = Day(values.rbegin()->first);
    const double annualised = values.rbegin()->second * 12 / (quarter_start.month() + 2);
    if (folder == kTroubled) {
      EXPECT_LT(result, 0);
      EXPECT_LT(previous_result, 0);
      EXPECT_LT(current_ratio, 0.85);
      EXPECT_GT(annualised, 2.4e6);
    } else if (folder == kSmallLossMaker) {
      EXPECT_LT(result, 0);
      EXPECT_LT(previous_result, 0);
      EXPECT_LT(annualised, 1.6e6);
    } else {
      EXPECT_GT(result, 0);
      EXPECT_GT(current_ratio, 1.2);
    }
    // Revenue per paying municipality adds up to the youth-care revenue.
    double parts = 0;
    for (const auto& [other, by_period] : history) {
      if (std::get<0>(other) == folder && std::get<1>(other) == kRevenueByMunicipality) {
        parts += by_period.at(values.rbegin()->first);
      }
    }
    EXPECT_EQ(parts, values.rbegin()->second);
  }
}

TEST(DemoDataScenarioTest, EndOfHistoryHoldsTheIntendedRisksWhateverTheDay) {
  for (int year = 2026; year <= 2028; ++year) {
    for (int month = 1; month <= 12; ++month) {
      for (int day : {1, 9, 17, 28}) ExpectTheIntendedRisks(absl::CivilDay(year, month, day));
    }
  }
}

TEST_F(DemoDataTest, MunicipalitiesScaleWithPopulation) {
  std::map<std::string, double> referrals;
  for (const Observation& o : *observations_) {
    if (o.indicator == "verwijzingen_lokaal_team") referrals[o.folder] += o.value;
  }
  const double almere = referrals["municipality-GM0034"];
  for (const auto& [folder, total] : referrals) {
    if (folder != "municipality-GM0034") {
      EXPECT_GT(almere, 2 * total) << folder;
    }
  }
}

TEST_F(DemoDataTest, WritesEveryInputFormat) {
  int long_csv = 0;
  int wide_csv = 0;
  int bom_crlf = 0;
  int json = 0;
  for (const auto& [path, contents] : *files_) {
    if (path == "reporters.tsv") continue;
    if (absl::EndsWith(path, ".json")) {
      ++json;
      EXPECT_TRUE(absl::StartsWith(path, "municipality-")) << path;
      continue;
    }
    ASSERT_TRUE(absl::EndsWith(path, ".csv")) << path;
    const bool bom = absl::StartsWith(contents, kBom);
    const bool crlf = absl::StrContains(contents, "\r\n");
    EXPECT_EQ(bom, crlf) << path;
    if (bom) ++bom_crlf;
    const std::vector<std::string> lines = Lines(contents);
    if (lines[0] == "period_start,period_end,care_form,municipality,indicator,value") {
      ++long_csv;
    } else {
      EXPECT_TRUE(absl::StartsWith(lines[0], "period_start;period_end;care_form;municipality;"))
          << path;
      ++wide_csv;
    }
  }
  EXPECT_GT(long_csv, wide_csv);
  EXPECT_GT(wide_csv, 0);
  EXPECT_GT(bom_crlf, 0);
  EXPECT_GT(json, 0);
  // Decimal commas appear in the wide files, decimal points in the long ones.
  EXPECT_TRUE(
      absl::StrContains(files_->at("provider-98990039/2026-10-beschikbaarheid.csv"), ";2,"));
  EXPECT_TRUE(absl::StrContains(files_->at("provider-98990020/2026-10-beschikbaarheid.csv"), "."));
}

TEST(DemoDataOptionsTest, LastCompleteMonthIsThePreviousMonth) {
  EXPECT_EQ(LastCompleteMonth(absl::CivilDay(2026, 11, 1)), absl::CivilMonth(2026, 10));
  EXPECT_EQ(LastCompleteMonth(absl::CivilDay(2026, 1, 31)), absl::CivilMonth(2025, 12));
}

TEST(DemoDataOptionsTest, ParsesYearMonthStrictly) {
  absl::StatusOr<absl::CivilMonth> month = ParseYearMonth("2025-03");
  ASSERT_TRUE(month.ok());
  EXPECT_EQ(*month, absl::CivilMonth(2025, 3));
  for (absl::string_view bad :
       {"2025-3", "2025-13", "2025-00", "25-03", "2025/03", "", "2025-03x"}) {
    EXPECT_EQ(ParseYearMonth(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(DemoDataOptionsTest, RefusesEndAfterTodayAndBadMonthCounts) {
  ScenarioOptions options = Options(1);
  options.end = absl::CivilMonth(2026, 12);
  EXPECT_EQ(GenerateFlevoland(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options(1);
  options.months = 0;
  EXPECT_EQ(GenerateFlevoland(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DemoDataOptionsTest, CurrentMonthKeepsOnlyPeriodsThatHaveStarted) {
  ScenarioOptions options = Options(1);
  options.today = absl::CivilDay(2026, 11, 10);
  options.end = absl::CivilMonth(2026, 11);
  options.months = 3;
  absl::StatusOr<DemoData> data = GenerateFlevoland(options);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->first_month, absl::CivilMonth(2026, 9));
  int64_t observations = 0;
  for (const DemoFile& file : data->files) {
    observations += file.observations;
    if (file.path == "reporters.tsv") continue;
    const std::vector<Observation> parsed = ParseDemoFile(file);
    EXPECT_EQ(static_cast<int64_t>(parsed.size()), file.observations) << file.path;
    for (const Observation& o : parsed) EXPECT_LE(Day(o.period_start), options.today) << file.path;
  }
  EXPECT_EQ(observations, data->observations);
}

TEST(DemoDataWriteTest, RefusesNonEmptyDirectoryUnlessForced) {
  TempDir dir("write");
  absl::StatusOr<DemoData> data = GenerateFlevoland(Options(3));
  ASSERT_TRUE(data.ok());
  fs::create_directories(dir.path());
  std::ofstream(dir.path() / "keep.txt") << "mine";
  EXPECT_EQ(WriteDemoData(*data, dir.path().string(), false).code(),
            absl::StatusCode::kFailedPrecondition);
  fs::create_directories(dir.path() / "provider-98990012");
  std::ofstream(dir.path() / "provider-98990012" / "stale.csv") << "old";
  ASSERT_TRUE(WriteDemoData(*data, dir.path().string(), true).ok());
  EXPECT_TRUE(fs::exists(dir.path() / "keep.txt"));
  EXPECT_TRUE(fs::exists(dir.path() / "reporters.tsv"));
  EXPECT_EQ(static_cast<size_t>(std::distance(fs::recursive_directory_iterator(dir.path()),
                                              fs::recursive_directory_iterator())),
            // files, one folder per reporter, and keep.txt
            data->files.size() + data->reporters.size() + 1);
}

}  // namespace
}  // namespace vroeg::demo
