#include "common/catalogue.h"

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/yaml_proto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/shipped_care_forms.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/common/test_catalogue.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::IsNull;
using ::testing::NotNull;
using ::testing::Pair;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;
using vroeg::testing::IsOk;
using vroeg::testing::StatusIs;
using vroeg::testing::TempDir;

namespace types = ::vroeg::type::v1;
namespace cat = ::vroeg::catalogue::v1;

// ---------------------------------------------------------------------------------------------
// The shipped catalogue (deploy/catalogue/catalogue.yaml).

class ShippedCatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalogue_ = vroeg::testing::LoadShippedCatalogue();
    ASSERT_THAT(catalogue_, NotNull());
  }

  std::shared_ptr<const Catalogue> catalogue_;
};

TEST_F(ShippedCatalogueTest, HasAVersion) { EXPECT_EQ(catalogue_->version(), "2026.3"); }

TEST_F(ShippedCatalogueTest, ListsEveryCareFormInFileOrder) {
  // Test data generators use this copy of the list.
  EXPECT_EQ(catalogue_->CareFormList(), absl::StrJoin(vroeg::testing::kShippedCareForms, ", "));
}

TEST_F(ShippedCatalogueTest, CareFormsHaveNamesAndRegionalYear) {
  const std::vector<std::pair<std::string, uint32_t>> expected = {
      {"verblijf", 0},
      {"crisishulp", 0},
      {"hoogspecialistische_jeugd_ggz", 0},
      {"jeugdbescherming", 0},
      {"jeugdreclassering", 0},
      {"kortdurend_verblijf", 2027},
      {"dagbehandeling", 2027},
      {"multidisciplinair_complex", 2027},
      {"multidisciplinair_ggz_complex", 2027},
  };
  for (const auto& [code, year] : expected) {
    SCOPED_TRACE(code);
    const cat::CareForm* care_form = catalogue_->FindCareForm(code);
    ASSERT_THAT(care_form, NotNull());
    EXPECT_EQ(care_form->code(), code);
    EXPECT_FALSE(care_form->name_nl().empty());
    EXPECT_FALSE(care_form->name_en().empty());
    EXPECT_EQ(care_form->regional_from_year(), year);
  }
  EXPECT_EQ(catalogue_->FindCareForm("verblijf")->name_nl(), "24-uursverblijf");
}

TEST_F(ShippedCatalogueTest, EveryDatasetHasIndicators) {
  std::map<cat::Dataset, int> per_dataset;
  for (const auto& indicator : catalogue_->proto().indicators()) ++per_dataset[indicator.dataset()];
  for (cat::Dataset dataset : {cat::DATASET_AVAILABILITY, cat::DATASET_CAPACITY, cat::DATASET_STAFF,
                               cat::DATASET_FINANCE, cat::DATASET_MUNICIPAL}) {
    EXPECT_GT(per_dataset[dataset], 0) << cat::Dataset_Name(dataset);
  }
}

TEST_F(ShippedCatalogueTest, EveryIndicatorIsComplete) {
  for (const auto& indicator : catalogue_->proto().indicators()) {
    SCOPED_TRACE(indicator.code());
    EXPECT_FALSE(indicator.name_nl().empty());
    EXPECT_FALSE(indicator.name_en().empty());
    EXPECT_NE(indicator.unit(), cat::UNIT_UNSPECIFIED);
    EXPECT_TRUE(indicator.has_min());
    EXPECT_TRUE(indicator.has_max());
    EXPECT_LE(indicator.min(), indicator.max());
    EXPECT_FALSE(indicator.reporter_kinds().empty());
    EXPECT_NE(indicator.cadence(), types::GRANULARITY_UNSPECIFIED);
    EXPECT_NE(indicator.aggregation(), cat::AGGREGATION_UNSPECIFIED);
    EXPECT_THAT(indicator.metric().name(), StartsWith("jeugdzorg_"));
    EXPECT_FALSE(indicator.metric().help().empty());
    EXPECT_EQ(catalogue_->FindIndicator(indicator.code()), &indicator);
  }
}

TEST_F(ShippedCatalogueTest, ProductCategoriesMapToCareForms) {
  std::map<std::string, std::vector<std::string>> categories;
  for (const auto& category : catalogue_->proto().product_categories()) {
    categories[category.code()] = {category.care_forms().begin(), category.care_forms().end()};
  }
  EXPECT_THAT(categories["43"], ElementsAre("verblijf"));
  EXPECT_THAT(categories["44"], ElementsAre("verblijf", "kortdurend_verblijf"));
  EXPECT_THAT(categories["45"], IsEmpty());
  EXPECT_THAT(categories["46"], ElementsAre("crisishulp"));
}

TEST_F(ShippedCatalogueTest, OccupancyRatioDividesOccupiedByOperational) {
  ASSERT_EQ(catalogue_->proto().ratios_size(), 1);
  const cat::Ratio& ratio = catalogue_->proto().ratios(0);
  EXPECT_EQ(ratio.metric_name(), "jeugdzorg_region_occupancy_ratio");
  EXPECT_EQ(ratio.numerator(), "plaatsen_bezet");
  EXPECT_EQ(ratio.denominator(), "plaatsen_operationeel");
}

TEST_F(ShippedCatalogueTest, FindReturnsNullForUnknownCodes) {
  EXPECT_THAT(catalogue_->FindIndicator("wachtlijst"), IsNull());
  EXPECT_THAT(catalogue_->FindIndicator(""), IsNull());
  EXPECT_THAT(catalogue_->FindIndicator("Wachtenden"), IsNull());
  EXPECT_THAT(catalogue_->FindCareForm("pleegzorg"), IsNull());
  EXPECT_THAT(catalogue_->FindCareForm(""), IsNull());
  EXPECT_THAT(catalogue_->FindCareForm("Verblijf"), IsNull());
}

TEST_F(ShippedCatalogueTest, SuggestsTheIndicatorWithTheLongestCommonPrefix) {
  EXPECT_EQ(catalogue_->SuggestIndicator("wachtlijst"), "wachtenden");
  EXPECT_EQ(catalogue_->SuggestIndicator("wachtende"), "wachtenden");
  EXPECT_EQ(catalogue_->SuggestIndicator("plaatsen_bezett"), "plaatsen_bezet");
  EXPECT_EQ(catalogue_->SuggestIndicator("plaatsen_operationele"), "plaatsen_operationeel");
}

TEST_F(ShippedCatalogueTest, SuggestsNothingForUnrelatedOrShortCodes) {
  EXPECT_EQ(catalogue_->SuggestIndicator("bedden"), "");
  EXPECT_EQ(catalogue_->SuggestIndicator("wac"), "");
  EXPECT_EQ(catalogue_->SuggestIndicator(""), "");
}

// One row per shipped indicator: what reporters and the collector rely on.
struct ExpectedIndicator {
  const char* code;
  cat::Dataset dataset;
  cat::Unit unit;
  double min;
  double max;
  std::vector<types::ReporterKind> reporter_kinds;
  types::Granularity cadence;
  cat::Aggregation aggregation;
  cat::CareFormUse care_form_use;
  const char* metric;
  const char* region_metric;
  const char* weight_indicator = "";
  const char* not_above = "";
  const char* route_label = "";
};

// Names the case in test output instead of dumping its bytes.
void PrintTo(const ExpectedIndicator& indicator, std::ostream* os) { *os << indicator.code; }

const std::vector<types::ReporterKind> kProviderSide = {types::REPORTER_KIND_PROVIDER,
                                                        types::REPORTER_KIND_CERTIFIED_INSTITUTION};
const std::vector<types::ReporterKind> kMunicipalitySide = {types::REPORTER_KIND_MUNICIPALITY};

std::vector<ExpectedIndicator> ExpectedIndicators() {
  return {
      // Availability.
      {"wachtenden", cat::DATASET_AVAILABILITY, cat::UNIT_COUNT, 0, 100000, kProviderSide,
       types::GRANULARITY_MONTH, cat::AGGREGATION_SUM, cat::CARE_FORM_USE_REQUIRED,
       "jeugdzorg_waiting_youths", "jeugdzorg_region_waiting_youths"},
      {"wachttijd_intake_weken", cat::DATASET_AVAILABILITY, cat::UNIT_WEEKS, 0, 520, kProviderSide,
       types::GRANULARITY_MONTH, cat::AGGREGATION_WEIGHTED_MEAN, cat::CARE_FORM_USE_REQUIRED,
       "jeugdzorg_waiting_time_to_intake_seconds",
       "jeugdzorg_region_waiting_time_to_intake_seconds", "wachtenden"},
      {"wachttijd_behandeling_weken", cat::DATASET_AVAILABILITY, cat::UNIT_WEEKS, 0, 520,
       kProviderSide, types::GRANULARITY_MONTH, cat::AGGREGATION_WEIGHTED_MEAN,
       cat::CARE_FORM_USE_REQUIRED, "jeugdzorg_waiting_time_to_treatment_seconds",
       "jeugdzorg_region_waiting_time_to_treatment_seconds", "wachtenden"},
      {"clientenstop", cat::DATASET_AVAILABILITY, cat::UNIT_BOOLEAN, 0, 1, kProviderSide,
       types::GRANULARITY_WEEK, cat::AGGREGATION_COUNT_TRUE, cat::CARE_FORM_USE_REQUIRED,
       "jeugdzorg_intake_stop", "jeugdzorg_region_providers_with_intake_stop"},
      // Capacity.
      {"plaatsen_gecontracteerd", cat::DATASET_CAPACITY, cat::UNIT_COUNT, 0, 10000, kProviderSide,
       types::GRANULARITY_WEEK, cat::AGGREGATION_SUM, cat::CARE_FORM_USE_REQUIRED,
       "jeugdzorg_places_contracted", "jeugdzorg_region_places_contracted"},
      {"plaatsen_operationeel", cat::DATASET_CAPACITY, cat::UNIT_COUNT, 0, 10000, kProviderSide,
       types::GRANULARITY_WEEK, cat::AGGREGATION_SUM, cat::CARE_FORM_USE_REQUIRED,
       "jeugdzorg_places_operational", "jeugdzorg_region_places_operational"},
      {"plaatsen_bezet", cat::DATASET_CAPACITY, cat::UNIT_COUNT, 0, 10000, kProviderSide,
       types::GRANULARITY_WEEK, cat::AGGREGATION_SUM, cat::CARE_FORM_USE_REQUIRED,
       "jeugdzorg_places_occupied", "jeugdzorg_region_places_occupied", "",
       "plaatsen_operationeel"},
      // Staff.
      {"fte_begroot", cat::DATASET_STAFF, cat::UNIT_FTE, 0, 100000, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_SUM, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_staff_budgeted_fte", "jeugdzorg_region_staff_budgeted_fte"},
      {"fte_bezet", cat::DATASET_STAFF, cat::UNIT_FTE, 0, 100000, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_SUM, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_staff_filled_fte", "jeugdzorg_region_staff_filled_fte"},
      {"vacatures_fte", cat::DATASET_STAFF, cat::UNIT_FTE, 0, 100000, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_SUM, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_staff_vacancies_fte", "jeugdzorg_region_staff_vacancies_fte"},
      {"verzuim_ratio", cat::DATASET_STAFF, cat::UNIT_RATIO, 0, 1, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_WEIGHTED_MEAN, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_staff_sick_leave_ratio", "jeugdzorg_region_staff_sick_leave_ratio", "fte_bezet"},
      // Finance: organisation level, not aggregated.
      {"omzet_totaal", cat::DATASET_FINANCE, cat::UNIT_EUROS, 0, 1e11, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_NONE, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_revenue_total_euros", ""},
      {"omzet_jeugdzorg", cat::DATASET_FINANCE, cat::UNIT_EUROS, 0, 1e11, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_NONE, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_revenue_youth_care_euros", ""},
      {"omzet_jeugdzorg_gemeente", cat::DATASET_FINANCE, cat::UNIT_EUROS, 0, 1e11, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_NONE, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_revenue_youth_care_by_municipality_euros", ""},
      {"bedrijfsresultaat", cat::DATASET_FINANCE, cat::UNIT_EUROS, -1e11, 1e11, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_NONE, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_operating_result_euros", ""},
      {"liquide_middelen", cat::DATASET_FINANCE, cat::UNIT_EUROS, -1e11, 1e11, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_NONE, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_cash_euros", ""},
      {"vlottende_activa", cat::DATASET_FINANCE, cat::UNIT_EUROS, 0, 1e11, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_NONE, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_current_assets_euros", ""},
      {"kortlopende_schulden", cat::DATASET_FINANCE, cat::UNIT_EUROS, 0, 1e11, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_NONE, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_current_liabilities_euros", ""},
      {"eigen_vermogen", cat::DATASET_FINANCE, cat::UNIT_EUROS, -1e11, 1e11, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_NONE, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_equity_euros", ""},
      {"totaal_activa", cat::DATASET_FINANCE, cat::UNIT_EUROS, 0, 1e11, kProviderSide,
       types::GRANULARITY_QUARTER, cat::AGGREGATION_NONE, cat::CARE_FORM_USE_FORBIDDEN,
       "jeugdzorg_total_assets_euros", ""},
      // Municipality side: referrals share one metric, told apart by route.
      {"verwijzingen_lokaal_team", cat::DATASET_MUNICIPAL, cat::UNIT_COUNT, 0, 100000,
       kMunicipalitySide, types::GRANULARITY_MONTH, cat::AGGREGATION_SUM,
       cat::CARE_FORM_USE_OPTIONAL, "jeugdzorg_referrals", "jeugdzorg_region_referrals", "", "",
       "local_team"},
      {"verwijzingen_huisarts", cat::DATASET_MUNICIPAL, cat::UNIT_COUNT, 0, 100000,
       kMunicipalitySide, types::GRANULARITY_MONTH, cat::AGGREGATION_SUM,
       cat::CARE_FORM_USE_OPTIONAL, "jeugdzorg_referrals", "jeugdzorg_region_referrals", "", "",
       "medical"},
      {"verwijzingen_gi", cat::DATASET_MUNICIPAL, cat::UNIT_COUNT, 0, 100000, kMunicipalitySide,
       types::GRANULARITY_MONTH, cat::AGGREGATION_SUM, cat::CARE_FORM_USE_OPTIONAL,
       "jeugdzorg_referrals", "jeugdzorg_region_referrals", "", "", "certified_institution"},
      {"verwijzingen_rechter", cat::DATASET_MUNICIPAL, cat::UNIT_COUNT, 0, 100000,
       kMunicipalitySide, types::GRANULARITY_MONTH, cat::AGGREGATION_SUM,
       cat::CARE_FORM_USE_OPTIONAL, "jeugdzorg_referrals", "jeugdzorg_region_referrals", "", "",
       "court"},
      {"plaatsingsverzoeken_zonder_plek", cat::DATASET_MUNICIPAL, cat::UNIT_COUNT, 0, 100000,
       kMunicipalitySide, types::GRANULARITY_MONTH, cat::AGGREGATION_SUM,
       cat::CARE_FORM_USE_REQUIRED, "jeugdzorg_placement_requests_unplaced",
       "jeugdzorg_region_placement_requests_unplaced"},
  };
}

class ShippedIndicatorTest : public ShippedCatalogueTest,
                             public ::testing::WithParamInterface<ExpectedIndicator> {};

TEST_P(ShippedIndicatorTest, MatchesTheAgreedDefinition) {
  const ExpectedIndicator& want = GetParam();
  const cat::Indicator* indicator = catalogue_->FindIndicator(want.code);
  ASSERT_THAT(indicator, NotNull());
  EXPECT_EQ(indicator->code(), want.code);
  EXPECT_EQ(indicator->dataset(), want.dataset);
  EXPECT_EQ(indicator->unit(), want.unit);
  ASSERT_TRUE(indicator->has_min());
  ASSERT_TRUE(indicator->has_max());
  EXPECT_EQ(indicator->min(), want.min);
  EXPECT_EQ(indicator->max(), want.max);
  std::vector<types::ReporterKind> kinds;
  for (int kind : indicator->reporter_kinds())
    kinds.push_back(static_cast<types::ReporterKind>(kind));
  EXPECT_THAT(kinds, ElementsAreArray(want.reporter_kinds));
  EXPECT_EQ(indicator->cadence(), want.cadence);
  EXPECT_EQ(indicator->aggregation(), want.aggregation);
  EXPECT_EQ(indicator->care_form_use(), want.care_form_use);
  EXPECT_EQ(indicator->metric().name(), want.metric);
  EXPECT_EQ(indicator->metric().region_name(), want.region_metric);
  EXPECT_EQ(indicator->weight_indicator(), want.weight_indicator);
  EXPECT_EQ(indicator->not_above(), want.not_above);
  if (*want.route_label != '\0') {
    EXPECT_THAT(indicator->metric().labels(),
                UnorderedElementsAre(Pair("route", want.route_label)));
  } else {
    EXPECT_THAT(indicator->metric().labels(), IsEmpty());
  }
}

INSTANTIATE_TEST_SUITE_P(AllDatasets, ShippedIndicatorTest,
                         ::testing::ValuesIn(ExpectedIndicators()),
                         [](const ::testing::TestParamInfo<ExpectedIndicator>& param_info) {
                           return std::string(param_info.param.code);
                         });

TEST_F(ShippedCatalogueTest, MunicipalityRules) {
  // Organisation-level figures name no municipality; revenue by municipality always names the
  // paying one, in any region; the rest leave the rule out (optional).
  for (const cat::Indicator& indicator : catalogue_->proto().indicators()) {
    SCOPED_TRACE(indicator.code());
    if (indicator.code() == "omzet_jeugdzorg_gemeente") {
      EXPECT_EQ(indicator.municipality_use(), cat::MUNICIPALITY_USE_REQUIRED);
      EXPECT_TRUE(indicator.municipality_any_region());
      continue;
    }
    EXPECT_FALSE(indicator.municipality_any_region());
    const bool organisation =
        indicator.dataset() == cat::DATASET_FINANCE || indicator.dataset() == cat::DATASET_STAFF;
    EXPECT_EQ(indicator.municipality_use(),
              organisation ? cat::MUNICIPALITY_USE_FORBIDDEN : cat::MUNICIPALITY_USE_UNSPECIFIED);
  }
}

// ---------------------------------------------------------------------------------------------
// Loading files and scaling.

TEST(CatalogueLoadFileTest, MissingFileIsNotFoundNamingThePath) {
  TempDir dir;
  const std::string path = dir.Sub("absent.yaml");
  EXPECT_THAT(Catalogue::LoadFile(path),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("cannot read ", path, ": No such file or directory")));
}

TEST(CatalogueLoadFileTest, IntegrityErrorIsPrefixedWithThePath) {
  TempDir dir;
  const std::string path = dir.WriteFile("catalogue.yaml", "care_forms: []\n");
  EXPECT_THAT(Catalogue::LoadFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument, path + ": version is required"));
}

TEST(CatalogueLoadFileTest, YamlErrorNamesFileLineAndColumn) {
  TempDir dir;
  const std::string path = dir.WriteFile("catalogue.yaml", "version: \"1\"\nindicatorz: []\n");
  EXPECT_THAT(Catalogue::LoadFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       path + ":2:1: indicatorz: unknown key (did you mean 'indicators'?)"));
}

TEST(CatalogueMetricScaleTest, WeeksAreExposedInSeconds) {
  EXPECT_EQ(Catalogue::MetricScale(cat::UNIT_WEEKS), 604800.0);
  for (cat::Unit unit :
       {cat::UNIT_COUNT, cat::UNIT_BOOLEAN, cat::UNIT_RATIO, cat::UNIT_FTE, cat::UNIT_EUROS}) {
    EXPECT_EQ(Catalogue::MetricScale(unit), 1.0) << cat::Unit_Name(unit);
  }
}

// ---------------------------------------------------------------------------------------------
// Integrity rules, checked on small catalogues written as YAML.

// Fields of one indicator as YAML flow values, keyed by field name; a missing key is a field
// left out.
using Fields = std::map<std::string, std::string>;

std::string Metric(const std::string& name, const std::string& region_name = "",
                   const std::string& labels = "") {
  std::string out = absl::StrCat("{name: ", name, ", help: \"Help.\"");
  if (!region_name.empty()) absl::StrAppend(&out, ", region_name: ", region_name);
  if (!labels.empty()) absl::StrAppend(&out, ", labels: ", labels);
  return out + "}";
}

Fields ValidIndicator(const std::string& code) {
  return {
      {"code", code},
      {"name_nl", "Naam"},
      {"name_en", "Name"},
      {"unit", "COUNT"},
      {"min", "0"},
      {"max", "10"},
      {"reporter_kinds", "[PROVIDER]"},
      {"dataset", "CAPACITY"},
      {"cadence", "WEEK"},
      {"aggregation", "SUM"},
      {"care_form_use", "REQUIRED"},
      {"metric", Metric("jeugdzorg_" + code, "jeugdzorg_region_" + code)},
  };
}

struct CatalogueSpec {
  std::string version = "\"test.1\"";
  std::vector<std::string> care_forms = {
      "{code: verblijf, name_nl: Verblijf, name_en: Residential care}",
      "{code: crisishulp, name_nl: Crisishulp, name_en: Crisis care}",
  };
  std::vector<Fields> indicators = {ValidIndicator("a")};
  // Further top-level YAML (product_categories, ratios).
  std::string extra;

  std::string Yaml() const {
    std::string yaml;
    if (!version.empty()) absl::StrAppend(&yaml, "version: ", version, "\n");
    absl::StrAppend(&yaml, "care_forms:\n");
    for (const std::string& care_form : care_forms) absl::StrAppend(&yaml, "  - ", care_form, "\n");
    absl::StrAppend(&yaml, "indicators:\n");
    for (const Fields& fields : indicators) {
      std::vector<std::string> parts;
      for (const auto& [key, value] : fields) parts.push_back(absl::StrCat(key, ": ", value));
      absl::StrAppend(&yaml, "  - {", absl::StrJoin(parts, ", "), "}\n");
    }
    return yaml + extra;
  }
};

absl::StatusOr<std::shared_ptr<const Catalogue>> Build(const CatalogueSpec& spec) {
  cat::Catalogue proto;
  const std::string yaml = spec.Yaml();
  if (absl::Status parsed = ParseYamlToMessage(yaml, "test.yaml", &proto); !parsed.ok()) {
    ADD_FAILURE() << "test catalogue is not valid YAML for the schema: " << parsed << "\n" << yaml;
    return parsed;
  }
  return Catalogue::FromProto(std::move(proto));
}

TEST(CatalogueIntegrityTest, TheBaseSpecIsValid) {
  auto catalogue = Build(CatalogueSpec{});
  ASSERT_THAT(catalogue, IsOk());
  EXPECT_EQ((*catalogue)->version(), "test.1");
  EXPECT_THAT((*catalogue)->FindIndicator("a"), NotNull());
  EXPECT_EQ((*catalogue)->CareFormList(), "verblijf, crisishulp");
}

struct AcceptedCase {
  const char* name;
  std::function<void(CatalogueSpec&)> edit;
};

void PrintTo(const AcceptedCase& c, std::ostream* os) { *os << c.name; }

class CatalogueAcceptsTest : public ::testing::TestWithParam<AcceptedCase> {};

TEST_P(CatalogueAcceptsTest, Loads) {
  CatalogueSpec spec;
  GetParam().edit(spec);
  EXPECT_THAT(Build(spec), IsOk()) << spec.Yaml();
}

INSTANTIATE_TEST_SUITE_P(
    Rules, CatalogueAcceptsTest,
    ::testing::ValuesIn(std::vector<AcceptedCase>{
        {"MinEqualToMax", [](CatalogueSpec& c) { c.indicators[0]["max"] = "0"; }},
        {"NegativeMin", [](CatalogueSpec& c) { c.indicators[0]["min"] = "-5"; }},
        {"CodeWithDigitsAndUnderscores",
         [](CatalogueSpec& c) { c.indicators[0]["code"] = "fte_2025_q1"; }},
        {"SharedMetricToldApartByLabelValue",
         [](CatalogueSpec& c) {
           c.indicators = {ValidIndicator("a"), ValidIndicator("b")};
           c.indicators[0]["metric"] =
               Metric("jeugdzorg_shared", "jeugdzorg_region_shared", "{route: x}");
           c.indicators[1]["metric"] =
               Metric("jeugdzorg_shared", "jeugdzorg_region_shared", "{route: y}");
         }},
        {"WeightedMeanWithKnownWeight",
         [](CatalogueSpec& c) {
           c.indicators.push_back(ValidIndicator("b"));
           c.indicators[1]["aggregation"] = "WEIGHTED_MEAN";
           c.indicators[1]["weight_indicator"] = "a";
         }},
        {"NotAboveKnownIndicator",
         [](CatalogueSpec& c) {
           c.indicators.push_back(ValidIndicator("b"));
           c.indicators[1]["not_above"] = "a";
         }},
        {"WeeksInSeconds",
         [](CatalogueSpec& c) {
           c.indicators[0]["unit"] = "WEEKS";
           c.indicators[0]["metric"] =
               Metric("jeugdzorg_wait_seconds", "jeugdzorg_region_wait_seconds");
         }},
        {"CountTrueRegionalAggregateIsACount",
         [](CatalogueSpec& c) {
           c.indicators[0]["unit"] = "RATIO";
           c.indicators[0]["max"] = "1";
           c.indicators[0]["aggregation"] = "COUNT_TRUE";
           c.indicators[0]["metric"] = Metric("jeugdzorg_a_ratio", "jeugdzorg_region_a_count");
         }},
        {"NoneWithoutRegionalMetric",
         [](CatalogueSpec& c) {
           c.indicators[0]["aggregation"] = "NONE";
           c.indicators[0]["metric"] = Metric("jeugdzorg_a");
         }},
        {"MunicipalityRules",
         [](CatalogueSpec& c) {
           c.indicators = {ValidIndicator("a"), ValidIndicator("b"), ValidIndicator("c")};
           c.indicators[0]["municipality_use"] = "REQUIRED";
           c.indicators[0]["municipality_any_region"] = "true";
           c.indicators[1]["municipality_use"] = "FORBIDDEN";
           c.indicators[2]["municipality_use"] = "OPTIONAL";
           c.indicators[2]["municipality_any_region"] = "true";
           c.indicators[2]["metric"] =
               "{name: jeugdzorg_c, help: h, municipality_name: jeugdzorg_municipality_c}";
         }},
        {"ProductCategoryWithoutCareForms",
         [](CatalogueSpec& c) {
           c.extra = "product_categories:\n  - {code: \"45\", name_nl: Ambulant}\n";
         }},
        {"RatioOfRegionalAggregates",
         [](CatalogueSpec& c) {
           c.indicators.push_back(ValidIndicator("b"));
           c.extra =
               "ratios:\n  - {metric_name: jeugdzorg_region_ab_ratio, help: H, numerator: a, "
               "denominator: b}\n";
         }},
    }),
    [](const ::testing::TestParamInfo<AcceptedCase>& param_info) {
      return std::string(param_info.param.name);
    });

struct RefusedCase {
  const char* name;
  std::function<void(CatalogueSpec&)> edit;
  std::string message;
};

void PrintTo(const RefusedCase& c, std::ostream* os) { *os << c.name; }

class CatalogueRefusesTest : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(CatalogueRefusesTest, WithExactMessage) {
  CatalogueSpec spec;
  GetParam().edit(spec);
  EXPECT_THAT(Build(spec), StatusIs(absl::StatusCode::kInvalidArgument, GetParam().message))
      << spec.Yaml();
}

std::vector<RefusedCase> RefusedCases() {
  std::vector<RefusedCase> cases = {
      {"MissingVersion", [](CatalogueSpec& c) { c.version.clear(); }, "version is required"},
      // Care forms and product categories.
      {"CareFormCodeNotLowerCase",
       [](CatalogueSpec& c) { c.care_forms.push_back("{code: Pleegzorg}"); },
       "care_forms[2]: code 'Pleegzorg' must be a lower-case code"},
      {"CareFormTwice", [](CatalogueSpec& c) { c.care_forms.push_back("{code: verblijf}"); },
       "care_forms[2]: care form 'verblijf' appears twice"},
      {"ProductCategoryWithUnknownCareForm",
       [](CatalogueSpec& c) {
         c.extra =
             "product_categories:\n"
             "  - {code: \"43\", name_nl: Verblijf, care_forms: [verblijf]}\n"
             "  - {code: \"44\", name_nl: Verblijf, care_forms: [verblijf, pleegzorg]}\n";
       },
       "product_categories[1]: unknown care form 'pleegzorg'"},
      // Codes.
      {"DuplicateCode", [](CatalogueSpec& c) { c.indicators.push_back(ValidIndicator("a")); },
       "indicators[1] (a): code appears twice"},
      {"CodeWithUpperCase", [](CatalogueSpec& c) { c.indicators[0]["code"] = "Wachtenden"; },
       "indicators[0] (Wachtenden): code 'Wachtenden' must be lower-case letters, digits and "
       "'_', starting with a letter"},
      {"CodeStartingWithDigit", [](CatalogueSpec& c) { c.indicators[0]["code"] = "\"2a\""; },
       "indicators[0] (2a): code '2a' must be lower-case letters, digits and '_', starting with "
       "a letter"},
      {"CodeWithDash", [](CatalogueSpec& c) { c.indicators[0]["code"] = "a-b"; },
       "indicators[0] (a-b): code 'a-b' must be lower-case letters, digits and '_', starting "
       "with a letter"},
      {"EmptyCode", [](CatalogueSpec& c) { c.indicators[0].erase("code"); },
       "indicators[0] (): code '' must be lower-case letters, digits and '_', starting with a "
       "letter"},
      // Required fields.
      {"MissingNameNl", [](CatalogueSpec& c) { c.indicators[0].erase("name_nl"); },
       "indicators[0] (a): name_nl and name_en are required"},
      {"MissingNameEn", [](CatalogueSpec& c) { c.indicators[0].erase("name_en"); },
       "indicators[0] (a): name_nl and name_en are required"},
      {"MissingUnit", [](CatalogueSpec& c) { c.indicators[0].erase("unit"); },
       "indicators[0] (a): unit is required"},
      {"MissingDataset", [](CatalogueSpec& c) { c.indicators[0].erase("dataset"); },
       "indicators[0] (a): dataset is required"},
      {"MissingCadence", [](CatalogueSpec& c) { c.indicators[0].erase("cadence"); },
       "indicators[0] (a): cadence is required"},
      {"MissingAggregation", [](CatalogueSpec& c) { c.indicators[0].erase("aggregation"); },
       "indicators[0] (a): aggregation is required"},
      {"MissingCareFormUse", [](CatalogueSpec& c) { c.indicators[0].erase("care_form_use"); },
       "indicators[0] (a): care_form_use is required"},
      {"NoReporterKinds", [](CatalogueSpec& c) { c.indicators[0]["reporter_kinds"] = "[]"; },
       "indicators[0] (a): reporter_kinds needs at least one kind"},
      {"SupervisorReports",
       [](CatalogueSpec& c) { c.indicators[0]["reporter_kinds"] = "[PROVIDER, SUPERVISOR]"; },
       "indicators[0] (a): a supervisor submits nothing"},
      // Range.
      {"MissingMin", [](CatalogueSpec& c) { c.indicators[0].erase("min"); },
       "indicators[0] (a): min and max are required"},
      {"MissingMax", [](CatalogueSpec& c) { c.indicators[0].erase("max"); },
       "indicators[0] (a): min and max are required"},
      {"MinAboveMax",
       [](CatalogueSpec& c) {
         c.indicators[0]["min"] = "10";
         c.indicators[0]["max"] = "0";
       },
       "indicators[0] (a): min is above max"},
      // References.
      {"WeightedMeanWithoutWeight",
       [](CatalogueSpec& c) { c.indicators[0]["aggregation"] = "WEIGHTED_MEAN"; },
       "indicators[0] (a): aggregation WEIGHTED_MEAN needs weight_indicator"},
      {"UnknownWeightIndicator",
       [](CatalogueSpec& c) {
         c.indicators[0]["aggregation"] = "WEIGHTED_MEAN";
         c.indicators[0]["weight_indicator"] = "wachtenden";
       },
       "indicator a: refers to unknown indicator 'wachtenden'"},
      {"UnknownNotAbove",
       [](CatalogueSpec& c) { c.indicators[0]["not_above"] = "plaatsen_operationeel"; },
       "indicator a: refers to unknown indicator 'plaatsen_operationeel'"},
      // Metric names.
      {"MetricWithoutPrefix",
       [](CatalogueSpec& c) { c.indicators[0]["metric"] = Metric("waiting_youths"); },
       "indicators[0] (a): metric.name: 'waiting_youths' is not a metric name starting with "
       "jeugdzorg_ ([a-z0-9_])"},
      {"MetricMissing", [](CatalogueSpec& c) { c.indicators[0].erase("metric"); },
       "indicators[0] (a): metric.name: '' is not a metric name starting with jeugdzorg_ "
       "([a-z0-9_])"},
      {"MetricWithDash",
       [](CatalogueSpec& c) { c.indicators[0]["metric"] = Metric("jeugdzorg_a-b"); },
       "indicators[0] (a): metric.name: 'jeugdzorg_a-b' is not a metric name starting with "
       "jeugdzorg_ ([a-z0-9_])"},
      {"MetricEndingInTotal",
       [](CatalogueSpec& c) { c.indicators[0]["metric"] = Metric("jeugdzorg_a_total"); },
       "indicators[0] (a): metric.name: 'jeugdzorg_a_total' ends in _total, which Prometheus "
       "reserves for counters"},
      {"WeeksMetricNotInSeconds",
       [](CatalogueSpec& c) {
         c.indicators[0]["unit"] = "WEEKS";
         c.indicators[0]["metric"] = Metric("jeugdzorg_wait_weeks", "jeugdzorg_region_wait_weeks");
       },
       "indicators[0] (a): metric.name: 'jeugdzorg_wait_weeks' must end in _seconds for unit "
       "WEEKS"},
      {"WeeksRegionMetricNotInSeconds",
       [](CatalogueSpec& c) {
         c.indicators[0]["unit"] = "WEEKS";
         c.indicators[0]["metric"] = Metric("jeugdzorg_wait_seconds", "jeugdzorg_region_wait");
       },
       "indicators[0] (a): metric.region_name: 'jeugdzorg_region_wait' must end in _seconds for "
       "unit WEEKS"},
      {"RatioMetricWithoutSuffix",
       [](CatalogueSpec& c) {
         c.indicators[0]["unit"] = "RATIO";
         c.indicators[0]["metric"] = Metric("jeugdzorg_sick_leave");
         c.indicators[0]["aggregation"] = "NONE";
       },
       "indicators[0] (a): metric.name: 'jeugdzorg_sick_leave' must end in _ratio for unit RATIO"},
      {"EurosMetricWithoutSuffix",
       [](CatalogueSpec& c) {
         c.indicators[0]["unit"] = "EUROS";
         c.indicators[0]["metric"] = Metric("jeugdzorg_revenue");
         c.indicators[0]["aggregation"] = "NONE";
       },
       "indicators[0] (a): metric.name: 'jeugdzorg_revenue' must end in _euros for unit EUROS"},
      {"FteMetricWithoutSuffix",
       [](CatalogueSpec& c) {
         c.indicators[0]["unit"] = "FTE";
         c.indicators[0]["metric"] = Metric("jeugdzorg_staff", "jeugdzorg_region_staff");
       },
       "indicators[0] (a): metric.name: 'jeugdzorg_staff' must end in _fte for unit FTE"},
      {"RegionMetricWithoutAggregation",
       [](CatalogueSpec& c) { c.indicators[0]["aggregation"] = "NONE"; },
       "indicators[0] (a): metric.region_name is set but aggregation is NONE"},
      {"WeeksRegionMaxMetricNotInSeconds",
       [](CatalogueSpec& c) {
         c.indicators[0]["unit"] = "WEEKS";
         c.indicators[0]["metric"] =
             "{name: jeugdzorg_wait_seconds, help: h, region_max_name: jeugdzorg_region_wait_max}";
       },
       "indicators[0] (a): metric.region_max_name: 'jeugdzorg_region_wait_max' must end in "
       "_seconds for unit WEEKS"},
      {"MunicipalityMetricNotAName",
       [](CatalogueSpec& c) {
         c.indicators[0]["metric"] = "{name: jeugdzorg_a, help: h, municipality_name: gemeente_a}";
       },
       "indicators[0] (a): metric.municipality_name: 'gemeente_a' is not a metric name starting "
       "with jeugdzorg_ ([a-z0-9_])"},
      {"MunicipalityMetricWithoutAggregation",
       [](CatalogueSpec& c) {
         c.indicators[0]["metric"] =
             "{name: jeugdzorg_a, help: h, municipality_name: jeugdzorg_municipality_a}";
         c.indicators[0]["aggregation"] = "NONE";
       },
       "indicators[0] (a): metric.municipality_name is set but aggregation is NONE"},
      {"AnyRegionWhereMunicipalityIsForbidden",
       [](CatalogueSpec& c) {
         c.indicators[0]["municipality_use"] = "FORBIDDEN";
         c.indicators[0]["municipality_any_region"] = "true";
       },
       "indicators[0] (a): municipality_any_region is set but municipality_use is FORBIDDEN"},
      {"MunicipalityMetricWhereMunicipalityIsForbidden",
       [](CatalogueSpec& c) {
         c.indicators[0]["metric"] =
             "{name: jeugdzorg_a, help: h, municipality_name: jeugdzorg_municipality_a}";
         c.indicators[0]["municipality_use"] = "FORBIDDEN";
       },
       "indicators[0] (a): metric.municipality_name is set but municipality_use is FORBIDDEN"},
      {"MetricWithoutHelp",
       [](CatalogueSpec& c) { c.indicators[0]["metric"] = "{name: jeugdzorg_a}"; },
       "indicators[0] (a): metric.help is required"},
      {"LabelValueNotACode",
       [](CatalogueSpec& c) {
         c.indicators[0]["metric"] = Metric("jeugdzorg_a", "", "{route: Huisarts}");
         c.indicators[0]["aggregation"] = "NONE";
       },
       "indicators[0] (a): metric label value 'Huisarts' must be a lower-case code"},
      {"LabelNameWithDoubleUnderscore",
       [](CatalogueSpec& c) {
         c.indicators[0]["metric"] = Metric("jeugdzorg_a", "", "{__route: x}");
         c.indicators[0]["aggregation"] = "NONE";
       },
       "indicators[0] (a): metric label '__route' is not a valid or free label name"},
      {"LabelNameWithDash",
       [](CatalogueSpec& c) {
         c.indicators[0]["metric"] = Metric("jeugdzorg_a", "", "{care-route: x}");
         c.indicators[0]["aggregation"] = "NONE";
       },
       "indicators[0] (a): metric label 'care-route' is not a valid or free label name"},
      // Indicators sharing a metric.
      {"SharedMetricWithIdenticalLabels",
       [](CatalogueSpec& c) {
         c.indicators = {ValidIndicator("a"), ValidIndicator("b")};
         c.indicators[0]["metric"] =
             Metric("jeugdzorg_shared", "jeugdzorg_region_shared", "{route: x}");
         c.indicators[1]["metric"] =
             Metric("jeugdzorg_shared", "jeugdzorg_region_shared", "{route: x}");
       },
       "indicators[1] (b): has the same metric labels as a on jeugdzorg_shared"},
      {"SharedMetricWithoutLabels",
       [](CatalogueSpec& c) {
         c.indicators = {ValidIndicator("a"), ValidIndicator("b")};
         c.indicators[0]["metric"] = Metric("jeugdzorg_shared", "jeugdzorg_region_shared");
         c.indicators[1]["metric"] = Metric("jeugdzorg_shared", "jeugdzorg_region_shared");
       },
       "indicators[1] (b): shares metric jeugdzorg_shared with a but differs in help, unit, "
       "region_name or label names (labels must tell them apart)"},
      {"SharedMetricWithDifferentLabelNames",
       [](CatalogueSpec& c) {
         c.indicators = {ValidIndicator("a"), ValidIndicator("b")};
         c.indicators[0]["metric"] =
             Metric("jeugdzorg_shared", "jeugdzorg_region_shared", "{route: x}");
         c.indicators[1]["metric"] =
             Metric("jeugdzorg_shared", "jeugdzorg_region_shared", "{source: x}");
       },
       "indicators[1] (b): shares metric jeugdzorg_shared with a but differs in help, unit, "
       "region_name or label names (labels must tell them apart)"},
      {"SharedMetricWithDifferentUnit",
       [](CatalogueSpec& c) {
         c.indicators = {ValidIndicator("a"), ValidIndicator("b")};
         c.indicators[0]["metric"] =
             Metric("jeugdzorg_shared", "jeugdzorg_region_shared", "{route: x}");
         c.indicators[1]["metric"] =
             Metric("jeugdzorg_shared", "jeugdzorg_region_shared", "{route: y}");
         c.indicators[1]["unit"] = "BOOLEAN";
       },
       "indicators[1] (b): shares metric jeugdzorg_shared with a but differs in help, unit, "
       "region_name or label names (labels must tell them apart)"},
      // Ratios.
      {"RatioOfIndicatorWithoutRegionalAggregate",
       [](CatalogueSpec& c) {
         c.indicators.push_back(ValidIndicator("b"));
         c.indicators[1]["aggregation"] = "NONE";
         c.indicators[1]["metric"] = Metric("jeugdzorg_b");
         c.extra =
             "ratios:\n  - {metric_name: jeugdzorg_region_ab_ratio, help: H, numerator: a, "
             "denominator: b}\n";
       },
       "ratios[0]: 'b' is not an indicator with a regional aggregate"},
      {"RatioOfUnknownIndicator",
       [](CatalogueSpec& c) {
         c.extra =
             "ratios:\n  - {metric_name: jeugdzorg_region_ab_ratio, help: H, numerator: nope, "
             "denominator: a}\n";
       },
       "ratios[0]: 'nope' is not an indicator with a regional aggregate"},
      {"RatioMetricWithoutSuffix",
       [](CatalogueSpec& c) {
         c.extra =
             "ratios:\n  - {metric_name: jeugdzorg_region_aa, help: H, numerator: a, "
             "denominator: a}\n";
       },
       "ratios[0]: 'jeugdzorg_region_aa' must end in _ratio for unit RATIO"},
  };
  // Labels the collector sets itself.
  for (const char* label : {"region", "reporter", "reporter_kind", "care_form", "municipality"}) {
    cases.push_back({"ReservedLabel",
                     [label](CatalogueSpec& c) {
                       c.indicators[0]["metric"] =
                           Metric("jeugdzorg_a", "", absl::StrCat("{", label, ": x}"));
                       c.indicators[0]["aggregation"] = "NONE";
                     },
                     absl::StrCat("indicators[0] (a): metric label '", label,
                                  "' is not a valid or free label name")});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Rules, CatalogueRefusesTest, ::testing::ValuesIn(RefusedCases()),
                         [](const ::testing::TestParamInfo<RefusedCase>& param_info) {
                           return absl::StrCat(param_info.param.name, "_", param_info.index);
                         });

// ---------------------------------------------------------------------------------------------
// Known defects, kept as tests so that the fix is checked.

// NaN compares false with everything, so a NaN bound passes "min is above max" and then lets
// every value through validation.
TEST(CatalogueIntegrityTest, NanBoundsAreRefused) {
  for (const char* field : {"min", "max"}) {
    CatalogueSpec spec;
    spec.indicators[0][field] = "nan";
    EXPECT_THAT(Build(spec), StatusIs(absl::StatusCode::kInvalidArgument)) << field;
  }
}

// The message promises [a-z0-9_], but upper-case letters and ':' pass the check.
TEST(CatalogueIntegrityTest, MetricNamesAreLowerCase) {
  for (const char* name : {"jeugdzorg_Waiting", "jeugdzorg_waiting:rate"}) {
    CatalogueSpec spec;
    spec.indicators[0]["metric"] = Metric(name, "jeugdzorg_region_a");
    EXPECT_THAT(Build(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                      absl::StrCat("indicators[0] (a): metric.name: '", name,
                                                   "' is not a metric name starting with "
                                                   "jeugdzorg_ ([a-z0-9_])")));
  }
}

}  // namespace
}  // namespace vroeg
