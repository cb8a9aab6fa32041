#include "server/indicator_collectable.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace vroeg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class IndicatorCollectableTest : public ::testing::Test {
 protected:
  IndicatorCollectableTest() {
    auto catalogue = Catalogue::LoadFile(std::string(std::getenv("VROEG_SOURCE_DIR")) +
                                         "/deploy/catalogue/catalogue.yaml");
    EXPECT_TRUE(catalogue.ok()) << catalogue.status();
    catalogue_ = *catalogue;
  }

  void Put(const std::string& reporter, const std::string& indicator, const std::string& care_form,
           double value, const std::string& municipality = "",
           const std::string& start = "2026-09-07", const std::string& end = "2026-09-13") {
    StoredObservation o;
    o.series = {reporter, indicator, care_form, municipality};
    o.period_start = start;
    o.period_end = end;
    o.value = value;
    state_.Apply(o);
  }

  std::string Exposition() {
    IndicatorCollectable collectable(catalogue_, &state_, "flevoland");
    return prometheus::TextSerializer().Serialize(collectable.Collect());
  }

  std::shared_ptr<const Catalogue> catalogue_;
  LatestState state_;
};

constexpr char kA[] = "urn:vroeg:provider:11111111";
constexpr char kB[] = "urn:vroeg:provider:22222222";

TEST_F(IndicatorCollectableTest, ReporterSeriesCarryRegionReporterAndCareForm) {
  Put(kA, "plaatsen_operationeel", "verblijf", 20);
  EXPECT_THAT(Exposition(),
              HasSubstr("jeugdzorg_places_operational{region=\"flevoland\",reporter=\"11111111\","
                        "reporter_kind=\"provider\",care_form=\"verblijf\"} 20\n"));
}

TEST_F(IndicatorCollectableTest, WeeksAreExposedInSeconds) {
  Put(kA, "wachttijd_intake_weken", "verblijf", 2, "GM0034", "2026-09-01", "2026-09-30");
  EXPECT_THAT(Exposition(), HasSubstr("jeugdzorg_waiting_time_to_intake_seconds{region="
                                      "\"flevoland\",reporter=\"11111111\",reporter_kind="
                                      "\"provider\",care_form=\"verblijf\",municipality=\"GM0034\"}"
                                      " 1209600\n"));
}

TEST_F(IndicatorCollectableTest, IndicatorsSharingAMetricAreToldApartByLabels) {
  Put("urn:vroeg:municipality:GM0034", "verwijzingen_huisarts", "", 31, "", "2026-09-01",
      "2026-09-30");
  Put("urn:vroeg:municipality:GM0034", "verwijzingen_rechter", "", 2, "", "2026-09-01",
      "2026-09-30");
  const std::string text = Exposition();
  EXPECT_THAT(text, HasSubstr("jeugdzorg_referrals{region=\"flevoland\",reporter=\"GM0034\","
                              "reporter_kind=\"municipality\",route=\"medical\"} 31\n"));
  EXPECT_THAT(text,
              HasSubstr("jeugdzorg_region_referrals{region=\"flevoland\",route=\"court\"} 2\n"));
  // One HELP/TYPE per family, however many indicators feed it.
  EXPECT_EQ(text.find("# TYPE jeugdzorg_referrals gauge"),
            text.rfind("# TYPE jeugdzorg_referrals gauge"));
}

TEST_F(IndicatorCollectableTest, RegionalTotalsAndOccupancyPerCareForm) {
  Put(kA, "plaatsen_operationeel", "verblijf", 20);
  Put(kA, "plaatsen_bezet", "verblijf", 18);
  Put(kB, "plaatsen_operationeel", "verblijf", 10);
  Put(kB, "plaatsen_bezet", "verblijf", 9);
  Put(kB, "plaatsen_operationeel", "crisishulp", 0);
  const std::string text = Exposition();
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_places_operational{region=\"flevoland\","
                              "care_form=\"verblijf\"} 30\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_occupancy_ratio{region=\"flevoland\","
                              "care_form=\"verblijf\"} 0.9\n"));
  // No operational places: no ratio rather than a division by zero.
  EXPECT_THAT(text, Not(HasSubstr("jeugdzorg_region_occupancy_ratio{region=\"flevoland\","
                                  "care_form=\"crisishulp\"}")));
}

TEST_F(IndicatorCollectableTest, WaitingTimeIsMeanWeightedByNumberWaiting) {
  for (const auto& [reporter, waiting, weeks] :
       {std::tuple{kA, 30.0, 2.0}, std::tuple{kB, 10.0, 6.0}}) {
    Put(reporter, "wachtenden", "verblijf", waiting, "", "2026-09-01", "2026-09-30");
    Put(reporter, "wachttijd_intake_weken", "verblijf", weeks, "", "2026-09-01", "2026-09-30");
  }
  // (30*2 + 10*6) / 40 = 3 weeks.
  EXPECT_THAT(Exposition(), HasSubstr("jeugdzorg_region_waiting_time_to_intake_seconds{region="
                                      "\"flevoland\",care_form=\"verblijf\"} 1814400\n"));
}

TEST_F(IndicatorCollectableTest, IntakeStopsAreCounted) {
  Put(kA, "clientenstop", "verblijf", 1);
  Put(kB, "clientenstop", "verblijf", 0);
  Put("urn:vroeg:provider:33333333", "clientenstop", "verblijf", 1);
  EXPECT_THAT(Exposition(), HasSubstr("jeugdzorg_region_providers_with_intake_stop{region="
                                      "\"flevoland\",care_form=\"verblijf\"} 2\n"));
}

TEST_F(IndicatorCollectableTest, OrganisationLevelFiguresAreNotAggregated) {
  Put(kA, "bedrijfsresultaat", "", -61000, "", "2026-07-01", "2026-09-30");
  const std::string text = Exposition();
  EXPECT_THAT(text, HasSubstr("jeugdzorg_operating_result_euros{region=\"flevoland\",reporter="
                              "\"11111111\",reporter_kind=\"provider\"} -61000\n"));
  EXPECT_THAT(text, Not(HasSubstr("jeugdzorg_region_operating_result")));
}

TEST_F(IndicatorCollectableTest, EveryCatalogueFamilyIsDescribedBeforeDataArrives) {
  const std::string text = Exposition();
  for (const auto& indicator : catalogue_->proto().indicators()) {
    EXPECT_THAT(text, HasSubstr("# TYPE " + indicator.metric().name() + " gauge"));
  }
  EXPECT_THAT(text, HasSubstr("vroeg_series 0\n"));
}

TEST_F(IndicatorCollectableTest, SeriesOfIndicatorsNoLongerInTheCatalogueAreSkipped) {
  Put(kA, "retired_indicator", "verblijf", 5);
  Put(kA, "plaatsen_bezet", "verblijf", 5);
  const std::string text = Exposition();
  EXPECT_THAT(text, Not(HasSubstr("retired_indicator")));
  EXPECT_THAT(text, HasSubstr("vroeg_series 2\n"));
}

TEST(LatestStateTest, LatestPeriodWinsAndCorrectionsReplace) {
  LatestState state;
  auto apply = [&](const std::string& start, const std::string& end, double value) {
    StoredObservation o;
    o.series = {kA, "wachtenden", "verblijf", ""};
    o.period_start = start;
    o.period_end = end;
    o.value = value;
    state.Apply(o);
  };
  auto current = [&] {
    double v = -1;
    state.ForEach([&](const SeriesKey&, const LatestValue& latest) { v = latest.value; });
    return v;
  };
  apply("2026-09-01", "2026-09-30", 12);
  apply("2026-06-01", "2026-06-30", 40);  // backdated
  EXPECT_EQ(current(), 12);
  apply("2026-09-01", "2026-09-30", 15);  // correction of the latest period
  EXPECT_EQ(current(), 15);
  apply("2026-10-01", "2026-10-31", 7);
  EXPECT_EQ(current(), 7);
  EXPECT_EQ(state.size(), 1u);
}

}  // namespace
}  // namespace vroeg
