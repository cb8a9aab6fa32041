#include "server/indicator_collectable.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/text_exposition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "server/early_warning/settings.h"

namespace vroeg {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What the metrics server sends for `collectable`: its chunks, joined.
std::string Scrape(const TextCollectable& collectable, std::vector<ExpositionChunk>* chunks) {
  chunks->clear();
  collectable.AppendExposition(chunks);
  std::string text;
  for (const ExpositionChunk& chunk : *chunks) text += *chunk;
  return text;
}

std::string Scrape(const TextCollectable& collectable) {
  std::vector<ExpositionChunk> chunks;
  return Scrape(collectable, &chunks);
}

std::string Written(const std::vector<prometheus::MetricFamily>& families) {
  std::string text;
  AppendTextExposition(families, &text);
  return text;
}

class IndicatorCollectableTest : public ::testing::Test {
 protected:
  IndicatorCollectableTest() {
    auto catalogue = Catalogue::LoadFile(std::string(std::getenv("VROEG_SOURCE_DIR")) +
                                         "/deploy/catalogue/catalogue.yaml");
    EXPECT_TRUE(catalogue.ok()) << catalogue.status();
    catalogue_ = *catalogue;
    EXPECT_TRUE(early_warning::ApplyEarlyWarningDefaults(&settings_).ok());
    region_.set_code("flevoland");
    region_.add_municipalities()->set_code("GM0034");
    region_.add_municipalities()->set_code("GM0303");
  }

  void Put(const std::string& reporter, const std::string& indicator, const std::string& care_form,
           double value, const std::string& municipality = "",
           const std::string& start = "2026-09-07", const std::string& end = "2026-09-13",
           absl::Duration age = absl::Hours(1)) {
    StoredObservation o;
    o.series = {reporter, indicator, care_form, municipality};
    o.period_start = start;
    o.period_end = end;
    o.value = value;
    o.received_at = clock_.Now() - age;
    state_.Apply(o);
  }

  std::unique_ptr<IndicatorCollectable> Collectable() {
    return std::make_unique<IndicatorCollectable>(
        catalogue_, early_warning::IndicatorRoles::Resolve(*catalogue_), &state_, region_,
        settings_, &clock_, started_);
  }

  std::string Exposition() {
    return prometheus::TextSerializer().Serialize(Collectable()->Collect());
  }

  FakeClock clock_{absl::FromCivil(absl::CivilSecond(2026, 10, 15, 12, 0, 0), absl::UTCTimeZone())};
  absl::Time started_ = clock_.Now() - absl::Hours(24);
  std::shared_ptr<const Catalogue> catalogue_;
  config::v1::EarlyWarning settings_;
  config::v1::Region region_;
  LatestState state_{13};
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

TEST_F(IndicatorCollectableTest, MunicipalityAggregatesAndRegionalMaxima) {
  Put(kA, "wachtenden", "verblijf", 5, "GM0034", "2026-09-01", "2026-09-30");
  Put(kB, "wachtenden", "verblijf", 7, "GM0034", "2026-09-01", "2026-09-30");
  Put(kA, "wachtenden", "verblijf", 2, "GM0303", "2026-09-01", "2026-09-30");
  Put(kA, "wachtenden", "verblijf", 4, "", "2026-09-01", "2026-09-30");
  Put(kA, "wachttijd_intake_weken", "verblijf", 3, "GM0034", "2026-09-01", "2026-09-30");
  Put(kB, "wachttijd_intake_weken", "verblijf", 6, "GM0034", "2026-09-01", "2026-09-30");
  Put("urn:vroeg:municipality:GM0034", "verwijzingen_rechter", "", 2, "GM0034", "2026-09-01",
      "2026-09-30");
  const std::string text = Exposition();
  EXPECT_THAT(text, HasSubstr("jeugdzorg_municipality_waiting_youths{region=\"flevoland\","
                              "care_form=\"verblijf\",municipality=\"GM0034\"} 12\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_municipality_waiting_youths{region=\"flevoland\","
                              "care_form=\"verblijf\",municipality=\"GM0303\"} 2\n"));
  // Series without a municipality count for the region only: 5 + 7 + 2 + 4.
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_waiting_youths{region=\"flevoland\","
                              "care_form=\"verblijf\"} 18\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_municipality_referrals{region=\"flevoland\","
                              "municipality=\"GM0034\",route=\"court\"} 2\n"));
  // 6 weeks in seconds.
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_waiting_time_to_intake_max_seconds{region="
                              "\"flevoland\",care_form=\"verblijf\"} 3628800\n"));
}

TEST_F(IndicatorCollectableTest, AMunicipalitysOwnFiguresCountForItsMunicipality) {
  const std::string almere = "urn:vroeg:municipality:GM0034";
  Put(almere, "verwijzingen_huisarts", "", 31, "", "2026-09-01", "2026-09-30");
  Put(almere, "verwijzingen_lokaal_team", "", 20, "", "2026-09-01", "2026-09-30");
  Put(almere, "plaatsingsverzoeken_zonder_plek", "verblijf", 3, "", "2026-09-01", "2026-09-30");
  Put("urn:vroeg:municipality:GM0303", "verwijzingen_huisarts", "", 5, "", "2026-09-01",
      "2026-09-30");
  // A provider's series without a municipality stays regional.
  Put(kA, "wachtenden", "verblijf", 4, "", "2026-09-01", "2026-09-30");
  const std::string text = Exposition();
  EXPECT_THAT(text, HasSubstr("jeugdzorg_municipality_referrals{region=\"flevoland\","
                              "municipality=\"GM0034\",route=\"medical\"} 31\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_municipality_referrals{region=\"flevoland\","
                              "municipality=\"GM0034\",route=\"local_team\"} 20\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_municipality_referrals{region=\"flevoland\","
                              "municipality=\"GM0303\",route=\"medical\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_municipality_placement_requests_unplaced{region="
                              "\"flevoland\",care_form=\"verblijf\",municipality=\"GM0034\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_referrals{region=\"flevoland\",route="
                              "\"medical\"} 36\n"));
  EXPECT_THAT(text, Not(HasSubstr("jeugdzorg_municipality_waiting_youths{")));
  // The reporter's own series is exposed as it was sent, without a municipality.
  EXPECT_THAT(text, HasSubstr("jeugdzorg_referrals{region=\"flevoland\",reporter=\"GM0034\","
                              "reporter_kind=\"municipality\",route=\"medical\"} 31\n"));
}

TEST_F(IndicatorCollectableTest, EarlyWarningFiguresUseTheContractNamesAndLabels) {
  Put(kA, "plaatsen_operationeel", "verblijf", 20);
  Put(kA, "plaatsen_bezet", "verblijf", 18);
  Put(kA, "eigen_vermogen", "", 350000, "", "2026-07-01", "2026-09-30");
  Put(kA, "totaal_activa", "", 1000000, "", "2026-07-01", "2026-09-30");
  Put(kA, "wachtenden", "verblijf", 10, "", "2026-09-01", "2026-09-30");
  Put(kA, "wachttijd_intake_weken", "verblijf", 5, "", "2026-09-01", "2026-09-30");
  const std::string text = Exposition();
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_places_available{region=\"flevoland\","
                              "care_form=\"verblijf\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_places_available{region=\"flevoland\",reporter="
                              "\"11111111\",reporter_kind=\"provider\",care_form=\"verblijf\"} "
                              "2\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_provider_capacity_share_ratio{region=\"flevoland\","
                              "reporter=\"11111111\",reporter_kind=\"provider\",care_form="
                              "\"verblijf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_provider_solvency_ratio{region=\"flevoland\",reporter="
                              "\"11111111\",reporter_kind=\"provider\"} 0.35\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_provider_cbs_band{region=\"flevoland\",reporter="
                              "\"11111111\",reporter_kind=\"provider\",ratio=\"solvency\","
                              "band=\">=35%\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_provider_early_warning_scope{region=\"flevoland\","
                              "reporter=\"11111111\",reporter_kind=\"provider\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_waiting_beyond_norm_ratio{region=\"flevoland\","
                              "care_form=\"verblijf\",stage=\"intake\"} 1\n"));
  // Weekly capacity of 7-13 Sep: due 13 Sep + 1 + 7 + 3 days = 24 Sep 00:00 UTC, long past.
  EXPECT_THAT(text, HasSubstr("jeugdzorg_reporter_due_timestamp_seconds{region=\"flevoland\","
                              "reporter=\"11111111\",reporter_kind=\"provider\",dataset="
                              "\"capacity\"} 1790208000\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_reporter_overdue{region=\"flevoland\",reporter="
                              "\"11111111\",reporter_kind=\"provider\",dataset=\"capacity\"} "
                              "1\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_expected_reporters{region=\"flevoland\","
                              "dataset=\"finance\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_reporting_ratio{region=\"flevoland\",dataset="
                              "\"finance\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE vroeg_series_not_exposed_total counter\n"));
}

TEST_F(IndicatorCollectableTest, ZeroDenominatorsLeaveRatiosOutRatherThanNaN) {
  Put(kA, "plaatsen_operationeel", "verblijf", 0);
  Put(kA, "plaatsen_bezet", "verblijf", 0);
  Put(kA, "fte_bezet", "", 0, "", "2026-07-01", "2026-09-30");
  Put(kA, "vacatures_fte", "", 0, "", "2026-07-01", "2026-09-30");
  Put(kA, "eigen_vermogen", "", 0, "", "2026-07-01", "2026-09-30");
  Put(kA, "totaal_activa", "", 0, "", "2026-07-01", "2026-09-30");
  Put(kA, "vlottende_activa", "", 0, "", "2026-07-01", "2026-09-30");
  Put(kA, "kortlopende_schulden", "", 0, "", "2026-07-01", "2026-09-30");
  Put(kA, "omzet_totaal", "", 0, "", "2026-07-01", "2026-09-30");
  Put(kA, "bedrijfsresultaat", "", 0, "", "2026-07-01", "2026-09-30");
  Put(kA, "wachtenden", "verblijf", 0, "", "2026-09-01", "2026-09-30");
  const std::string text = Exposition();
  for (const char* bad : {" NaN\n", " nan\n", "Inf\n", "inf\n"}) {
    EXPECT_THAT(text, Not(HasSubstr(bad)));
  }
  EXPECT_THAT(text, Not(HasSubstr("jeugdzorg_provider_capacity_share_ratio{")));
  EXPECT_THAT(text, Not(HasSubstr("jeugdzorg_provider_solvency_ratio{")));
  EXPECT_THAT(text, Not(HasSubstr("jeugdzorg_provider_current_ratio{")));
  EXPECT_THAT(text, Not(HasSubstr("jeugdzorg_provider_result_margin_ratio{")));
  EXPECT_THAT(text, Not(HasSubstr("jeugdzorg_provider_staff_vacancy_ratio{")));
  EXPECT_THAT(text, Not(HasSubstr("jeugdzorg_region_waiting_beyond_norm_ratio{")));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_places_available{region=\"flevoland\","
                              "care_form=\"verblijf\"} 0\n"));
}

TEST_F(IndicatorCollectableTest, ExpiredReportersAreLeftOutEverywhere) {
  Put(kA, "plaatsen_operationeel", "verblijf", 20, "", "2026-09-07", "2026-09-13",
      absl::Hours(24 * 401));
  Put(kA, "plaatsen_bezet", "verblijf", 10, "", "2026-09-07", "2026-09-13", absl::Hours(24 * 401));
  Put(kB, "plaatsen_operationeel", "verblijf", 10);
  Put(kB, "plaatsen_bezet", "verblijf", 7);
  const std::string text = Exposition();
  EXPECT_THAT(text, Not(HasSubstr("reporter=\"11111111\"")));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_places_operational{region=\"flevoland\","
                              "care_form=\"verblijf\"} 10\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_places_available{region=\"flevoland\","
                              "care_form=\"verblijf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("jeugdzorg_region_expected_reporters{region=\"flevoland\","
                              "dataset=\"capacity\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vroeg_series 4\n"));
  EXPECT_THAT(text, HasSubstr("vroeg_reporters_expired 1\n"));
  EXPECT_THAT(text, HasSubstr("vroeg_series_expired 2\n"));

  // Expected reporters never expire.
  settings_.add_expected_reporters(kA);
  EXPECT_THAT(Exposition(), HasSubstr("jeugdzorg_places_operational{region=\"flevoland\","
                                      "reporter=\"11111111\",reporter_kind=\"provider\","
                                      "care_form=\"verblijf\"} 20\n"));
}

int CountSamples(const std::vector<prometheus::MetricFamily>& families, const std::string& prefix) {
  int n = 0;
  for (const auto& family : families) {
    if (family.name.rfind(prefix, 0) == 0) n += static_cast<int>(family.metric.size());
  }
  return n;
}

double Value(const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  for (const auto& family : families) {
    if (family.name != name) continue;
    return family.type == prometheus::MetricType::Counter ? family.metric.at(0).counter.value
                                                          : family.metric.at(0).gauge.value;
  }
  return -1;
}

TEST_F(IndicatorCollectableTest, PerReporterSamplesAreCappedAndRegionalOnesAreNot) {
  for (int i = 0; i < 5; ++i) {
    Put(absl::StrCat("urn:vroeg:provider:1000000", i), "plaatsen_operationeel", "verblijf", 10);
  }
  auto uncapped = Collectable()->Collect();
  const int regional = CountSamples(uncapped, "jeugdzorg_region_");
  const int all = CountSamples(uncapped, "jeugdzorg_");
  // Per reporter: 5 x (series, capacity share, scope, due, overdue, last period end).
  ASSERT_EQ(all - regional, 30);
  EXPECT_EQ(Value(uncapped, "vroeg_series_exposed"), all);
  EXPECT_EQ(Value(uncapped, "vroeg_series_not_exposed_total"), 0);

  settings_.set_max_exposed_series(4);
  auto collectable = Collectable();
  auto capped = collectable->Collect();
  EXPECT_EQ(CountSamples(capped, "jeugdzorg_region_"), regional);
  EXPECT_EQ(CountSamples(capped, "jeugdzorg_"), regional + 4);
  EXPECT_EQ(Value(capped, "vroeg_series_exposed"), regional + 4);
  EXPECT_EQ(Value(capped, "vroeg_series_not_exposed_total"), 26);
  EXPECT_EQ(Value(collectable->Collect(), "vroeg_series_not_exposed_total"), 52);
}

// A second collectable over the same state renders afresh at every scrape: the reference for
// what the cached one serves.
TEST_F(IndicatorCollectableTest, CachedScrapesEqualAFreshRenderAndReuseTheText) {
  for (int i = 0; i < 5; ++i) {
    Put(absl::StrCat("urn:vroeg:provider:1000000", i), "plaatsen_operationeel", "verblijf", 10 + i);
    Put(absl::StrCat("urn:vroeg:provider:1000000", i), "plaatsen_bezet", "verblijf", 5);
  }
  settings_.set_max_exposed_series(7);
  const auto cached = Collectable();
  const auto fresh = Collectable();
  std::vector<ExpositionChunk> first;
  std::vector<ExpositionChunk> second;
  EXPECT_EQ(Scrape(*cached, &first), Written(fresh->Collect()));
  const std::string text = Scrape(*cached, &second);
  EXPECT_EQ(text, Written(fresh->Collect()));
  // The cap's counter goes on counting per scrape; the rest is the same text, not a copy.
  EXPECT_THAT(text, HasSubstr("vroeg_series_not_exposed_total 66\n"));
  ASSERT_EQ(first.size(), second.size());
  EXPECT_EQ(first.front().get(), second.front().get());
}

TEST_F(IndicatorCollectableTest, ANewObservationShowsOnTheNextScrape) {
  Put(kA, "plaatsen_operationeel", "verblijf", 20);
  const auto cached = Collectable();
  EXPECT_THAT(Scrape(*cached), HasSubstr("care_form=\"verblijf\"} 20\n"));
  Put(kA, "plaatsen_operationeel", "verblijf", 21);
  const std::string text = Scrape(*cached);
  EXPECT_THAT(text, HasSubstr("care_form=\"verblijf\"} 21\n"));
  EXPECT_EQ(text, Written(Collectable()->Collect()));
  Put(kB, "plaatsen_operationeel", "pleegzorg", 3);
  EXPECT_THAT(Scrape(*cached), HasSubstr("reporter=\"22222222\""));
}

TEST_F(IndicatorCollectableTest, CachedScrapesFollowTheClockAcrossExpiry) {
  const absl::Duration expiry = absl::Hours(24) * settings_.reporter_expiry_days();
  // kA's newest value is one hour short of expiring; kB keeps reporting.
  Put(kA, "plaatsen_operationeel", "verblijf", 20, "", "2026-09-07", "2026-09-13",
      expiry - absl::Hours(1));
  Put(kB, "plaatsen_operationeel", "verblijf", 10);
  const absl::Time received = clock_.Now() - expiry + absl::Hours(1);
  const auto cached = Collectable();
  EXPECT_THAT(Scrape(*cached), HasSubstr("reporter=\"11111111\""));
  // Around the instant DropExpired starts to leave kA out, then further on.
  const absl::Time gone = received + absl::Seconds(1) + expiry;
  int served = 0;
  for (const absl::Time t :
       {gone - absl::Minutes(30), gone - absl::Seconds(1), gone - absl::Nanoseconds(1), gone,
        gone + absl::Seconds(1), gone + absl::Hours(1)}) {
    clock_.Set(t);
    const std::string text = Scrape(*cached);
    EXPECT_EQ(text, Written(Collectable()->Collect())) << t;
    EXPECT_EQ(text.find("reporter=\"11111111\"") == std::string::npos, t >= gone) << t;
    ++served;
  }
  EXPECT_EQ(served, 6);
}

// Due times pass at midnight; stepping by hours over several weeks passes many of them, and an
// expected reporter without data is overdue from the collector's start.
TEST_F(IndicatorCollectableTest, CachedScrapesFollowTheClockAcrossDueTimes) {
  settings_.add_expected_reporters("urn:vroeg:municipality:GM0034");
  Put(kA, "plaatsen_operationeel", "verblijf", 20, "", "2026-10-05", "2026-10-11");
  Put(kB, "wachtenden", "verblijf", 4, "", "2026-09-01", "2026-09-30");
  started_ = clock_.Now() + absl::Hours(5);
  const auto cached = Collectable();
  std::set<std::string> overdue_states;
  for (int hour = 0; hour < 24 * 50; hour += 1) {
    const std::string text = Scrape(*cached);
    ASSERT_EQ(text, Written(Collectable()->Collect())) << clock_.Now();
    std::string overdue;
    for (const absl::string_view line : absl::StrSplit(text, '\n')) {
      if (absl::StartsWith(line, "jeugdzorg_reporter_overdue{")) absl::StrAppend(&overdue, line);
    }
    overdue_states.insert(overdue);
    clock_.Advance(absl::Hours(1));
  }
  // The expected reporter, kA and kB each turned overdue at some point in the weeks stepped.
  EXPECT_GE(overdue_states.size(), 4u) << absl::StrJoin(overdue_states, "\n---\n");
}

}  // namespace
}  // namespace vroeg
