// AggregateBuilder and ComplianceBuilder (server/export_aggregates.h, server/export_compliance.h):
// the figures and records of the export API, from rows in the store's order, against numbers
// worked out by hand.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/catalogue.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "server/early_warning/settings.h"
#include "server/export_aggregates.h"
#include "server/export_compliance.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kA[] = "urn:vroeg:provider:11111111";
constexpr char kB[] = "urn:vroeg:provider:22222222";
constexpr char kC[] = "urn:vroeg:provider:33333333";
constexpr char kD[] = "urn:vroeg:provider:44444444";
constexpr char kInstitution[] = "urn:vroeg:certified_institution:55555555";
constexpr char kNewcomer[] = "urn:vroeg:provider:66666666";

// Availability: a count, a mean weighted by it (monthly, providers and certified institutions),
// an intake stop (weekly, providers only). Capacity: a largest group (quarterly, providers).
// Finance: revenue, not aggregated.
std::shared_ptr<const Catalogue> TestCatalogue() {
  constexpr char kCatalogue[] = R"pb(
    version: "test.1"
    care_forms { code: "verblijf" name_nl: "Verblijf" name_en: "Residential care" }
    care_forms { code: "crisishulp" name_nl: "Crisishulp" name_en: "Crisis care" }
    indicators {
      code: "wachtenden"
      name_nl: "Wachtenden"
      name_en: "Waiting"
      unit: UNIT_COUNT
      min: 0
      max: 100000
      reporter_kinds: REPORTER_KIND_PROVIDER
      reporter_kinds: REPORTER_KIND_CERTIFIED_INSTITUTION
      dataset: DATASET_AVAILABILITY
      cadence: GRANULARITY_MONTH
      aggregation: AGGREGATION_SUM
      care_form_use: CARE_FORM_USE_REQUIRED
      metric { name: "jeugdzorg_waiting_youths" help: "Waiting." }
    }
    indicators {
      code: "wachttijd_intake_weken"
      name_nl: "Wachttijd"
      name_en: "Waiting time"
      unit: UNIT_WEEKS
      min: 0
      max: 520
      reporter_kinds: REPORTER_KIND_PROVIDER
      reporter_kinds: REPORTER_KIND_CERTIFIED_INSTITUTION
      dataset: DATASET_AVAILABILITY
      cadence: GRANULARITY_MONTH
      aggregation: AGGREGATION_WEIGHTED_MEAN
      weight_indicator: "wachtenden"
      care_form_use: CARE_FORM_USE_REQUIRED
      metric { name: "jeugdzorg_waiting_time_to_intake_seconds" help: "Waiting time." }
    }
    indicators {
      code: "clientenstop"
      name_nl: "Clientenstop"
      name_en: "Intake stop"
      unit: UNIT_BOOLEAN
      min: 0
      max: 1
      reporter_kinds: REPORTER_KIND_PROVIDER
      dataset: DATASET_AVAILABILITY
      cadence: GRANULARITY_WEEK
      aggregation: AGGREGATION_COUNT_TRUE
      care_form_use: CARE_FORM_USE_REQUIRED
      metric { name: "jeugdzorg_intake_stop" help: "Intake stop." }
    }
    indicators {
      code: "groepsgrootte_max"
      name_nl: "Grootste groep"
      name_en: "Largest group"
      unit: UNIT_COUNT
      min: 0
      max: 1000
      reporter_kinds: REPORTER_KIND_PROVIDER
      dataset: DATASET_CAPACITY
      cadence: GRANULARITY_QUARTER
      aggregation: AGGREGATION_MAX
      care_form_use: CARE_FORM_USE_REQUIRED
      metric { name: "jeugdzorg_largest_group" help: "Largest group." }
    }
    indicators {
      code: "omzet_totaal"
      name_nl: "Omzet"
      name_en: "Revenue"
      unit: UNIT_EUROS
      min: 0
      max: 1e11
      reporter_kinds: REPORTER_KIND_PROVIDER
      dataset: DATASET_FINANCE
      cadence: GRANULARITY_QUARTER
      aggregation: AGGREGATION_NONE
      care_form_use: CARE_FORM_USE_FORBIDDEN
      metric { name: "jeugdzorg_revenue_total_euros" help: "Revenue." }
    }
  )pb";
  catalogue::v1::Catalogue proto;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(kCatalogue, &proto));
  auto catalogue = Catalogue::FromProto(proto);
  EXPECT_TRUE(catalogue.ok()) << catalogue.status();
  return catalogue.ok() ? *catalogue : nullptr;
}

absl::Time At(int year, int month, int day, int hour = 0) {
  return absl::FromCivil(absl::CivilHour(year, month, day, hour), absl::UTCTimeZone());
}

StoredObservation Row(const std::string& reporter, const std::string& indicator,
                      const std::string& care_form, const std::string& municipality,
                      const std::string& start, const std::string& end, double value,
                      absl::Time received_at = At(2026, 10, 1)) {
  StoredObservation o;
  o.series = {reporter, indicator, care_form, municipality};
  o.period_start = start;
  o.period_end = end;
  o.granularity = type::v1::GRANULARITY_MONTH;
  o.value = value;
  o.received_at = received_at;
  return o;
}

StoredObservation September(const std::string& reporter, const std::string& indicator,
                            const std::string& care_form, const std::string& municipality,
                            double value) {
  return Row(reporter, indicator, care_form, municipality, "2026-09-01", "2026-09-30", value);
}

// "scope region municipality indicator care_form value [weight] reporters"
std::string Describe(const api::v1::AggregateFigure& f) {
  return absl::StrCat(api::v1::AggregateScope_Name(f.scope()).substr(16), " ", f.region(), " ",
                      f.municipality(), " ", f.indicator(), " ", f.care_form(), " ", f.value(),
                      f.aggregation() == catalogue::v1::AGGREGATION_WEIGHTED_MEAN
                          ? absl::StrCat(" w", f.weight())
                          : "",
                      " r", f.reporters());
}

class AggregateBuilderTest : public ::testing::Test {
 protected:
  // Feeds `rows` (all of region `region` unless given per row) and returns every figure.
  std::vector<std::string> Run(const AggregateOptions& options,
                               const std::vector<std::pair<std::string, StoredObservation>>& rows,
                               uint64_t* unweighted = nullptr) {
    AggregateBuilder builder(catalogue_.get(), options);
    std::vector<std::string> figures;
    auto emit = [&](api::v1::AggregateFigure&& f) {
      figures.push_back(Describe(f));
      EXPECT_EQ(f.period().granularity(), type::v1::GRANULARITY_MONTH);
      return true;
    };
    for (const auto& [region, row] : rows) EXPECT_TRUE(builder.Add(region, row, emit));
    EXPECT_TRUE(builder.Finish(emit));
    if (unweighted != nullptr) *unweighted = builder.unweighted();
    return figures;
  }

  // One month of one region, in the store's order (reporter, indicator, care form,
  // municipality).
  std::vector<std::pair<std::string, StoredObservation>> Flevoland() {
    std::vector<StoredObservation> rows = {
        September(kA, "clientenstop", "verblijf", "", 1),
        September(kA, "groepsgrootte_max", "verblijf", "", 7),
        September(kA, "omzet_totaal", "", "", 1000),
        September(kA, "wachtenden", "verblijf", "", 1),
        September(kA, "wachtenden", "verblijf", "GM0034", 10),
        September(kA, "wachtenden", "verblijf", "GM0303", 4),
        September(kA, "wachttijd_intake_weken", "verblijf", "GM0034", 6),
        September(kA, "wachttijd_intake_weken", "verblijf", "GM0303", 3),
        September(kB, "clientenstop", "verblijf", "", 0),
        September(kB, "groepsgrootte_max", "verblijf", "", 9),
        September(kB, "wachtenden", "crisishulp", "GM0034", 2),
        September(kB, "wachtenden", "verblijf", "GM0034", 5),
        September(kB, "wachttijd_intake_weken", "verblijf", "GM0034", 12),
        September(kC, "clientenstop", "verblijf", "", 1),
        // No weight: left out.
        September(kC, "wachttijd_intake_weken", "verblijf", "GM0034", 20),
    };
    std::vector<std::pair<std::string, StoredObservation>> out;
    for (StoredObservation& row : rows) out.push_back({"flevoland", std::move(row)});
    return out;
  }

  std::shared_ptr<const Catalogue> catalogue_ = TestCatalogue();
};

TEST_F(AggregateBuilderTest, RegionFiguresByEveryAggregation) {
  uint64_t unweighted = 0;
  // wachttijd: (10 x 6 + 4 x 3 + 5 x 12) / (10 + 4 + 5) = 132 / 19.
  EXPECT_THAT(Run({}, Flevoland(), &unweighted),
              ElementsAre("REGION flevoland  clientenstop verblijf 2 r3",
                          "REGION flevoland  groepsgrootte_max verblijf 9 r2",
                          "REGION flevoland  wachtenden crisishulp 2 r1",
                          "REGION flevoland  wachtenden verblijf 20 r2",
                          absl::StrCat("REGION flevoland  wachttijd_intake_weken verblijf ",
                                       132.0 / 19, " w19 r2")));
  EXPECT_EQ(unweighted, 1u);
}

TEST_F(AggregateBuilderTest, ByMunicipalityAddsUpToTheRegion) {
  AggregateOptions options;
  options.by_municipality = true;
  options.indicators = {"wachtenden", "wachttijd_intake_weken"};
  EXPECT_THAT(Run(options, Flevoland()),
              ElementsAre("REGION flevoland  wachtenden crisishulp 2 r1",
                          "MUNICIPALITY flevoland GM0034 wachtenden crisishulp 2 r1",
                          "REGION flevoland  wachtenden verblijf 20 r2",
                          "MUNICIPALITY flevoland GM0034 wachtenden verblijf 15 r2",
                          "MUNICIPALITY flevoland GM0303 wachtenden verblijf 4 r1",
                          "NO_MUNICIPALITY flevoland  wachtenden verblijf 1 r1",
                          absl::StrCat("REGION flevoland  wachttijd_intake_weken verblijf ",
                                       132.0 / 19, " w19 r2"),
                          // (10 x 6 + 5 x 12) / 15
                          "MUNICIPALITY flevoland GM0034 wachttijd_intake_weken verblijf 8 w15 r2",
                          "MUNICIPALITY flevoland GM0303 wachttijd_intake_weken verblijf 3 w4 r1"));
}

TEST_F(AggregateBuilderTest, TheMunicipalityFilterLimitsMunicipalityFiguresNotTheRegion) {
  AggregateOptions options;
  options.by_municipality = true;
  options.indicators = {"wachtenden"};
  options.municipalities = {"GM0303"};
  EXPECT_THAT(Run(options, Flevoland()),
              ElementsAre("REGION flevoland  wachtenden crisishulp 2 r1",
                          "REGION flevoland  wachtenden verblijf 20 r2",
                          "MUNICIPALITY flevoland GM0303 wachtenden verblijf 4 r1"));
  options.municipalities = {""};
  EXPECT_THAT(Run(options, Flevoland()),
              ElementsAre("REGION flevoland  wachtenden crisishulp 2 r1",
                          "REGION flevoland  wachtenden verblijf 20 r2",
                          "NO_MUNICIPALITY flevoland  wachtenden verblijf 1 r1"));
}

TEST_F(AggregateBuilderTest, AMeanIsWeightedEvenWhenItsWeightIsNotAskedFor) {
  AggregateOptions options;
  options.indicators = {"wachttijd_intake_weken"};
  EXPECT_THAT(Run(options, Flevoland()),
              ElementsAre(absl::StrCat("REGION flevoland  wachttijd_intake_weken verblijf ",
                                       132.0 / 19, " w19 r2")));
}

TEST_F(AggregateBuilderTest, AMeanWithoutWeightIsNotSent) {
  uint64_t unweighted = 0;
  EXPECT_THAT(Run({},
                  {{"flevoland", September(kA, "wachtenden", "verblijf", "", 0)},
                   {"flevoland", September(kA, "wachttijd_intake_weken", "verblijf", "", 5)},
                   {"flevoland", September(kB, "wachttijd_intake_weken", "verblijf", "", 9)}},
                  &unweighted),
              ElementsAre("REGION flevoland  wachtenden verblijf 0 r1"));
  EXPECT_EQ(unweighted, 1u);
}

TEST_F(AggregateBuilderTest, NationalFiguresCombineTheRegions) {
  std::vector<std::pair<std::string, StoredObservation>> rows = {
      {"flevoland", September(kA, "clientenstop", "verblijf", "", 1)},
      {"flevoland", September(kA, "groepsgrootte_max", "verblijf", "", 7)},
      {"flevoland", September(kA, "wachtenden", "verblijf", "", 10)},
      {"flevoland", September(kA, "wachttijd_intake_weken", "verblijf", "", 6)},
      {"utrecht", September(kC, "clientenstop", "verblijf", "", 0)},
      {"utrecht", September(kD, "clientenstop", "verblijf", "", 1)},
      {"utrecht", September(kD, "groepsgrootte_max", "verblijf", "", 11)},
      {"utrecht", September(kD, "wachtenden", "verblijf", "", 30)},
      {"utrecht", September(kD, "wachttijd_intake_weken", "verblijf", "", 2)},
  };
  AggregateOptions options;
  options.national = true;
  EXPECT_THAT(Run(options, rows),
              ElementsAre("REGION flevoland  clientenstop verblijf 1 r1",
                          "REGION utrecht  clientenstop verblijf 1 r2",
                          "NATIONAL   clientenstop verblijf 2 r3",
                          "REGION flevoland  groepsgrootte_max verblijf 7 r1",
                          "REGION utrecht  groepsgrootte_max verblijf 11 r1",
                          "NATIONAL   groepsgrootte_max verblijf 11 r2",
                          "REGION flevoland  wachtenden verblijf 10 r1",
                          "REGION utrecht  wachtenden verblijf 30 r1",
                          "NATIONAL   wachtenden verblijf 40 r2",
                          "REGION flevoland  wachttijd_intake_weken verblijf 6 w10 r1",
                          "REGION utrecht  wachttijd_intake_weken verblijf 2 w30 r1",
                          // (6 x 10 + 2 x 30) / 40
                          "NATIONAL   wachttijd_intake_weken verblijf 3 w40 r2"));
  // A regional collector sends none.
  EXPECT_THAT(Run({}, rows),
              ::testing::Not(::testing::Contains(::testing::StartsWith("NATIONAL"))));
}

TEST_F(AggregateBuilderTest, EachPeriodIsSentWhenTheNextBeginsAndStopsWhenTold) {
  AggregateBuilder builder(catalogue_.get(), {});
  std::vector<std::string> periods;
  bool accept = true;
  auto emit = [&](api::v1::AggregateFigure&& f) {
    periods.push_back(absl::StrCat(f.period().start(), "..", f.period().end(), " ", f.value()));
    return accept;
  };
  EXPECT_TRUE(builder.Add(
      "flevoland", Row(kA, "wachtenden", "verblijf", "", "2026-08-01", "2026-08-31", 3), emit));
  EXPECT_TRUE(builder.Add(
      "flevoland", Row(kB, "wachtenden", "verblijf", "", "2026-08-01", "2026-08-31", 4), emit));
  EXPECT_THAT(periods, IsEmpty());
  EXPECT_TRUE(builder.Add("flevoland", September(kA, "wachtenden", "verblijf", "", 5), emit));
  EXPECT_THAT(periods, ElementsAre("2026-08-01..2026-08-31 7"));
  accept = false;
  EXPECT_FALSE(builder.Add(
      "flevoland", Row(kA, "wachtenden", "verblijf", "", "2026-10-01", "2026-10-31", 6), emit));
  EXPECT_THAT(periods, ElementsAre("2026-08-01..2026-08-31 7", "2026-09-01..2026-09-30 5"));
}

// Compliance.

google::protobuf::Timestamp Ts(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

// "reporter dataset start..end status [first received] [last period end]"
std::string Describe(const api::v1::ComplianceRecord& r) {
  std::string text =
      absl::StrCat(r.reporter().substr(10), " ", catalogue::v1::Dataset_Name(r.dataset()).substr(8),
                   " ", r.period().start(), "..", r.period().end(), " ",
                   api::v1::ComplianceStatus_Name(r.status()).substr(18));
  if (r.has_last_period_received())
    absl::StrAppend(&text, " last ", r.last_period_received().end());
  return text;
}

class ComplianceBuilderTest : public ::testing::Test {
 protected:
  ComplianceBuilderTest() {
    options_.settings.mutable_grace()->set_week_days(3);
    options_.settings.mutable_grace()->set_month_days(10);
    options_.settings.mutable_grace()->set_quarter_days(20);
    EXPECT_TRUE(early_warning::ApplyEarlyWarningDefaults(&options_.settings).ok());
    options_.region = "flevoland";
    options_.as_of = At(2026, 11, 5, 12);
  }

  std::vector<api::v1::ComplianceRecord> Records(const std::vector<StoredObservation>& rows) {
    ComplianceBuilder builder(catalogue_.get(), options_);
    for (const StoredObservation& row : rows) builder.Add("flevoland", row);
    return builder.Records();
  }

  std::vector<std::string> Described(const std::vector<StoredObservation>& rows) {
    std::vector<std::string> out;
    for (const api::v1::ComplianceRecord& r : Records(rows)) out.push_back(Describe(r));
    return out;
  }

  // A certified institution sends availability monthly (the weekly intake stop is not its).
  std::vector<StoredObservation> Institution() {
    return {
        // July, on time (due 2026-08-11).
        Row(kInstitution, "wachtenden", "verblijf", "", "2026-07-01", "2026-07-31", 3,
            At(2026, 8, 5)),
        // August, late (due 2026-09-11): the first value counts, not the correction.
        Row(kInstitution, "wachttijd_intake_weken", "verblijf", "", "2026-08-01", "2026-08-31", 2,
            At(2026, 9, 20)),
        Row(kInstitution, "wachtenden", "verblijf", "", "2026-08-01", "2026-08-31", 3,
            At(2026, 9, 25)),
        Row(kInstitution, "wachtenden", "verblijf", "", "2026-08-01", "2026-08-31", 4,
            At(2026, 10, 2)),
        // September, after as_of (due 2026-10-11).
        Row(kInstitution, "wachtenden", "verblijf", "", "2026-09-01", "2026-09-30", 3,
            At(2026, 11, 10)),
    };
  }

  std::shared_ptr<const Catalogue> catalogue_ = TestCatalogue();
  ComplianceOptions options_;
};

TEST_F(ComplianceBuilderTest, OnTimeLateOverdueAndNotDue) {
  options_.period_end_from = absl::CivilDay(2026, 7, 1);
  options_.period_end_to = absl::CivilDay(2026, 11, 30);
  std::vector<api::v1::ComplianceRecord> records = Records(Institution());
  ASSERT_EQ(records.size(), 5u);
  std::vector<std::string> described;
  for (const auto& r : records) described.push_back(Describe(r));
  EXPECT_THAT(described,
              ElementsAre("certified_institution:55555555 AVAILABILITY 2026-07-01..2026-07-31 "
                          "ON_TIME last 2026-08-31",
                          "certified_institution:55555555 AVAILABILITY 2026-08-01..2026-08-31 "
                          "LATE last 2026-08-31",
                          // The September figures came after as_of.
                          "certified_institution:55555555 AVAILABILITY 2026-09-01..2026-09-30 "
                          "OVERDUE last 2026-08-31",
                          // Due 2026-11-11.
                          "certified_institution:55555555 AVAILABILITY 2026-10-01..2026-10-31 "
                          "NOT_DUE last 2026-08-31",
                          "certified_institution:55555555 AVAILABILITY 2026-11-01..2026-11-30 "
                          "NOT_DUE last 2026-08-31"));
  EXPECT_EQ(records[0].cadence(), type::v1::GRANULARITY_MONTH);
  EXPECT_EQ(records[0].region(), "flevoland");
  EXPECT_EQ(records[0].due(), Ts(At(2026, 8, 11)));
  EXPECT_EQ(records[0].first_received_at(), Ts(At(2026, 8, 5)));
  EXPECT_EQ(records[1].due(), Ts(At(2026, 9, 11)));
  EXPECT_EQ(records[1].first_received_at(), Ts(At(2026, 9, 20)));
  EXPECT_FALSE(records[2].has_first_received_at());
  EXPECT_EQ(records[3].due(), Ts(At(2026, 11, 11)));
}

TEST_F(ComplianceBuilderTest, ALaterAsOfSeesTheLaterReceipts) {
  options_.as_of = At(2026, 11, 12);
  EXPECT_THAT(Described(Institution()),
              ElementsAre("certified_institution:55555555 AVAILABILITY 2026-07-01..2026-07-31 "
                          "ON_TIME last 2026-09-30",
                          "certified_institution:55555555 AVAILABILITY 2026-08-01..2026-08-31 "
                          "LATE last 2026-09-30",
                          "certified_institution:55555555 AVAILABILITY 2026-09-01..2026-09-30 "
                          "LATE last 2026-09-30",
                          // Open end: up to as_of; due 2026-11-11.
                          "certified_institution:55555555 AVAILABILITY 2026-10-01..2026-10-31 "
                          "OVERDUE last 2026-09-30"));
}

TEST_F(ComplianceBuilderTest, TheCadenceIsTheShortestOfWhatTheKindSends) {
  options_.period_end_from = absl::CivilDay(2026, 9, 1);
  options_.period_end_to = absl::CivilDay(2026, 9, 30);
  std::vector<StoredObservation> rows = Institution();
  rows.push_back(
      Row(kA, "wachtenden", "verblijf", "", "2026-09-01", "2026-09-30", 3, At(2026, 10, 3)));
  rows.push_back(
      Row(kA, "clientenstop", "verblijf", "", "2026-09-07", "2026-09-13", 0, At(2026, 9, 15)));
  std::vector<api::v1::ComplianceRecord> records = Records(rows);
  std::vector<std::string> described;
  for (const auto& r : records) described.push_back(Describe(r));
  // Weeks (Monday to Sunday) ending in September for the provider, the month for the
  // institution; by period end, then reporter.
  EXPECT_THAT(described,
              ElementsAre("provider:11111111 AVAILABILITY 2026-08-31..2026-09-06 OVERDUE last "
                          "2026-09-30",
                          "provider:11111111 AVAILABILITY 2026-09-07..2026-09-13 ON_TIME last "
                          "2026-09-30",
                          "provider:11111111 AVAILABILITY 2026-09-14..2026-09-20 OVERDUE last "
                          "2026-09-30",
                          "provider:11111111 AVAILABILITY 2026-09-21..2026-09-27 OVERDUE last "
                          "2026-09-30",
                          "certified_institution:55555555 AVAILABILITY 2026-09-01..2026-09-30 "
                          "OVERDUE last 2026-08-31"));
  EXPECT_EQ(records[0].cadence(), type::v1::GRANULARITY_WEEK);
  // 2026-09-07 + 7 days + 3 days of grace.
  EXPECT_EQ(records[1].due(), Ts(At(2026, 9, 17)));
  EXPECT_EQ(records[4].cadence(), type::v1::GRANULARITY_MONTH);
}

TEST_F(ComplianceBuilderTest, AnExpectedReporterThatNeverReported) {
  options_.settings.add_expected_reporters(kNewcomer);
  options_.datasets = {catalogue::v1::DATASET_CAPACITY, catalogue::v1::DATASET_AVAILABILITY};
  std::vector<api::v1::ComplianceRecord> records = Records(Institution());
  std::vector<std::string> newcomer;
  for (const auto& r : records) {
    if (r.reporter() == kNewcomer) newcomer.push_back(Describe(r));
  }
  // Availability: every week from the one holding the first period anyone sent (2026-07-01)
  // to the last one ended by as_of (2026-10-26..11-01), 18 weeks.
  ASSERT_EQ(newcomer.size(), 19u);
  EXPECT_EQ(newcomer.front(), "provider:66666666 AVAILABILITY 2026-06-29..2026-07-05 OVERDUE");
  // Capacity: nobody sent any, so only the newest quarter ended by as_of, due 2026-10-21.
  EXPECT_THAT(newcomer,
              ::testing::Contains("provider:66666666 CAPACITY 2026-07-01..2026-09-30 OVERDUE"));
  // Due 2026-10-26 + 7 + 3 days = 2026-11-05 00:00, before as_of.
  EXPECT_EQ(newcomer.back(), "provider:66666666 AVAILABILITY 2026-10-26..2026-11-01 OVERDUE");
  options_.as_of = At(2026, 11, 4, 12);
  EXPECT_EQ(Describe(Records(Institution()).back()),
            "provider:66666666 AVAILABILITY 2026-10-26..2026-11-01 NOT_DUE");
  for (const auto& r : records) {
    if (r.reporter() == kNewcomer) {
      EXPECT_EQ(r.region(), "flevoland");
    }
  }
  // Finance was not asked for; the filter on reporters leaves the newcomer out entirely.
  options_.reporters = {kInstitution};
  for (const auto& r : Records(Institution())) EXPECT_EQ(r.reporter(), kInstitution);
}

}  // namespace
}  // namespace vroeg
