#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/early_warning/figures.h"
#include "server/early_warning/settings.h"
#include "server/latest_state.h"
#include "tests/support/captured_log.h"
#include "tests/unit/common/test_catalogue.h"

namespace vroeg::early_warning {
namespace {

using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using Dataset = catalogue::v1::Dataset;

constexpr char kA[] = "urn:vroeg:provider:11111111";
constexpr char kB[] = "urn:vroeg:provider:22222222";
constexpr char kC[] = "urn:vroeg:provider:33333333";
constexpr char kD[] = "urn:vroeg:provider:44444444";
constexpr char kGi[] = "urn:vroeg:certified_institution:55555555";
constexpr char kAlmere[] = "urn:vroeg:municipality:GM0034";

using Period = std::pair<std::string, std::string>;

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

Period Days(absl::CivilDay start, absl::CivilDay end) {
  return {absl::FormatCivilTime(start), absl::FormatCivilTime(end)};
}
Period Month(int year, int month) {
  const absl::CivilDay start(year, month, 1);
  return Days(start, absl::CivilDay(absl::CivilMonth(start) + 1) - 1);
}
Period Quarter(int year, int quarter) {
  const absl::CivilDay start(year, 3 * quarter - 2, 1);
  return Days(start, absl::CivilDay(absl::CivilMonth(start) + 3) - 1);
}
// ISO week k after the week of Monday 3 August 2026.
Period Week(int k) {
  const absl::CivilDay monday = absl::CivilDay(2026, 8, 3) + 7 * k;
  return Days(monday, monday + 6);
}

class FiguresTest : public ::testing::Test {
 protected:
  FiguresTest() : state_(13) {
    catalogue_ = vroeg::testing::LoadShippedCatalogue();
    roles_ = IndicatorRoles::Resolve(*catalogue_);
    EXPECT_TRUE(ApplyEarlyWarningDefaults(&settings_).ok());
    region_.set_code("flevoland");
    for (const char* code : {"GM0034", "GM0303", "GM0995", "GM0171", "GM0184"}) {
      region_.add_municipalities()->set_code(code);
    }
    auto* zeewolde = region_.add_municipalities();
    zeewolde->set_code("GM0050");
    zeewolde->set_valid_from("2027-01-01");
  }

  void Put(const std::string& reporter, const std::string& indicator, const std::string& care_form,
           const Period& period, double value, const std::string& municipality = "",
           absl::Time received = absl::InfinitePast()) {
    StoredObservation o;
    o.series = {reporter, indicator, care_form, municipality};
    o.period_start = period.first;
    o.period_end = period.second;
    o.value = value;
    o.received_at = received == absl::InfinitePast() ? now_ - absl::Hours(1) : received;
    state_.Apply(o);
  }

  Figures Compute() { return ComputeFigures(state_.Snapshot(), MakeContext()); }

  Context MakeContext() const {
    return Context{catalogue_.get(), &roles_, &settings_, &region_, now_, started_};
  }

  std::shared_ptr<const Catalogue> catalogue_;
  IndicatorRoles roles_;
  config::v1::EarlyWarning settings_;
  config::v1::Region region_;
  LatestState state_;
  absl::Time now_ = Utc(2026, 10, 15, 12);
  absl::Time started_ = Utc(2026, 10, 1, 8);
};

// ---------------------------------------------------------------------------------------------
// Aggregates per region and care form.

TEST_F(FiguresTest, AvailablePlacesAreClampedPerSeriesAndSummed) {
  Put(kA, "plaatsen_operationeel", "verblijf", Week(4), 20);
  Put(kA, "plaatsen_bezet", "verblijf", Week(4), 18);  // 2
  Put(kA, "plaatsen_operationeel", "verblijf", Week(4), 4, "GM0034");
  Put(kA, "plaatsen_bezet", "verblijf", Week(4), 1, "GM0034");  // 3
  Put(kB, "plaatsen_operationeel", "verblijf", Week(4), 10);
  Put(kB, "plaatsen_bezet", "verblijf", Week(4), 10);  // 0
  // Latest periods differ: 5 operational (week 4) - 7 occupied (week 3) is clamped to 0.
  Put(kC, "plaatsen_operationeel", "verblijf", Week(3), 8);
  Put(kC, "plaatsen_bezet", "verblijf", Week(3), 7);
  Put(kC, "plaatsen_operationeel", "verblijf", Week(4), 5);
  Put(kD, "plaatsen_operationeel", "verblijf", Week(4), 6);  // no occupied places: no figure
  Put(kB, "plaatsen_operationeel", "crisishulp", Week(4), 3);
  Put(kB, "plaatsen_bezet", "crisishulp", Week(4), 1);

  const Figures f = Compute();
  EXPECT_THAT(f.care_forms.at("verblijf").places_available, Optional(5.0));
  EXPECT_THAT(f.care_forms.at("crisishulp").places_available, Optional(2.0));
  EXPECT_EQ(f.places_available.size(), 5u);
  EXPECT_EQ(f.places_available.at({kA, "verblijf", ""}), 2);
  EXPECT_EQ(f.places_available.at({kA, "verblijf", "GM0034"}), 3);
  EXPECT_EQ(f.places_available.at({kB, "verblijf", ""}), 0);
  EXPECT_EQ(f.places_available.at({kC, "verblijf", ""}), 0);
  EXPECT_EQ(f.places_available.count({kD, "verblijf", ""}), 0u);
}

TEST_F(FiguresTest, WaitingBeyondNormComparesTheSamePeriodAndDividesByAllWaiting) {
  const Period sep = Month(2026, 9);
  Put(kA, "wachtenden", "verblijf", sep, 30);
  Put(kA, "wachttijd_intake_weken", "verblijf", sep, 5);       // > 4: beyond
  Put(kA, "wachttijd_behandeling_weken", "verblijf", sep, 8);  // <= 10
  Put(kB, "wachtenden", "verblijf", sep, 10);
  Put(kB, "wachttijd_intake_weken", "verblijf", sep, 4);  // at the norm: not beyond
  Put(kB, "wachttijd_behandeling_weken", "verblijf", sep, 12);
  Put(kC, "wachtenden", "verblijf", sep, 20);  // no waiting time reported
  Put(kD, "wachtenden", "verblijf", sep, 40);
  Put(kD, "wachttijd_intake_weken", "verblijf", Month(2026, 8), 9);  // another period
  Put(kA, "wachtenden", "crisishulp", sep, 0);
  Put(kA, "wachttijd_intake_weken", "crisishulp", sep, 6);

  const Figures f = Compute();
  const CareFormFigures& verblijf = f.care_forms.at("verblijf");
  // 100 waiting: 30 beyond the intake norm (A), 10 beyond the treatment norm (B).
  EXPECT_THAT(verblijf.waiting_beyond_norm_youths[kIntake], Optional(30.0));
  EXPECT_THAT(verblijf.waiting_beyond_norm_ratio[kIntake], Optional(DoubleEq(0.3)));
  EXPECT_THAT(verblijf.waiting_beyond_norm_youths[kTreatment], Optional(10.0));
  EXPECT_THAT(verblijf.waiting_beyond_norm_ratio[kTreatment], Optional(DoubleEq(0.1)));
  // Nobody waits: the count is 0 and the ratio is left out.
  const CareFormFigures& crisis = f.care_forms.at("crisishulp");
  EXPECT_THAT(crisis.waiting_beyond_norm_youths[kIntake], Optional(0.0));
  EXPECT_EQ(crisis.waiting_beyond_norm_ratio[kIntake], std::nullopt);
}

TEST_F(FiguresTest, NormsComeFromTheSettings) {
  const Period sep = Month(2026, 9);
  Put(kA, "wachtenden", "verblijf", sep, 30);
  Put(kA, "wachttijd_intake_weken", "verblijf", sep, 5);
  settings_.mutable_waiting_norm()->set_intake_weeks(5);
  EXPECT_THAT(Compute().care_forms.at("verblijf").waiting_beyond_norm_youths[kIntake],
              Optional(0.0));
  settings_.mutable_waiting_norm()->set_intake_weeks(0);
  EXPECT_THAT(Compute().care_forms.at("verblijf").waiting_beyond_norm_youths[kIntake],
              Optional(30.0));
}

TEST_F(FiguresTest, IntakeStopRatioCountsReportersNotSeries) {
  Put(kA, "clientenstop", "verblijf", Week(4), 1);
  Put(kB, "clientenstop", "verblijf", Week(4), 0);
  Put(kC, "clientenstop", "verblijf", Week(4), 1, "GM0034");
  Put(kC, "clientenstop", "verblijf", Week(4), 0, "GM0303");
  Put(kD, "clientenstop", "verblijf", Week(4), 0);
  Put(kB, "clientenstop", "crisishulp", Week(4), 0);
  const Figures f = Compute();
  EXPECT_THAT(f.care_forms.at("verblijf").intake_stop_ratio, Optional(0.5));  // A, C of 4
  EXPECT_THAT(f.care_forms.at("crisishulp").intake_stop_ratio, Optional(0.0));
}

TEST_F(FiguresTest, CapacityShareLargestShareAndHhi) {
  Put(kA, "plaatsen_operationeel", "verblijf", Week(4), 20, "GM0034");
  Put(kA, "plaatsen_operationeel", "verblijf", Week(4), 10, "GM0303");
  Put(kB, "plaatsen_operationeel", "verblijf", Week(4), 10);
  Put(kA, "plaatsen_operationeel", "crisishulp", Week(4), 0);
  const Figures f = Compute();
  // A: 30 of 40, B: 10 of 40; HHI = 0.75² + 0.25² = 0.625.
  EXPECT_EQ(f.capacity_share.at({kA, "verblijf"}), 0.75);
  EXPECT_EQ(f.capacity_share.at({kB, "verblijf"}), 0.25);
  EXPECT_THAT(f.care_forms.at("verblijf").capacity_largest_share, Optional(0.75));
  EXPECT_THAT(f.care_forms.at("verblijf").capacity_hhi, Optional(0.625));
  // No operational places at all: no shares.
  EXPECT_EQ(f.capacity_share.count({kA, "crisishulp"}), 0u);
  EXPECT_EQ(f.care_forms.at("crisishulp").capacity_hhi, std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Staff.

TEST_F(FiguresTest, VacancyRatioPerReporterAndForTheRegion) {
  const Period q3 = Quarter(2026, 3);
  Put(kA, "fte_bezet", "", q3, 90);
  Put(kA, "vacatures_fte", "", q3, 10);
  Put(kB, "fte_bezet", "", q3, 30);
  Put(kB, "vacatures_fte", "", q3, 20);
  Put(kC, "fte_bezet", "", q3, 0);
  Put(kC, "vacatures_fte", "", q3, 0);
  const Figures f = Compute();
  EXPECT_THAT(f.providers.at(kA).staff_vacancy_ratio, Optional(DoubleEq(0.1)));
  EXPECT_THAT(f.providers.at(kB).staff_vacancy_ratio, Optional(DoubleEq(0.4)));
  EXPECT_EQ(f.providers.at(kC).staff_vacancy_ratio, std::nullopt);
  // (10 + 20) / (90 + 10 + 30 + 20).
  EXPECT_THAT(f.staff_vacancy_ratio, Optional(DoubleEq(0.2)));
}

// ---------------------------------------------------------------------------------------------
// Provider health.

TEST(ClassifyTest, BandsFollowTheBoundsWithTheLowerBoundInclusive) {
  config::v1::EarlyWarning settings;
  ASSERT_TRUE(ApplyEarlyWarningDefaults(&settings).ok());
  const auto& solvency = settings.cbs_bands().solvency();
  EXPECT_EQ(Classify(-0.01, solvency, true), (CbsBand{1, "<0%"}));
  EXPECT_EQ(Classify(0, solvency, true), (CbsBand{2, "0-10%"}));
  EXPECT_EQ(Classify(0.0999, solvency, true), (CbsBand{2, "0-10%"}));
  EXPECT_EQ(Classify(0.10, solvency, true), (CbsBand{3, "10-20%"}));
  EXPECT_EQ(Classify(0.20, solvency, true), (CbsBand{4, "20-35%"}));
  EXPECT_EQ(Classify(0.3499, solvency, true), (CbsBand{4, "20-35%"}));
  EXPECT_EQ(Classify(0.35, solvency, true), (CbsBand{5, ">=35%"}));
  const auto& current = settings.cbs_bands().current_ratio();
  EXPECT_EQ(Classify(0.29, current, false), (CbsBand{1, "<0.3"}));
  EXPECT_EQ(Classify(0.3, current, false), (CbsBand{2, "0.3-0.7"}));
  EXPECT_EQ(Classify(0.69, current, false), (CbsBand{2, "0.3-0.7"}));
  EXPECT_EQ(Classify(0.7, current, false), (CbsBand{3, "0.7-1.3"}));
  EXPECT_EQ(Classify(1.3, current, false), (CbsBand{4, ">=1.3"}));
  const auto& profitability = settings.cbs_bands().profitability();
  EXPECT_EQ(Classify(-0.0001, profitability, true), (CbsBand{1, "<0%"}));
  EXPECT_EQ(Classify(0.015, profitability, true), (CbsBand{2, "0-2%"}));
  EXPECT_EQ(Classify(0.02, profitability, true), (CbsBand{3, "2-4%"}));
  EXPECT_EQ(Classify(0.04, profitability, true), (CbsBand{4, ">=4%"}));
}

TEST_F(FiguresTest, SolvencyAndCurrentRatioUseTheLatestPeriodWithBothInputs) {
  Put(kA, "eigen_vermogen", "", Quarter(2026, 2), 300000);
  Put(kA, "totaal_activa", "", Quarter(2026, 2), 1000000);
  Put(kA, "eigen_vermogen", "", Quarter(2026, 3), 350000);
  Put(kA, "totaal_activa", "", Quarter(2026, 3), 1000000);
  Put(kA, "vlottende_activa", "", Quarter(2026, 3), 130000);
  Put(kA, "kortlopende_schulden", "", Quarter(2026, 3), 100000);
  // B's total assets of Q3 are not in yet: Q2 counts.
  Put(kB, "eigen_vermogen", "", Quarter(2026, 2), 50000);
  Put(kB, "eigen_vermogen", "", Quarter(2026, 3), 100000);
  Put(kB, "totaal_activa", "", Quarter(2026, 2), 1000000);
  Put(kB, "vlottende_activa", "", Quarter(2026, 3), 30000);
  Put(kB, "kortlopende_schulden", "", Quarter(2026, 3), 100000);
  Put(kC, "eigen_vermogen", "", Quarter(2026, 3), -10000);
  Put(kC, "totaal_activa", "", Quarter(2026, 3), 1000000);
  Put(kD, "eigen_vermogen", "", Quarter(2026, 3), 10000);
  Put(kD, "totaal_activa", "", Quarter(2026, 3), 0);
  Put(kD, "vlottende_activa", "", Quarter(2026, 3), 10000);
  Put(kD, "kortlopende_schulden", "", Quarter(2026, 3), 0);

  const Figures f = Compute();
  const ProviderFigures& a = f.providers.at(kA);
  EXPECT_THAT(a.solvency_ratio, Optional(DoubleEq(0.35)));
  EXPECT_THAT(a.solvency_band, Optional(Eq(CbsBand{5, ">=35%"})));
  EXPECT_THAT(a.current_ratio, Optional(DoubleEq(1.3)));
  EXPECT_THAT(a.current_ratio_band, Optional(Eq(CbsBand{4, ">=1.3"})));
  const ProviderFigures& b = f.providers.at(kB);
  EXPECT_THAT(b.solvency_ratio, Optional(DoubleEq(0.05)));
  EXPECT_THAT(b.solvency_band, Optional(Eq(CbsBand{2, "0-10%"})));
  EXPECT_THAT(b.current_ratio, Optional(DoubleEq(0.3)));
  EXPECT_THAT(b.current_ratio_band, Optional(Eq(CbsBand{2, "0.3-0.7"})));
  EXPECT_THAT(f.providers.at(kC).solvency_ratio, Optional(DoubleEq(-0.01)));
  EXPECT_THAT(f.providers.at(kC).solvency_band, Optional(Eq(CbsBand{1, "<0%"})));
  // Zero denominators: left out.
  EXPECT_EQ(f.providers.at(kD).solvency_ratio, std::nullopt);
  EXPECT_EQ(f.providers.at(kD).solvency_band, std::nullopt);
  EXPECT_EQ(f.providers.at(kD).current_ratio, std::nullopt);
}

TEST_F(FiguresTest, ResultMarginUsesTheQuarterRevenueOfYearToDateFigures) {
  // Q1: year to date is the quarter. 30000 / 1000000 = 3%.
  Put(kA, "omzet_totaal", "", Quarter(2026, 1), 1000000);
  Put(kA, "bedrijfsresultaat", "", Quarter(2026, 1), 30000);
  // Q2 with Q1: 2200000 - 1000000 = 1200000; -24000 / 1200000 = -2%.
  Put(kB, "omzet_totaal", "", Quarter(2026, 1), 1000000);
  Put(kB, "omzet_totaal", "", Quarter(2026, 2), 2200000);
  Put(kB, "bedrijfsresultaat", "", Quarter(2026, 2), -24000);
  Put(kB, "eigen_vermogen", "", Quarter(2026, 2), 500000);
  // Q2 without Q1: 2200000 / 2 = 1100000; 44000 / 1100000 = 4%.
  Put(kC, "omzet_totaal", "", Quarter(2026, 2), 2200000);
  Put(kC, "bedrijfsresultaat", "", Quarter(2026, 2), 44000);
  // Q3 without Q2 (Q1 does not help): 3000000 / 3 = 1000000; 15000 / 1000000 = 1.5%.
  Put(kD, "omzet_totaal", "", Quarter(2026, 1), 1000000);
  Put(kD, "omzet_totaal", "", Quarter(2026, 3), 3000000);
  Put(kD, "bedrijfsresultaat", "", Quarter(2026, 3), 15000);

  const Figures f = Compute();
  EXPECT_THAT(f.providers.at(kA).result_margin_ratio, Optional(DoubleEq(0.03)));
  EXPECT_THAT(f.providers.at(kA).profitability_band, Optional(Eq(CbsBand{3, "2-4%"})));
  EXPECT_THAT(f.providers.at(kB).result_margin_ratio, Optional(DoubleEq(-0.02)));
  EXPECT_THAT(f.providers.at(kB).profitability_band, Optional(Eq(CbsBand{1, "<0%"})));
  EXPECT_THAT(f.providers.at(kC).result_margin_ratio, Optional(DoubleEq(0.04)));
  EXPECT_THAT(f.providers.at(kC).profitability_band, Optional(Eq(CbsBand{4, ">=4%"})));
  EXPECT_THAT(f.providers.at(kD).result_margin_ratio, Optional(DoubleEq(0.015)));
  EXPECT_THAT(f.providers.at(kD).profitability_band, Optional(Eq(CbsBand{2, "0-2%"})));
  // Budget ratio: equity / (2200000 x 12 / 6) = 500000 / 4400000.
  EXPECT_THAT(f.providers.at(kB).budget_ratio, Optional(DoubleEq(500000.0 / 4400000.0)));
  EXPECT_EQ(f.providers.at(kA).budget_ratio, std::nullopt);  // no equity
}

TEST_F(FiguresTest, ScopeByAnnualisedYouthRevenueOrByDesignation) {
  settings_.add_designated_providers("44444444");
  Put(kA, "omzet_jeugdzorg", "", Quarter(2026, 3), 1200000);  // x 12 / 9 = 1600000
  Put(kB, "omzet_jeugdzorg", "", Quarter(2026, 1), 600000);   // x 12 / 3 = 2400000
  Put(kC, "omzet_jeugdzorg", "", Quarter(2026, 2), 1000000);  // x 12 / 6 = 2000000: at threshold
  Put(kD, "omzet_jeugdzorg", "", Quarter(2026, 3), 300000);   // 400000, but designated
  Put(kGi, "plaatsen_operationeel", "jeugdbescherming", Week(4), 5);  // no revenue
  Put(kAlmere, "wachtenden", "verblijf", Month(2026, 9), 5);          // not an organisation

  const Figures f = Compute();
  EXPECT_THAT(f.providers.at(kA).youth_revenue_annualised, Optional(DoubleEq(1600000)));
  EXPECT_FALSE(f.providers.at(kA).early_warning_scope);
  EXPECT_THAT(f.providers.at(kB).youth_revenue_annualised, Optional(DoubleEq(2400000)));
  EXPECT_TRUE(f.providers.at(kB).early_warning_scope);
  EXPECT_THAT(f.providers.at(kC).youth_revenue_annualised, Optional(DoubleEq(2000000)));
  EXPECT_TRUE(f.providers.at(kC).early_warning_scope);
  EXPECT_THAT(f.providers.at(kD).youth_revenue_annualised, Optional(DoubleEq(400000)));
  EXPECT_TRUE(f.providers.at(kD).early_warning_scope);
  EXPECT_EQ(f.providers.at(kGi).youth_revenue_annualised, std::nullopt);
  EXPECT_FALSE(f.providers.at(kGi).early_warning_scope);
  EXPECT_EQ(f.providers.count(kAlmere), 0u);

  settings_.set_scope_youth_revenue_euros(1500000);
  EXPECT_TRUE(Compute().providers.at(kA).early_warning_scope);
}

TEST_F(FiguresTest, RevenueSharesOfTheLatestPeriodByMunicipality) {
  const Period q3 = Quarter(2026, 3);
  Put(kA, "omzet_jeugdzorg_gemeente", "", q3, 600000, "GM0034");
  Put(kA, "omzet_jeugdzorg_gemeente", "", q3, 300000, "GM0303");
  Put(kA, "omzet_jeugdzorg_gemeente", "", q3, 100000, "GM0995");
  Put(kA, "omzet_jeugdzorg_gemeente", "", Quarter(2026, 2), 5000000, "GM0171");  // older
  Put(kB, "omzet_jeugdzorg_gemeente", "", q3, 1000000, "GM0034");
  Put(kB, "omzet_jeugdzorg_gemeente", "", q3, 600000, "GM0363");  // Amsterdam: not a member
  Put(kB, "omzet_jeugdzorg_gemeente", "", q3, 400000, "GM0050");  // Zeewolde: member from 2027

  Figures f = Compute();
  EXPECT_THAT(f.providers.at(kA).revenue_share_largest_municipality, Optional(DoubleEq(0.6)));
  EXPECT_THAT(f.providers.at(kA).revenue_share_region, Optional(DoubleEq(1.0)));
  EXPECT_THAT(f.providers.at(kB).revenue_share_largest_municipality, Optional(DoubleEq(0.5)));
  EXPECT_THAT(f.providers.at(kB).revenue_share_region, Optional(DoubleEq(0.5)));

  // Without a member list there is no telling what "this region" is.
  region_.clear_municipalities();
  f = Compute();
  EXPECT_THAT(f.providers.at(kB).revenue_share_largest_municipality, Optional(DoubleEq(0.5)));
  EXPECT_EQ(f.providers.at(kB).revenue_share_region, std::nullopt);
}

TEST_F(FiguresTest, RevenuePaidFromOutsideTheRegionAsTheCollectorTakesItIn) {
  // Validated against the region as the collector does, then stored: Utrecht (GM0344) and
  // Amsterdam (GM0363) are accepted for revenue, normalised, and count outside the region.
  ValidationContext validation{catalogue_,
                               ReporterId{type::v1::REPORTER_KIND_PROVIDER, "11111111"},
                               absl::CivilDay(2026, 10, 15),
                               {region_.municipalities().begin(), region_.municipalities().end()},
                               region_.code()};
  const std::vector<std::tuple<const char*, const char*, double>> paid = {
      {kA, "GM0034", 700000}, {kA, "GM0995", 200000}, {kA, "0344", 100000},
      {kB, "GM0363", 800000}, {kB, "GM0034", 200000},
  };
  for (const auto& [reporter, municipality, value] : paid) {
    google::protobuf::RepeatedPtrField<api::v1::Observation> batch;
    api::v1::Observation& o = *batch.Add();
    o.set_indicator("omzet_jeugdzorg_gemeente");
    o.set_municipality(municipality);
    o.set_value(value);
    o.mutable_period()->set_start(Quarter(2026, 3).first);
    o.mutable_period()->set_end(Quarter(2026, 3).second);
    ASSERT_THAT(ValidateObservations(validation, &batch), IsEmpty()) << municipality;
    Put(reporter, o.indicator(), o.care_form(), Quarter(2026, 3), o.value(), o.municipality());
  }

  const Figures f = Compute();
  EXPECT_THAT(f.providers.at(kA).revenue_share_region, Optional(DoubleEq(0.9)));
  EXPECT_THAT(f.providers.at(kA).revenue_share_largest_municipality, Optional(DoubleEq(0.7)));
  // The largest payer may be one outside the region.
  EXPECT_THAT(f.providers.at(kB).revenue_share_region, Optional(DoubleEq(0.2)));
  EXPECT_THAT(f.providers.at(kB).revenue_share_largest_municipality, Optional(DoubleEq(0.8)));
}

TEST_F(FiguresTest, NegativeResultQuartersCountBackUntilAPositiveOrMissingQuarter) {
  // Across the turn of the year: four negative quarters in a row.
  Put(kA, "bedrijfsresultaat", "", Quarter(2025, 4), -3);
  Put(kA, "bedrijfsresultaat", "", Quarter(2026, 1), -10);
  Put(kA, "bedrijfsresultaat", "", Quarter(2026, 2), -5);
  Put(kA, "bedrijfsresultaat", "", Quarter(2026, 3), -1);
  // Broken by a positive quarter.
  Put(kB, "bedrijfsresultaat", "", Quarter(2025, 4), -10);
  Put(kB, "bedrijfsresultaat", "", Quarter(2026, 1), 5);
  Put(kB, "bedrijfsresultaat", "", Quarter(2026, 2), -1);
  Put(kB, "bedrijfsresultaat", "", Quarter(2026, 3), -2);
  // Broken by a missing quarter (Q2).
  Put(kC, "bedrijfsresultaat", "", Quarter(2025, 4), -1);
  Put(kC, "bedrijfsresultaat", "", Quarter(2026, 1), -1);
  Put(kC, "bedrijfsresultaat", "", Quarter(2026, 3), -1);
  // The latest is not negative.
  Put(kD, "bedrijfsresultaat", "", Quarter(2026, 2), -5);
  Put(kD, "bedrijfsresultaat", "", Quarter(2026, 3), 0);

  const Figures f = Compute();
  EXPECT_THAT(f.providers.at(kA).negative_result_quarters, Optional(4));
  EXPECT_THAT(f.providers.at(kB).negative_result_quarters, Optional(2));
  EXPECT_THAT(f.providers.at(kC).negative_result_quarters, Optional(1));
  EXPECT_THAT(f.providers.at(kD).negative_result_quarters, Optional(0));
}

// ---------------------------------------------------------------------------------------------
// Trends.

TEST_F(FiguresTest, ChangeRatiosCompareTheLatestWithTheMeanOfPreviousPeriods) {
  int k = 0;
  for (double places : {10, 12, 14, 16, 20}) {
    Put(kA, "plaatsen_operationeel", "verblijf", Week(k++), places);
  }
  Put(kB, "plaatsen_operationeel", "verblijf", Week(4), 5);  // no previous period: left out
  Put(kC, "plaatsen_operationeel", "verblijf", Week(3), 8);
  Put(kC, "plaatsen_operationeel", "verblijf", Week(4), 6);
  int month = 6;
  const std::vector<std::pair<double, double>> waiting_and_weeks = {
      {10, 3}, {20, 5}, {30, 5}, {40, 6}};
  for (const auto& [waiting, weeks] : waiting_and_weeks) {
    Put(kA, "wachtenden", "verblijf", Month(2026, month), waiting);
    Put(kA, "wachttijd_intake_weken", "verblijf", Month(2026, month), weeks);
    ++month;
  }
  Put(kB, "wachtenden", "verblijf", Month(2026, 9), 50);

  Figures f = Compute();
  const CareFormFigures* verblijf = &f.care_forms.at("verblijf");
  // Places: A 20 vs (16 + 14 + 12) / 3 = 14, C 6 vs 8: (20 + 6) / (14 + 8) - 1.
  EXPECT_THAT(verblijf->places_operational_change_ratio, Optional(DoubleEq(26.0 / 22.0 - 1)));
  // Waiting: A 40 vs (30 + 20 + 10) / 3 = 20.
  EXPECT_THAT(verblijf->waiting_youths_change_ratio, Optional(DoubleEq(1.0)));
  // Beyond the intake norm of 4 weeks: 0, 20, 30, 40; 40 - (30 + 20 + 0) / 3.
  EXPECT_THAT(verblijf->waiting_beyond_norm_youths_change[kIntake],
              Optional(DoubleEq(40 - 50.0 / 3)));
  EXPECT_THAT(verblijf->waiting_beyond_norm_youths_change[kTreatment], Optional(0.0));

  settings_.set_trend_periods(2);
  f = Compute();
  verblijf = &f.care_forms.at("verblijf");
  // A 20 vs (16 + 14) / 2 = 15, C 6 vs 8.
  EXPECT_THAT(verblijf->places_operational_change_ratio, Optional(DoubleEq(26.0 / 23.0 - 1)));
  EXPECT_THAT(verblijf->waiting_youths_change_ratio, Optional(DoubleEq(40.0 / 25.0 - 1)));
  EXPECT_THAT(verblijf->waiting_beyond_norm_youths_change[kIntake], Optional(DoubleEq(15)));
}

TEST_F(FiguresTest, NoPreviousPeriodMeansNoTrend) {
  Put(kA, "plaatsen_operationeel", "verblijf", Week(4), 20);
  Put(kA, "wachtenden", "verblijf", Month(2026, 9), 20);
  const Figures f = Compute();
  EXPECT_EQ(f.care_forms.at("verblijf").places_operational_change_ratio, std::nullopt);
  EXPECT_EQ(f.care_forms.at("verblijf").waiting_youths_change_ratio, std::nullopt);
  EXPECT_EQ(f.care_forms.at("verblijf").waiting_beyond_norm_youths_change[kIntake], std::nullopt);
}

TEST_F(FiguresTest, OccupancyHighPeriodsCountBackFromTheNewestPeriod) {
  for (int k = 0; k <= 4; ++k) {
    Put(kA, "plaatsen_operationeel", "verblijf", Week(k), 10);
    Put(kA, "plaatsen_bezet", "verblijf", Week(k), k == 0 ? 9 : 10);
  }
  // Weeks 4, 3, 2, 1 full; week 0 at 0.9.
  EXPECT_THAT(Compute().care_forms.at("verblijf").occupancy_high_periods, Optional(4));
  // Exactly at the threshold is not above it: 19 / 20 = 0.95 in week 4.
  Put(kB, "plaatsen_operationeel", "verblijf", Week(4), 10);
  Put(kB, "plaatsen_bezet", "verblijf", Week(4), 9);
  EXPECT_THAT(Compute().care_forms.at("verblijf").occupancy_high_periods, Optional(0));
  Put(kB, "plaatsen_bezet", "verblijf", Week(4), 10);  // correction
  EXPECT_THAT(Compute().care_forms.at("verblijf").occupancy_high_periods, Optional(4));
  settings_.set_occupancy_high_ratio(0.85);
  EXPECT_THAT(Compute().care_forms.at("verblijf").occupancy_high_periods, Optional(5));
  // A newer week for which nobody reported both figures yet: no streak.
  Put(kA, "plaatsen_operationeel", "verblijf", Week(5), 10);
  EXPECT_THAT(Compute().care_forms.at("verblijf").occupancy_high_periods, Optional(0));
}

// ---------------------------------------------------------------------------------------------
// Reporting compliance.

catalogue::v1::Indicator Indicator(const std::string& code, Dataset dataset,
                                   type::v1::Granularity cadence, type::v1::ReporterKind kind) {
  catalogue::v1::Indicator indicator;
  indicator.set_code(code);
  indicator.set_name_nl(code);
  indicator.set_name_en(code);
  indicator.set_unit(catalogue::v1::UNIT_COUNT);
  indicator.set_min(0);
  indicator.set_max(1000);
  indicator.add_reporter_kinds(kind);
  indicator.set_dataset(dataset);
  indicator.set_cadence(cadence);
  indicator.set_aggregation(catalogue::v1::AGGREGATION_SUM);
  indicator.set_care_form_use(catalogue::v1::CARE_FORM_USE_FORBIDDEN);
  indicator.mutable_metric()->set_name("jeugdzorg_" + code);
  indicator.mutable_metric()->set_help(code);
  return indicator;
}

struct CadenceCase {
  const char* indicator;
  Dataset dataset;
  Period newest;
  absl::Time last_period_end;
  absl::Time due;
};

TEST_F(FiguresTest, DueIsTheNewestPeriodsEndPlusOneCadencePlusGrace) {
  catalogue::v1::Catalogue proto;
  proto.set_version("test");
  const auto provider = type::v1::REPORTER_KIND_PROVIDER;
  *proto.add_indicators() =
      Indicator("dag", catalogue::v1::DATASET_EVENTS, type::v1::GRANULARITY_DAY, provider);
  *proto.add_indicators() =
      Indicator("week", catalogue::v1::DATASET_CAPACITY, type::v1::GRANULARITY_WEEK, provider);
  *proto.add_indicators() = Indicator("maand", catalogue::v1::DATASET_AVAILABILITY,
                                      type::v1::GRANULARITY_MONTH, provider);
  *proto.add_indicators() = Indicator("kwartaal", catalogue::v1::DATASET_FINANCE,
                                      type::v1::GRANULARITY_QUARTER, provider);
  *proto.add_indicators() =
      Indicator("jaar", catalogue::v1::DATASET_STAFF, type::v1::GRANULARITY_YEAR, provider);
  auto catalogue = Catalogue::FromProto(proto);
  ASSERT_TRUE(catalogue.ok()) << catalogue.status();
  catalogue_ = *catalogue;
  roles_ = IndicatorRoles::Resolve(*catalogue_);

  const std::vector<CadenceCase> cases = {
      // 1 Oct -> 2 Oct, one day later 3 Oct, one day of grace.
      {"dag", catalogue::v1::DATASET_EVENTS, Period{"2026-10-01", "2026-10-01"}, Utc(2026, 10, 2),
       Utc(2026, 10, 4)},
      // Week ending Sunday 13 Sep -> 14 Sep, + 7 days, + 3 days of grace.
      {"week", catalogue::v1::DATASET_CAPACITY, Period{"2026-09-07", "2026-09-13"},
       Utc(2026, 9, 14), Utc(2026, 9, 24)},
      // September -> 1 Oct, + one month, + 10 days.
      {"maand", catalogue::v1::DATASET_AVAILABILITY, Month(2026, 9), Utc(2026, 10, 1),
       Utc(2026, 11, 11)},
      // Q3 -> 1 Oct, + one quarter, + 45 days.
      {"kwartaal", catalogue::v1::DATASET_FINANCE, Quarter(2026, 3), Utc(2026, 10, 1),
       Utc(2027, 2, 15)},
      // 2025 -> 1 Jan 2026, + one year, + 152 days.
      {"jaar", catalogue::v1::DATASET_STAFF, Period{"2025-01-01", "2025-12-31"}, Utc(2026, 1, 1),
       Utc(2027, 6, 2)},
  };
  for (const CadenceCase& c : cases) Put(kA, c.indicator, "", c.newest, 1);
  for (const CadenceCase& c : cases) {
    SCOPED_TRACE(c.indicator);
    now_ = c.due;
    Figures f = Compute();
    const ComplianceFigures& at_due = f.compliance.at({kA, c.dataset});
    EXPECT_THAT(at_due.last_period_end, Optional(c.last_period_end));
    EXPECT_EQ(at_due.due, c.due);
    EXPECT_FALSE(at_due.overdue);
    now_ = c.due + absl::Seconds(1);
    f = Compute();
    EXPECT_TRUE(f.compliance.at({kA, c.dataset}).overdue);
  }
  // Grace comes from the settings.
  settings_.mutable_grace()->set_month_days(0);
  now_ = Utc(2026, 11, 1);
  EXPECT_EQ(Compute().compliance.at({kA, catalogue::v1::DATASET_AVAILABILITY}).due,
            Utc(2026, 11, 1));
}

TEST_F(FiguresTest, DueIsTheEarliestOverTheDatasetsIndicators) {
  Put(kA, "wachtenden", "verblijf", Month(2026, 9), 10);                       // due 11 Nov
  Put(kA, "clientenstop", "verblijf", Period{"2026-09-21", "2026-09-27"}, 0);  // due 8 Oct
  Put(kA, "omzet_totaal", "", Quarter(2026, 3), 1);
  now_ = Utc(2026, 10, 8, 0, 0, 1);
  const Figures f = Compute();
  const ComplianceFigures& availability =
      f.compliance.at({kA, catalogue::v1::DATASET_AVAILABILITY});
  EXPECT_EQ(availability.due, Utc(2026, 10, 8));
  EXPECT_THAT(availability.last_period_end, Optional(Utc(2026, 10, 1)));
  EXPECT_TRUE(availability.overdue);
  EXPECT_FALSE(f.compliance.at({kA, catalogue::v1::DATASET_FINANCE}).overdue);
  // Only datasets the reporter sent are expected of it.
  EXPECT_EQ(f.compliance.count({kA, catalogue::v1::DATASET_STAFF}), 0u);
  EXPECT_EQ(f.datasets.at(catalogue::v1::DATASET_AVAILABILITY).expected_reporters, 1);
  EXPECT_THAT(f.datasets.at(catalogue::v1::DATASET_AVAILABILITY).reporting_ratio, Optional(0.0));
  EXPECT_THAT(f.datasets.at(catalogue::v1::DATASET_FINANCE).reporting_ratio, Optional(1.0));
  EXPECT_EQ(f.datasets.at(catalogue::v1::DATASET_STAFF).expected_reporters, 0);
  EXPECT_EQ(f.datasets.at(catalogue::v1::DATASET_STAFF).reporting_ratio, std::nullopt);
}

TEST_F(FiguresTest, ExpectedReporterThatNeverReportedIsDueAtStartUp) {
  settings_.add_expected_reporters(kAlmere);
  settings_.add_expected_reporters(kB);
  Put(kB, "wachtenden", "verblijf", Month(2026, 9), 10);
  now_ = started_;
  Figures f = Compute();
  const ComplianceFigures& almere = f.compliance.at({kAlmere, catalogue::v1::DATASET_MUNICIPAL});
  EXPECT_EQ(almere.last_period_end, std::nullopt);
  EXPECT_EQ(almere.due, started_);
  EXPECT_FALSE(almere.overdue);
  // A municipality is expected only for what its kind may send.
  EXPECT_EQ(f.compliance.count({kAlmere, catalogue::v1::DATASET_FINANCE}), 0u);
  // B sent availability; every other dataset a provider may send is due at start-up.
  EXPECT_EQ(f.compliance.at({kB, catalogue::v1::DATASET_AVAILABILITY}).due, Utc(2026, 11, 11));
  for (Dataset d : {catalogue::v1::DATASET_CAPACITY, catalogue::v1::DATASET_STAFF,
                    catalogue::v1::DATASET_FINANCE}) {
    EXPECT_EQ(f.compliance.at({kB, d}).due, started_) << catalogue::v1::Dataset_Name(d);
  }
  EXPECT_EQ(f.compliance.count({kB, catalogue::v1::DATASET_MUNICIPAL}), 0u);

  now_ = started_ + absl::Seconds(1);
  f = Compute();
  EXPECT_TRUE(f.compliance.at({kAlmere, catalogue::v1::DATASET_MUNICIPAL}).overdue);
  EXPECT_EQ(f.datasets.at(catalogue::v1::DATASET_MUNICIPAL).expected_reporters, 1);
  EXPECT_THAT(f.datasets.at(catalogue::v1::DATASET_MUNICIPAL).reporting_ratio, Optional(0.0));
  EXPECT_THAT(f.datasets.at(catalogue::v1::DATASET_AVAILABILITY).reporting_ratio, Optional(1.0));
}

// ---------------------------------------------------------------------------------------------
// Expiry.

TEST_F(FiguresTest, SilentReportersExpireUnlessExpected) {
  const absl::Duration day = absl::Hours(24);
  Put(kA, "plaatsen_operationeel", "verblijf", Week(4), 20, "", now_ - 401 * day);
  Put(kA, "plaatsen_bezet", "verblijf", Week(4), 10, "", now_ - 500 * day);
  Put(kB, "plaatsen_operationeel", "verblijf", Week(4), 10, "", now_ - 400 * day);  // on the edge
  Put(kB, "plaatsen_bezet", "verblijf", Week(4), 7, "", now_ - 450 * day);
  Put(kC, "plaatsen_operationeel", "verblijf", Week(4), 5, "", now_ - 900 * day);
  Put(kC, "plaatsen_bezet", "verblijf", Week(4), 4, "", now_ - 900 * day);
  settings_.add_expected_reporters(kC);

  Expiry expiry;
  const Snapshot kept = DropExpired(state_.Snapshot(), settings_, now_, &expiry);
  EXPECT_THAT(expiry.reporters, ElementsAre(kA));
  EXPECT_EQ(expiry.series, 2u);
  // B goes next, from the second after its newest value plus 400 days; C never (expected).
  const auto expires = [&](absl::Time newest, absl::Duration age) {
    return absl::FromUnixSeconds(absl::ToUnixSeconds(newest) + 1) + age;
  };
  EXPECT_EQ(expiry.next, expires(now_ - 400 * day, 400 * day));
  EXPECT_GT(expiry.next, now_);
  Expiry at_next;
  DropExpired(state_.Snapshot(), settings_, expiry.next, &at_next);
  EXPECT_THAT(at_next.reporters, ElementsAre(kA, kB));
  Expiry just_before;
  DropExpired(state_.Snapshot(), settings_, expiry.next - absl::Nanoseconds(1), &just_before);
  EXPECT_THAT(just_before.reporters, ElementsAre(kA));
  ASSERT_EQ(kept.size(), 4u);
  const Figures f = ComputeFigures(kept, MakeContext());
  // B: 3, C: 1; A's 10 are left out.
  EXPECT_THAT(f.care_forms.at("verblijf").places_available, Optional(4.0));
  EXPECT_EQ(f.compliance.count({kA, catalogue::v1::DATASET_CAPACITY}), 0u);
  EXPECT_EQ(f.datasets.at(catalogue::v1::DATASET_CAPACITY).expected_reporters, 2);

  // A longer expiry keeps A.
  settings_.set_reporter_expiry_days(401);
  Expiry none;
  EXPECT_EQ(DropExpired(state_.Snapshot(), settings_, now_, &none).size(), 6u);
  EXPECT_TRUE(none.reporters.empty());
  EXPECT_EQ(none.series, 0u);
  EXPECT_EQ(none.next, expires(now_ - 401 * day, 401 * day));

  // Only expected reporters left: none will go.
  settings_.clear_expected_reporters();
  settings_.add_expected_reporters(kA);
  settings_.add_expected_reporters(kB);
  settings_.add_expected_reporters(kC);
  Expiry never;
  DropExpired(state_.Snapshot(), settings_, now_, &never);
  EXPECT_EQ(never.next, absl::InfiniteFuture());
}

// ---------------------------------------------------------------------------------------------
// Missing catalogue codes.

TEST_F(FiguresTest, RolesMissingFromTheCatalogueLeaveTheirFiguresOut) {
  RoleCodes codes = DefaultRoleCodes();
  codes[static_cast<int>(Role::kWaitingTimeTreatment)] = "wachttijd_behandeling_dagen";
  roles_ = IndicatorRoles::Resolve(*catalogue_, codes);
  ASSERT_EQ(roles_.missing().size(), 1u);
  EXPECT_EQ(roles_.missing()[0].role, Role::kWaitingTimeTreatment);
  EXPECT_EQ(roles_.missing()[0].code, "wachttijd_behandeling_dagen");
  EXPECT_TRUE(IndicatorRoles::Resolve(*catalogue_).missing().empty());
  FakeClock clock(now_);
  vroeg::testing::CapturedLog log(&clock);
  LogMissingRoles(roles_, &log.logger());
  EXPECT_THAT(log.Text(), HasSubstr("event=early_warning_input_missing "
                                    "indicator=wachttijd_behandeling_dagen "
                                    "role=waiting_time_treatment "));

  Put(kA, "wachtenden", "verblijf", Month(2026, 9), 30);
  Put(kA, "wachttijd_intake_weken", "verblijf", Month(2026, 9), 5);
  Put(kA, "wachttijd_behandeling_weken", "verblijf", Month(2026, 9), 12);
  const Figures f = Compute();
  EXPECT_THAT(f.care_forms.at("verblijf").waiting_beyond_norm_youths[kIntake], Optional(30.0));
  EXPECT_EQ(f.care_forms.at("verblijf").waiting_beyond_norm_youths[kTreatment], std::nullopt);
}

}  // namespace
}  // namespace vroeg::early_warning
