#include "common/validation.h"

#include <cmath>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/problem.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/common/test_catalogue.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::NotNull;
using ::testing::SizeIs;

namespace api = ::vroeg::api::v1;
namespace types = ::vroeg::type::v1;

using Observations = google::protobuf::RepeatedPtrField<api::Observation>;

constexpr char kCareForms[] =
    "verblijf, crisishulp, hoogspecialistische_jeugd_ggz, jeugdbescherming, jeugdreclassering, "
    "kortdurend_verblijf, dagbehandeling, multidisciplinair_complex, "
    "multidisciplinair_ggz_complex";

config::v1::RegionMember Member(const std::string& code, const std::string& valid_from = "",
                                const std::string& valid_to = "") {
  config::v1::RegionMember member;
  member.set_code(code);
  member.set_valid_from(valid_from);
  member.set_valid_to(valid_to);
  return member;
}

// A provider in Flevoland on Monday 23 November 2026. Dronten (GM0303) left the region's
// membership list at the start of 2020.
ValidationContext ProviderContext(std::shared_ptr<const Catalogue> catalogue) {
  ValidationContext context;
  context.catalogue = std::move(catalogue);
  context.reporter = ReporterId{types::REPORTER_KIND_PROVIDER, "12345678"};
  context.today = absl::CivilDay(2026, 11, 23);
  context.region = "flevoland";
  context.municipalities = {Member("GM0034"), Member("GM0303", "", "2020-01-01")};
  return context;
}

api::Observation Obs(const std::string& indicator, const std::string& care_form, double value,
                     const std::string& start = "2026-10-01",
                     const std::string& end = "2026-10-31") {
  api::Observation observation;
  observation.set_indicator(indicator);
  observation.set_care_form(care_form);
  observation.set_value(value);
  observation.mutable_period()->set_start(start);
  observation.mutable_period()->set_end(end);
  return observation;
}

Observations Batch(std::initializer_list<api::Observation> observations) {
  Observations batch;
  for (const auto& observation : observations) *batch.Add() = observation;
  return batch;
}

api::Observation FromRow(api::Observation observation, uint32_t row,
                         const std::string& column = "value") {
  observation.set_source_row(row);
  observation.set_source_column(column);
  return observation;
}

std::vector<std::string> Formatted(const std::vector<Problem>& problems) {
  std::vector<std::string> out;
  for (const Problem& problem : problems) out.push_back(FormatProblem(problem));
  return out;
}

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalogue_ = vroeg::testing::LoadShippedCatalogue();
    ASSERT_THAT(catalogue_, NotNull());
    context_ = ProviderContext(catalogue_);
  }

  std::vector<std::string> Validate(Observations* batch) const {
    return Formatted(ValidateObservations(context_, batch));
  }

  std::shared_ptr<const Catalogue> catalogue_;
  ValidationContext context_;
};

// ---------------------------------------------------------------------------------------------
// One rule per case, each checked where the observation came from: the API (no source row),
// a long-form file (column "value") and a wide-form file (one column per indicator).

// The field a rule blames; it decides the column the problem points at.
enum class Blames {
  kIndicator,
  kValue,
  kCareForm,
  kPeriodStart,
  kPeriodEnd,
  kPeriod,
  kGranularity,
  kMunicipality
};

struct RuleCase {
  const char* name;
  api::Observation observation;
  Blames blames;
  std::string value;
  std::string message;
};

// Names the case in test output instead of dumping its bytes.
void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.name; }

std::string ApiColumn(Blames blames) {
  switch (blames) {
    case Blames::kIndicator:
      return "indicator";
    case Blames::kValue:
      return "value";
    case Blames::kCareForm:
      return "care_form";
    case Blames::kPeriodStart:
      return "period.start";
    case Blames::kPeriodEnd:
      return "period.end";
    case Blames::kPeriod:
      return "period";
    case Blames::kGranularity:
      return "period.granularity";
    case Blames::kMunicipality:
      return "municipality";
  }
  return "";
}

// The column in a file; `indicator_column` is where the indicator is named (the "indicator"
// column in long form, the value's own column in wide form).
std::string FileColumn(Blames blames, const std::string& value_column,
                       const std::string& indicator_column) {
  switch (blames) {
    case Blames::kIndicator:
      return indicator_column;
    case Blames::kValue:
      return value_column;
    case Blames::kCareForm:
      return "care_form";
    case Blames::kPeriodStart:
      return "period_start";
    case Blames::kPeriodEnd:
    case Blames::kPeriod:
    case Blames::kGranularity:
      return "period_end";
    case Blames::kMunicipality:
      return "municipality";
  }
  return "";
}

std::vector<RuleCase> RuleCases() {
  auto with = [](api::Observation observation, auto edit) {
    edit(observation);
    return observation;
  };
  const api::Observation waiting = Obs("wachtenden", "verblijf", 12);
  return {
      {"UnknownIndicatorWithSuggestion", Obs("wachtlijst", "verblijf", 12), Blames::kIndicator,
       "wachtlijst",
       "unknown indicator 'wachtlijst' (did you mean 'wachtenden'?); catalogue 2026.3 lists the "
       "codes"},
      {"UnknownIndicatorWithoutSuggestion", Obs("bedden", "verblijf", 12), Blames::kIndicator,
       "bedden", "unknown indicator 'bedden'; catalogue 2026.3 lists the codes"},
      {"UnknownCareForm", Obs("wachtenden", "pleegzorg", 12), Blames::kCareForm, "pleegzorg",
       absl::StrCat("unknown care form 'pleegzorg'; known: ", kCareForms)},
      {"MissingCareForm", Obs("wachtenden", "", 12), Blames::kCareForm, "",
       "wachtenden is reported per care form: fill in care_form"},
      {"ForbiddenCareForm", Obs("fte_begroot", "verblijf", 10, "2026-04-01", "2026-06-30"),
       Blames::kCareForm, "verblijf",
       "fte_begroot is reported for the whole organisation: leave care_form empty"},
      {"MunicipalIndicatorFromProvider", Obs("verwijzingen_huisarts", "", 5), Blames::kIndicator,
       "verwijzingen_huisarts",
       "a provider may not report verwijzingen_huisarts (reported by: municipality)"},
      {"NaN", Obs("wachtenden", "verblijf", std::numeric_limits<double>::quiet_NaN()),
       Blames::kValue, "nan", "value is not a finite number"},
      {"PlusInfinity", Obs("wachtenden", "verblijf", std::numeric_limits<double>::infinity()),
       Blames::kValue, "inf", "value is not a finite number"},
      {"MinusInfinity",
       Obs("bedrijfsresultaat", "", -std::numeric_limits<double>::infinity(), "2026-04-01",
           "2026-06-30"),
       Blames::kValue, "-inf", "value is not a finite number"},
      {"BelowMinimum", Obs("wachtenden", "verblijf", -3), Blames::kValue, "-3",
       "-3 is below the minimum 0 for wachtenden"},
      {"AboveMaximum", Obs("wachtenden", "verblijf", 100001), Blames::kValue, "100001",
       "100001 is above the maximum 100000 for wachtenden"},
      {"AboveMaximumEuros", Obs("omzet_totaal", "", 2e11, "2026-04-01", "2026-06-30"),
       Blames::kValue, "200000000000",
       "200000000000 is above the maximum 100000000000 for omzet_totaal"},
      {"BelowMinimumEuros", Obs("bedrijfsresultaat", "", -2e11, "2026-04-01", "2026-06-30"),
       Blames::kValue, "-200000000000",
       "-200000000000 is below the minimum -100000000000 for bedrijfsresultaat"},
      {"RatioAboveOne", Obs("verzuim_ratio", "", 6.5, "2026-04-01", "2026-06-30"), Blames::kValue,
       "6.5", "6.5 is above the maximum 1 for verzuim_ratio"},
      {"CountNotWhole", Obs("wachtenden", "verblijf", 2.5), Blames::kValue, "2.5",
       "2.5 is not a whole number; wachtenden is a count"},
      {"BooleanNotZeroOrOne", Obs("clientenstop", "verblijf", 0.5, "2026-11-16", "2026-11-22"),
       Blames::kValue, "0.5", "0.5 must be 0 (no) or 1 (yes) for clientenstop"},
      {"StartNotADate", Obs("wachtenden", "verblijf", 12, "2026-13-01", "2026-10-31"),
       Blames::kPeriodStart, "2026-13-01",
       "'2026-13-01' is not a valid date (expected YYYY-MM-DD)"},
      {"StartInDutchNotation", Obs("wachtenden", "verblijf", 12, "01-10-2026", "2026-10-31"),
       Blames::kPeriodStart, "01-10-2026",
       "'01-10-2026' is not a valid date (expected YYYY-MM-DD)"},
      {"EndNotADate", Obs("wachtenden", "verblijf", 12, "2026-10-01", "2026-10-32"),
       Blames::kPeriodEnd, "2026-10-32", "'2026-10-32' is not a valid date (expected YYYY-MM-DD)"},
      {"EndMissing", Obs("wachtenden", "verblijf", 12, "2026-10-01", ""), Blames::kPeriodEnd, "",
       "'' is not a valid date (expected YYYY-MM-DD)"},
      {"EndBeforeStart", Obs("wachtenden", "verblijf", 12, "2026-10-31", "2026-10-01"),
       Blames::kPeriodEnd, "2026-10-01", "period ends 2026-10-01, before it starts 2026-10-31"},
      {"StartsAfterToday", Obs("wachtenden", "verblijf", 12, "2026-11-24", "2026-11-24"),
       Blames::kPeriodStart, "2026-11-24",
       "period starts 2026-11-24, after today 2026-11-23; report only periods that have begun"},
      {"NextMonth", Obs("wachtenden", "verblijf", 12, "2026-12-01", "2026-12-31"),
       Blames::kPeriodStart, "2026-12-01",
       "period starts 2026-12-01, after today 2026-11-23; report only periods that have begun"},
      {"MisalignedPeriod", Obs("wachtenden", "verblijf", 12, "2026-01-03", "2026-02-11"),
       Blames::kPeriod, "2026-02-11",
       "period 2026-01-03 to 2026-02-11 is not a whole day, ISO week (Monday to Sunday), month, "
       "quarter or year"},
      {"WeekStartingOnSunday", Obs("clientenstop", "verblijf", 1, "2026-11-15", "2026-11-21"),
       Blames::kPeriod, "2026-11-21",
       "period 2026-11-15 to 2026-11-21 is not a whole day, ISO week (Monday to Sunday), month, "
       "quarter or year"},
      {"GranularityMismatch",
       with(waiting,
            [](api::Observation& o) {
              o.mutable_period()->set_granularity(types::GRANULARITY_WEEK);
            }),
       Blames::kGranularity, "2026-10-31", "period is a month but granularity says week"},
      {"GranularityMismatchQuarter",
       with(Obs("fte_bezet", "", 40, "2026-04-01", "2026-06-30"),
            [](api::Observation& o) {
              o.mutable_period()->set_granularity(types::GRANULARITY_YEAR);
            }),
       Blames::kGranularity, "2026-06-30", "period is a quarter but granularity says year"},
      {"MalformedMunicipality",
       with(waiting, [](api::Observation& o) { o.set_municipality("GM12"); }),
       Blames::kMunicipality, "GM12",
       "'GM12' is not a CBS municipality code: expected GM followed by 4 digits"},
      {"MunicipalityName", with(waiting, [](api::Observation& o) { o.set_municipality("Almere"); }),
       Blames::kMunicipality, "Almere",
       "'Almere' is not a CBS municipality code: expected GM followed by 4 digits"},
      {"MunicipalityOutsideRegion",
       with(waiting, [](api::Observation& o) { o.set_municipality("GM0050"); }),
       Blames::kMunicipality, "GM0050",
       "municipality GM0050 is not part of region flevoland on 2026-10-31"},
      {"BareMunicipalityOutsideRegionIsNormalised",
       with(waiting, [](api::Observation& o) { o.set_municipality("0050"); }),
       Blames::kMunicipality, "GM0050",
       "municipality GM0050 is not part of region flevoland on 2026-10-31"},
      {"MunicipalityNoLongerMember",
       with(waiting, [](api::Observation& o) { o.set_municipality("GM0303"); }),
       Blames::kMunicipality, "GM0303",
       "municipality GM0303 is not part of region flevoland on 2026-10-31"},
      {"MissingMunicipality",
       Obs("omzet_jeugdzorg_gemeente", "", 250000, "2026-07-01", "2026-09-30"),
       Blames::kMunicipality, "",
       "omzet_jeugdzorg_gemeente is reported per municipality: fill in municipality"},
      {"ForbiddenMunicipality",
       with(Obs("omzet_totaal", "", 900000, "2026-07-01", "2026-09-30"),
            [](api::Observation& o) { o.set_municipality("GM0034"); }),
       Blames::kMunicipality, "GM0034",
       "omzet_totaal is reported for the whole organisation: leave municipality empty"},
      {"ForbiddenMalformedMunicipality",
       with(Obs("verzuim_ratio", "", 0.06, "2026-07-01", "2026-09-30"),
            [](api::Observation& o) { o.set_municipality("Almere"); }),
       Blames::kMunicipality, "Almere",
       "verzuim_ratio is reported for the whole organisation: leave municipality empty"},
      {"MalformedPayingMunicipality",
       with(Obs("omzet_jeugdzorg_gemeente", "", 250000, "2026-07-01", "2026-09-30"),
            [](api::Observation& o) { o.set_municipality("Utrecht"); }),
       Blames::kMunicipality, "Utrecht",
       "'Utrecht' is not a CBS municipality code: expected GM followed by 4 digits"},
  };
}

// Three valid observations go first so that the case is observations[3] on the API path.
Observations BatchWithCaseAtIndexThree(const api::Observation& observation) {
  return Batch({Obs("fte_begroot", "", 120.5, "2026-07-01", "2026-09-30"),
                Obs("fte_bezet", "", 110, "2026-07-01", "2026-09-30"),
                Obs("vacatures_fte", "", 10.5, "2026-07-01", "2026-09-30"), observation});
}

class ValidationRuleTest : public ValidationTest, public ::testing::WithParamInterface<RuleCase> {};

TEST_P(ValidationRuleTest, ApiPathNamesTheField) {
  const RuleCase& rule = GetParam();
  Observations batch = BatchWithCaseAtIndexThree(rule.observation);
  const std::vector<Problem> problems = ValidateObservations(context_, &batch);
  ASSERT_THAT(Formatted(problems),
              ElementsAre(absl::StrCat("column observations[3].", ApiColumn(rule.blames), ": ",
                                       rule.message)));
  EXPECT_EQ(problems[0].row, 0u);
  EXPECT_EQ(problems[0].value, rule.value);
  EXPECT_EQ(problems[0].message, rule.message);
}

TEST_P(ValidationRuleTest, LongFormFileNamesRowAndColumn) {
  const RuleCase& rule = GetParam();
  Observations batch = Batch({FromRow(rule.observation, 7, "value")});
  const std::vector<Problem> problems = ValidateObservations(context_, &batch);
  ASSERT_THAT(
      Formatted(problems),
      ElementsAre(absl::StrCat("row 7, column ", FileColumn(rule.blames, "value", "indicator"),
                               ": ", rule.message)));
  EXPECT_EQ(problems[0].row, 7u);
  EXPECT_EQ(problems[0].value, rule.value);
}

TEST_P(ValidationRuleTest, WideFormFileNamesTheIndicatorColumn) {
  const RuleCase& rule = GetParam();
  const std::string column = rule.observation.indicator();
  Observations batch = Batch({FromRow(rule.observation, 7, column)});
  EXPECT_THAT(Validate(&batch),
              ElementsAre(absl::StrCat("row 7, column ", FileColumn(rule.blames, column, column),
                                       ": ", rule.message)));
}

INSTANTIATE_TEST_SUITE_P(Rules, ValidationRuleTest, ::testing::ValuesIn(RuleCases()),
                         [](const ::testing::TestParamInfo<RuleCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST_F(ValidationTest, SourceRowWithoutColumnBlamesTheValueColumn) {
  Observations batch = Batch({FromRow(Obs("wachtenden", "verblijf", -3), 4, "")});
  EXPECT_THAT(Validate(&batch),
              ElementsAre("row 4, column value: -3 is below the minimum 0 for wachtenden"));
}

// ---------------------------------------------------------------------------------------------
// Reporter kinds.

TEST_F(ValidationTest, MunicipalityMayNotReportProviderIndicators) {
  context_.reporter = ReporterId{types::REPORTER_KIND_MUNICIPALITY, "GM0034"};
  Observations batch =
      Batch({Obs("verwijzingen_huisarts", "", 5), Obs("wachtenden", "verblijf", 3),
             FromRow(Obs("plaatsen_bezet", "verblijf", 3, "2026-11-16", "2026-11-22"), 9,
                     "plaatsen_bezet")});
  EXPECT_THAT(Validate(&batch),
              ElementsAre("column observations[1].indicator: a municipality may not report "
                          "wachtenden (reported by: provider, certified_institution)",
                          "row 9, column plaatsen_bezet: a municipality may not report "
                          "plaatsen_bezet (reported by: provider, certified_institution)"));
}

TEST_F(ValidationTest, CertifiedInstitutionReportsLikeAProvider) {
  context_.reporter = ReporterId{types::REPORTER_KIND_CERTIFIED_INSTITUTION, "87654321"};
  Observations batch = Batch({Obs("wachtenden", "jeugdbescherming", 40)});
  EXPECT_THAT(Validate(&batch), IsEmpty());
}

TEST_F(ValidationTest, KindProblemStillChecksTheValue) {
  Observations batch = Batch({Obs("verwijzingen_rechter", "", -1)});
  EXPECT_THAT(Validate(&batch),
              ElementsAre("column observations[0].indicator: a provider may not report "
                          "verwijzingen_rechter (reported by: municipality)",
                          "column observations[0].value: -1 is below the minimum 0 for "
                          "verwijzingen_rechter"));
}

// ---------------------------------------------------------------------------------------------
// Periods.

TEST_F(ValidationTest, PeriodsThatStartedTodayAreAccepted) {
  Observations batch = Batch({
      Obs("wachtenden", "verblijf", 12, "2026-11-23", "2026-11-23"),
      Obs("clientenstop", "verblijf", 0, "2026-11-23", "2026-11-29"),
      Obs("wachtenden", "crisishulp", 2, "2026-11-01", "2026-11-30"),
  });
  EXPECT_THAT(Validate(&batch), IsEmpty());
}

TEST_F(ValidationTest, BothBadDatesAreReported) {
  Observations batch = Batch({Obs("wachtenden", "verblijf", 12, "2026-02-30", "31-10-2026")});
  EXPECT_THAT(Validate(&batch),
              ElementsAre("column observations[0].period.start: '2026-02-30' is not a valid date "
                          "(expected YYYY-MM-DD)",
                          "column observations[0].period.end: '31-10-2026' is not a valid date "
                          "(expected YYYY-MM-DD)"));
}

struct GranularityCase {
  const char* name;
  const char* start;
  const char* end;
  types::Granularity expected;
};

void PrintTo(const GranularityCase& c, std::ostream* os) { *os << c.name; }

class GranularityFillTest : public ValidationTest,
                            public ::testing::WithParamInterface<GranularityCase> {};

TEST_P(GranularityFillTest, UnspecifiedGranularityIsFilledFromTheDates) {
  const GranularityCase& c = GetParam();
  Observations batch = Batch({Obs("wachtenden", "verblijf", 12, c.start, c.end)});
  ASSERT_THAT(Validate(&batch), IsEmpty());
  EXPECT_EQ(batch[0].period().granularity(), c.expected);
  EXPECT_EQ(batch[0].period().start(), c.start);
  EXPECT_EQ(batch[0].period().end(), c.end);
}

TEST_P(GranularityFillTest, MatchingStatedGranularityIsAccepted) {
  const GranularityCase& c = GetParam();
  api::Observation observation = Obs("wachtenden", "verblijf", 12, c.start, c.end);
  observation.mutable_period()->set_granularity(c.expected);
  Observations batch = Batch({observation});
  ASSERT_THAT(Validate(&batch), IsEmpty());
  EXPECT_EQ(batch[0].period().granularity(), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Granularities, GranularityFillTest,
                         ::testing::ValuesIn(std::vector<GranularityCase>{
                             {"Day", "2026-03-04", "2026-03-04", types::GRANULARITY_DAY},
                             {"IsoWeek", "2026-11-16", "2026-11-22", types::GRANULARITY_WEEK},
                             {"IsoWeekAcrossNewYear", "2025-12-29", "2026-01-04",
                              types::GRANULARITY_WEEK},
                             {"Month", "2026-02-01", "2026-02-28", types::GRANULARITY_MONTH},
                             {"LeapFebruary", "2024-02-01", "2024-02-29", types::GRANULARITY_MONTH},
                             {"Quarter", "2026-07-01", "2026-09-30", types::GRANULARITY_QUARTER},
                             {"Year", "2025-01-01", "2025-12-31", types::GRANULARITY_YEAR},
                         }),
                         [](const ::testing::TestParamInfo<GranularityCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

// ---------------------------------------------------------------------------------------------
// Municipalities.

TEST_F(ValidationTest, MunicipalityCodesAreNormalised) {
  Observations batch = Batch({
      [] {
        api::Observation o = Obs("wachtenden", "verblijf", 12);
        o.set_municipality("0034");
        return o;
      }(),
      [] {
        api::Observation o = Obs("wachtenden", "crisishulp", 1);
        o.set_municipality("gm0034");
        return o;
      }(),
      [] {
        api::Observation o = Obs("wachtenden", "jeugdbescherming", 1);
        o.set_municipality("GM0034");
        return o;
      }(),
  });
  ASSERT_THAT(Validate(&batch), IsEmpty());
  EXPECT_EQ(batch[0].municipality(), "GM0034");
  EXPECT_EQ(batch[1].municipality(), "GM0034");
  EXPECT_EQ(batch[2].municipality(), "GM0034");
}

TEST_F(ValidationTest, MembershipIsCheckedOnThePeriodsEndDate) {
  auto in_dronten = [](const char* start, const char* end) {
    api::Observation o = Obs("wachtenden", "verblijf", 12, start, end);
    o.set_municipality("GM0303");
    return o;
  };
  Observations batch = Batch({
      in_dronten("2019-12-01", "2019-12-31"),
      in_dronten("2020-01-01", "2020-01-01"),  // valid_to is inclusive
      in_dronten("2020-01-02", "2020-01-02"),
      in_dronten("2019-10-01", "2019-12-31"),
      in_dronten("2020-01-01", "2020-01-31"),
  });
  EXPECT_THAT(Validate(&batch),
              ElementsAre("column observations[2].municipality: municipality GM0303 is not part "
                          "of region flevoland on 2020-01-02",
                          "column observations[4].municipality: municipality GM0303 is not part "
                          "of region flevoland on 2020-01-31"));
}

TEST_F(ValidationTest, MembershipStartsOnValidFrom) {
  context_.municipalities.push_back(Member("GM0050", "2026-01-01"));
  auto in_zeewolde = [](const char* start, const char* end) {
    api::Observation o = Obs("wachtenden", "verblijf", 12, start, end);
    o.set_municipality("GM0050");
    return o;
  };
  Observations batch =
      Batch({in_zeewolde("2025-12-01", "2025-12-31"), in_zeewolde("2026-01-01", "2026-01-01")});
  EXPECT_THAT(Validate(&batch),
              ElementsAre("column observations[0].municipality: municipality GM0050 is not part "
                          "of region flevoland on 2025-12-31"));
}

TEST_F(ValidationTest, WithoutMemberListAnyWellFormedMunicipalityIsAccepted) {
  context_.municipalities.clear();
  api::Observation observation = Obs("wachtenden", "verblijf", 12);
  observation.set_municipality("0363");
  Observations batch = Batch({observation});
  EXPECT_THAT(Validate(&batch), IsEmpty());
  EXPECT_EQ(batch[0].municipality(), "GM0363");
}

api::Observation PaidBy(const std::string& municipality, double value = 250000) {
  api::Observation o = Obs("omzet_jeugdzorg_gemeente", "", value, "2026-07-01", "2026-09-30");
  o.set_municipality(municipality);
  return o;
}

TEST_F(ValidationTest, PayingMunicipalityMayLieOutsideTheRegionAndIsNormalised) {
  // Utrecht and Amsterdam were never members, Dronten no longer is, Almere is.
  Observations batch =
      Batch({PaidBy("0344"), PaidBy("gm0363"), PaidBy("GM0303"), PaidBy("GM0034", 900000)});
  ASSERT_THAT(Validate(&batch), IsEmpty());
  EXPECT_EQ(batch[0].municipality(), "GM0344");
  EXPECT_EQ(batch[1].municipality(), "GM0363");
  EXPECT_EQ(batch[2].municipality(), "GM0303");
  EXPECT_EQ(batch[3].municipality(), "GM0034");
}

TEST_F(ValidationTest, OnlyIndicatorsWithAnyRegionAcceptMunicipalitiesOutsideIt) {
  catalogue::v1::Catalogue proto = catalogue_->proto();
  for (auto& indicator : *proto.mutable_indicators()) {
    if (indicator.code() == "omzet_jeugdzorg_gemeente")
      indicator.set_municipality_any_region(false);
  }
  auto without_flag = Catalogue::FromProto(std::move(proto));
  ASSERT_TRUE(without_flag.ok()) << without_flag.status();
  context_.catalogue = *without_flag;
  Observations batch = Batch({PaidBy("GM0034"), PaidBy("0344")});
  EXPECT_THAT(Validate(&batch),
              ElementsAre("column observations[1].municipality: municipality GM0344 is not part "
                          "of region flevoland on 2026-09-30"));
  EXPECT_EQ(batch[1].municipality(), "GM0344");
}

TEST_F(ValidationTest, RepeatedPayingMunicipalityIsFoundAfterNormalisation) {
  Observations batch = Batch({PaidBy("GM0344"), PaidBy("0344")});
  EXPECT_THAT(Validate(&batch),
              ElementsAre("column observations[1].indicator: repeats observations[0]: same "
                          "indicator, care form, municipality and period"));
}

TEST_F(ValidationTest, MunicipalityUseLeftOutIsOptional) {
  // Capacity leaves municipality_use out: with or without a municipality is fine.
  api::Observation in_almere =
      Obs("plaatsen_operationeel", "verblijf", 8, "2026-11-09", "2026-11-15");
  in_almere.set_municipality("GM0034");
  Observations batch =
      Batch({Obs("plaatsen_operationeel", "verblijf", 20, "2026-11-09", "2026-11-15"), in_almere});
  EXPECT_THAT(Validate(&batch), IsEmpty());
  EXPECT_EQ(catalogue_->FindIndicator("plaatsen_operationeel")->municipality_use(),
            catalogue::v1::MUNICIPALITY_USE_UNSPECIFIED);
}

TEST_F(ValidationTest, UnusablePeriodSkipsTheMembershipCheck) {
  api::Observation observation = Obs("wachtenden", "verblijf", 12, "2026-10-01", "2026-10-30");
  observation.set_municipality("GM0050");
  Observations batch = Batch({observation});
  EXPECT_THAT(Validate(&batch),
              ElementsAre("column observations[0].period: period 2026-10-01 to 2026-10-30 is not "
                          "a whole day, ISO week (Monday to Sunday), month, quarter or year"));
}

// ---------------------------------------------------------------------------------------------
// Rules across observations.

TEST_F(ValidationTest, RepeatedSeriesAndPeriodPointsAtTheFirstRow) {
  Observations batch = Batch({
      FromRow(Obs("wachtenden", "verblijf", 12), 2),
      FromRow(Obs("wachtenden", "crisishulp", 3), 3),
      FromRow(Obs("wachtenden", "verblijf", 12, "2026-09-01", "2026-09-30"), 4),
      FromRow(Obs("wachtenden", "verblijf", 13), 5),
  });
  EXPECT_THAT(Validate(&batch),
              ElementsAre("row 5, column indicator: repeats row 2: same indicator, care form, "
                          "municipality and period"));
}

TEST_F(ValidationTest, RepeatedSeriesInWideFormBlamesTheIndicatorColumn) {
  Observations batch = Batch({
      FromRow(Obs("wachtenden", "verblijf", 12), 2, "wachtenden"),
      FromRow(Obs("wachtenden", "verblijf", 12), 6, "wachtenden"),
  });
  EXPECT_THAT(Validate(&batch),
              ElementsAre("row 6, column wachtenden: repeats row 2: same indicator, care form, "
                          "municipality and period"));
}

TEST_F(ValidationTest, RepeatedSeriesOnTheApiPathPointsAtTheFirstIndex) {
  Observations batch = Batch({
      Obs("fte_bezet", "", 40, "2026-04-01", "2026-06-30"),
      Obs("wachtenden", "verblijf", 12),
      Obs("fte_bezet", "", 41, "2026-04-01", "2026-06-30"),
  });
  EXPECT_THAT(Validate(&batch),
              ElementsAre("column observations[2].indicator: repeats observations[0]: same "
                          "indicator, care form, municipality and period"));
}

TEST_F(ValidationTest, RepeatsAreFoundAfterMunicipalityNormalisation) {
  api::Observation bare = Obs("wachtenden", "verblijf", 12);
  bare.set_municipality("0034");
  api::Observation prefixed = bare;
  prefixed.set_municipality("GM0034");
  api::Observation other_municipality = bare;
  other_municipality.set_municipality("GM0303");
  other_municipality.mutable_period()->set_start("2019-01-01");
  other_municipality.mutable_period()->set_end("2019-01-31");
  Observations batch = Batch({bare, prefixed, other_municipality});
  EXPECT_THAT(Validate(&batch),
              ElementsAre("column observations[1].indicator: repeats observations[0]: same "
                          "indicator, care form, municipality and period"));
}

TEST_F(ValidationTest, OccupiedAboveOperationalIsRefused) {
  Observations batch = Batch({
      Obs("plaatsen_bezet", "verblijf", 12, "2026-11-16", "2026-11-22"),
      Obs("plaatsen_operationeel", "verblijf", 10, "2026-11-16", "2026-11-22"),
  });
  EXPECT_THAT(Validate(&batch),
              ElementsAre("column observations[0].value: plaatsen_bezet 12 is above "
                          "plaatsen_operationeel 10 for the same care form and period"));
}

TEST_F(ValidationTest, OccupiedAboveOperationalInAFileBlamesTheValueColumn) {
  Observations long_form = Batch({
      FromRow(Obs("plaatsen_operationeel", "verblijf", 10, "2026-11-16", "2026-11-22"), 2),
      FromRow(Obs("plaatsen_bezet", "verblijf", 11, "2026-11-16", "2026-11-22"), 3),
  });
  EXPECT_THAT(Validate(&long_form),
              ElementsAre("row 3, column value: plaatsen_bezet 11 is above plaatsen_operationeel "
                          "10 for the same care form and period"));
  Observations wide_form = Batch({
      FromRow(Obs("plaatsen_operationeel", "verblijf", 10, "2026-11-16", "2026-11-22"), 2,
              "plaatsen_operationeel"),
      FromRow(Obs("plaatsen_bezet", "verblijf", 11, "2026-11-16", "2026-11-22"), 2,
              "plaatsen_bezet"),
  });
  EXPECT_THAT(Validate(&wide_form),
              ElementsAre("row 2, column plaatsen_bezet: plaatsen_bezet 11 is above "
                          "plaatsen_operationeel 10 for the same care form and period"));
}

TEST_F(ValidationTest, OccupiedIsComparedOnlyWithinTheSameSeriesAndPeriod) {
  Observations batch = Batch({
      Obs("plaatsen_operationeel", "verblijf", 10, "2026-11-16", "2026-11-22"),
      // Same care form, the week before.
      Obs("plaatsen_bezet", "verblijf", 12, "2026-11-09", "2026-11-15"),
      // Same week, other care form.
      Obs("plaatsen_bezet", "crisishulp", 12, "2026-11-16", "2026-11-22"),
      // Equal is fine.
      Obs("plaatsen_bezet", "verblijf", 10, "2026-11-16", "2026-11-22"),
      // Same week and care form, but for one municipality: another series.
      [] {
        api::Observation o = Obs("plaatsen_bezet", "verblijf", 12, "2026-11-16", "2026-11-22");
        o.set_municipality("GM0034");
        return o;
      }(),
  });
  EXPECT_THAT(Validate(&batch), IsEmpty());
}

TEST_F(ValidationTest, OccupiedWithoutOperationalIsNotBounded) {
  Observations batch = Batch({Obs("plaatsen_bezet", "verblijf", 9000, "2026-11-16", "2026-11-22")});
  EXPECT_THAT(Validate(&batch), IsEmpty());
}

TEST_F(ValidationTest, SeveralProblemsOfOneObservationAreAllReported) {
  Observations batch =
      Batch({FromRow(Obs("wachtenden", "pleegzorg", 2.5, "2026-10-01", "2026-10-30"), 3)});
  EXPECT_THAT(Validate(&batch),
              ElementsAre("row 3, column value: 2.5 is not a whole number; wachtenden is a count",
                          absl::StrCat("row 3, column care_form: unknown care form 'pleegzorg'; "
                                       "known: ",
                                       kCareForms),
                          "row 3, column period_end: period 2026-10-01 to 2026-10-30 is not a "
                          "whole day, ISO week (Monday to Sunday), month, quarter or year"));
}

TEST_F(ValidationTest, ProblemsOfEarlierObservationsComeFirst) {
  Observations batch = Batch({
      FromRow(Obs("wachtenden", "verblijf", -1), 2),
      FromRow(Obs("wachtenden", "crisishulp", 1), 3),
      FromRow(Obs("wachtenden", "", 1), 4),
  });
  EXPECT_THAT(Validate(&batch),
              ElementsAre("row 2, column value: -1 is below the minimum 0 for wachtenden",
                          "row 4, column care_form: wachtenden is reported per care form: fill in "
                          "care_form"));
}

TEST_F(ValidationTest, ValidMixedBatchHasNoProblems) {
  api::Observation almere = Obs("wachtenden", "hoogspecialistische_jeugd_ggz", 7);
  almere.set_municipality("GM0034");
  api::Observation dronten_2019 = Obs("wachtenden", "verblijf", 4, "2019-12-01", "2019-12-31");
  dronten_2019.set_municipality("GM0303");
  api::Observation stated_week = Obs("clientenstop", "crisishulp", 1, "2026-11-16", "2026-11-22");
  stated_week.mutable_period()->set_granularity(types::GRANULARITY_WEEK);
  Observations batch = Batch({
      Obs("wachtenden", "verblijf", 12),
      Obs("wachtenden", "kortdurend_verblijf", 0),
      almere,
      dronten_2019,
      Obs("wachttijd_intake_weken", "verblijf", 6.5),
      Obs("wachttijd_behandeling_weken", "verblijf", 0),
      stated_week,
      Obs("clientenstop", "verblijf", 0, "2026-11-16", "2026-11-22"),
      Obs("plaatsen_gecontracteerd", "verblijf", 24, "2026-11-16", "2026-11-22"),
      Obs("plaatsen_operationeel", "verblijf", 20, "2026-11-16", "2026-11-22"),
      Obs("plaatsen_bezet", "verblijf", 20, "2026-11-16", "2026-11-22"),
      Obs("plaatsen_bezet", "dagbehandeling", 5, "2026-11-16", "2026-11-22"),
      Obs("fte_begroot", "", 120.5, "2026-07-01", "2026-09-30"),
      Obs("fte_bezet", "", 110.25, "2026-07-01", "2026-09-30"),
      Obs("verzuim_ratio", "", 0.065, "2026-07-01", "2026-09-30"),
      Obs("omzet_totaal", "", 12500000.5, "2026-07-01", "2026-09-30"),
      Obs("bedrijfsresultaat", "", -250000, "2026-07-01", "2026-09-30"),
      Obs("eigen_vermogen", "", 1e6, "2025-01-01", "2025-12-31"),
      Obs("wachtenden", "multidisciplinair_ggz_complex", 3, "2026-11-20", "2026-11-20"),
  });
  EXPECT_THAT(Validate(&batch), IsEmpty());
  EXPECT_EQ(batch[0].period().granularity(), types::GRANULARITY_MONTH);
  EXPECT_EQ(batch[6].period().granularity(), types::GRANULARITY_WEEK);
  EXPECT_EQ(batch[12].period().granularity(), types::GRANULARITY_QUARTER);
  EXPECT_EQ(batch[17].period().granularity(), types::GRANULARITY_YEAR);
  EXPECT_EQ(batch[18].period().granularity(), types::GRANULARITY_DAY);
}

TEST_F(ValidationTest, EmptyBatchHasNoProblems) {
  Observations batch;
  EXPECT_THAT(Validate(&batch), IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// Known defects, kept as tests so that the fix is checked.

// validation.h promises problems "in observation order", but the occupied-above-operational
// problems are appended after all others.
TEST_F(ValidationTest, NotAboveProblemsFollowObservationOrder) {
  Observations batch = Batch({
      FromRow(Obs("plaatsen_bezet", "verblijf", 12, "2026-11-16", "2026-11-22"), 2),
      FromRow(Obs("plaatsen_operationeel", "verblijf", 10, "2026-11-16", "2026-11-22"), 3),
      FromRow(Obs("wachtenden", "verblijf", -1), 4),
  });
  EXPECT_THAT(Validate(&batch),
              ElementsAre("row 2, column value: plaatsen_bezet 12 is above plaatsen_operationeel "
                          "10 for the same care form and period",
                          "row 4, column value: -1 is below the minimum 0 for wachtenden"));
}

// Values are printed with %g (six significant digits), so a value just above the maximum is
// reported as equal to it.
TEST_F(ValidationTest, AboveMaximumMessageShowsTheValueAsWritten) {
  Observations batch = Batch({Obs("wachtenden", "verblijf", 100000.4)});
  const std::vector<Problem> problems = ValidateObservations(context_, &batch);
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_EQ(problems[0].message, "100000.4 is above the maximum 100000 for wachtenden");
  EXPECT_EQ(problems[0].value, "100000.4");
}

}  // namespace
}  // namespace vroeg
