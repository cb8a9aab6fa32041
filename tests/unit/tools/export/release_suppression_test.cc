#include "tools/vroegctl/export/release_suppression.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/unit/tools/export/export_test_catalogue.h"

namespace vroeg::export_format {
namespace {

using ::testing::ElementsAre;
using ::vroeg::disclosure::Suppression;
using ::vroeg::testing::ExportTestCatalogue;
using ::vroeg::testing::IsOkAndHolds;
using ::vroeg::testing::StatusIs;

constexpr Suppression N = Suppression::kNone;
constexpr Suppression P = Suppression::kPrimary;
constexpr Suppression C = Suppression::kComplementary;

api::v1::AggregateFigure Figure(const std::string& indicator, api::v1::AggregateScope scope,
                                const std::string& municipality, double value, double weight = 0) {
  api::v1::AggregateFigure figure;
  figure.set_region(scope == api::v1::AGGREGATE_SCOPE_NATIONAL ? "" : "flevoland");
  figure.set_scope(scope);
  figure.set_municipality(municipality);
  figure.mutable_period()->set_start("2026-09-01");
  figure.mutable_period()->set_end("2026-09-30");
  figure.set_indicator(indicator);
  figure.set_care_form("verblijf");
  const std::shared_ptr<const Catalogue> catalogue = ExportTestCatalogue();
  figure.set_aggregation(catalogue->FindIndicator(indicator)->aggregation());
  figure.set_value(value);
  figure.set_weight(weight);
  return figure;
}

constexpr auto kRegion = api::v1::AGGREGATE_SCOPE_REGION;
constexpr auto kMunicipality = api::v1::AGGREGATE_SCOPE_MUNICIPALITY;
constexpr auto kNoMunicipality = api::v1::AGGREGATE_SCOPE_NO_MUNICIPALITY;

TEST(SuppressAggregatesTest, MunicipalitiesAndTheirRegionalTotal) {
  // Almere 3 is small; Dronten 8 is the next smallest and protects it. The figures without a
  // municipality (20) are a part of the regional sum like any municipality.
  const std::vector<api::v1::AggregateFigure> figures = {
      Figure("wachtenden", kMunicipality, "GM0034", 3),
      Figure("wachtenden", kMunicipality, "GM0303", 8),
      Figure("wachtenden", kMunicipality, "GM0995", 30),
      Figure("wachtenden", kNoMunicipality, "", 20),
      Figure("wachtenden", kRegion, "", 61),
  };
  EXPECT_THAT(SuppressAggregates(figures, *ExportTestCatalogue(), 5),
              IsOkAndHolds(ElementsAre(P, C, N, N, N)));
  EXPECT_THAT(SuppressAggregates(figures, *ExportTestCatalogue(), 1),
              IsOkAndHolds(ElementsAre(N, N, N, N, N)));
}

TEST(SuppressAggregatesTest, MeansGoWithTheirWeights) {
  std::vector<api::v1::AggregateFigure> figures = {
      Figure("wachtenden", kMunicipality, "GM0034", 3),
      Figure("wachtenden", kMunicipality, "GM0303", 8),
      Figure("wachtenden", kRegion, "", 11),
      // Means over the same youths: Almere's and Dronten's go with their counts.
      Figure("wachttijd_intake_weken", kMunicipality, "GM0034", 6.5, 3),
      Figure("wachttijd_intake_weken", kMunicipality, "GM0303", 4, 8),
      Figure("wachttijd_intake_weken", kRegion, "", 4.6, 11),
      // Not counts of youths: published whatever their size.
      Figure("fte_bezet", kRegion, "", 2),
      Figure("verzuim_ratio", kRegion, "", 0.05, 2),
  };
  figures[6].clear_care_form();
  figures[7].clear_care_form();
  EXPECT_THAT(SuppressAggregates(figures, *ExportTestCatalogue(), 5),
              IsOkAndHolds(ElementsAre(P, C, N, P, C, N, N, N)));
}

TEST(SuppressAggregatesTest, AMeanWhoseOwnWeightIsSmallIsWithheld) {
  // The waiting time was reported by fewer reporters than the count: its weight 2 is small even
  // though the count 40 is not. The other municipality's mean protects it, and the count goes too,
  // as a count usually equals the weight of its mean and would give it away.
  const std::vector<api::v1::AggregateFigure> figures = {
      Figure("wachtenden", kMunicipality, "GM0034", 40),
      Figure("wachttijd_intake_weken", kMunicipality, "GM0034", 9, 2),
      Figure("wachttijd_intake_weken", kMunicipality, "GM0303", 3, 12),
      Figure("wachttijd_intake_weken", kRegion, "", 4, 14),
  };
  EXPECT_THAT(SuppressAggregates(figures, *ExportTestCatalogue(), 5),
              IsOkAndHolds(ElementsAre(C, P, C, N)));
}

TEST(SuppressAggregatesTest, RegionsAddUpToTheNation) {
  std::vector<api::v1::AggregateFigure> figures = {
      Figure("wachtenden", kRegion, "", 4),
      Figure("wachtenden", kRegion, "", 50),
      Figure("wachtenden", kRegion, "", 70),
      Figure("wachtenden", api::v1::AGGREGATE_SCOPE_NATIONAL, "", 124),
  };
  figures[1].set_region("utrecht");
  figures[2].set_region("twente");
  EXPECT_THAT(SuppressAggregates(figures, *ExportTestCatalogue(), 5),
              IsOkAndHolds(ElementsAre(P, C, N, N)));
}

TEST(SuppressAggregatesTest, RefusesWhatItCannotPlace) {
  auto unscoped = Figure("wachtenden", kRegion, "", 4);
  unscoped.clear_scope();
  EXPECT_THAT(SuppressAggregates({unscoped}, *ExportTestCatalogue(), 5),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const auto twice = Figure("wachtenden", kRegion, "", 4);
  EXPECT_THAT(SuppressAggregates({twice, twice}, *ExportTestCatalogue(), 5),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto unknown = twice;
  unknown.set_indicator("nieuw");
  EXPECT_THAT(SuppressAggregates({unknown}, *ExportTestCatalogue(), 5),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

api::v1::ExportedObservation Observation(const std::string& indicator, double value) {
  api::v1::ExportedObservation row;
  row.set_reporter("urn:vroeg:provider:12345678");
  row.set_submission_id("s1");
  api::v1::Observation& o = *row.mutable_observation();
  o.set_indicator(indicator);
  o.set_care_form("verblijf");
  o.mutable_period()->set_start("2026-09-01");
  o.mutable_period()->set_end("2026-09-30");
  o.set_value(value);
  return row;
}

TEST(SuppressObservationsTest, SmallCountsAndTheirMeans) {
  std::vector<api::v1::ExportedObservation> rows = {
      Observation("wachtenden", 2),   Observation("wachttijd_intake_weken", 7),
      Observation("wachtenden", 0),   Observation("wachttijd_intake_weken", 0),
      Observation("omzet_totaal", 3),
  };
  rows[2].set_reporter("urn:vroeg:provider:87654321");
  rows[3].set_reporter("urn:vroeg:provider:87654321");
  rows[4].mutable_observation()->clear_care_form();
  EXPECT_THAT(SuppressObservations(rows, *ExportTestCatalogue(), 5),
              IsOkAndHolds(ElementsAre(P, C, N, N, N)));
  EXPECT_THAT(SuppressObservations(rows, *ExportTestCatalogue(), 1),
              IsOkAndHolds(ElementsAre(N, N, N, N, N)));
}

TEST(SuppressObservationsTest, AMeanWithoutItsWeightIsWithheld) {
  EXPECT_THAT(
      SuppressObservations({Observation("wachttijd_intake_weken", 7)}, *ExportTestCatalogue(), 5),
      IsOkAndHolds(ElementsAre(C)));
}

}  // namespace
}  // namespace vroeg::export_format
