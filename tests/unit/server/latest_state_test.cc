#include "server/latest_state.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_observation_store.h"
#include "vroeg/collector/v1/state.pb.h"

namespace vroeg {
namespace {

using early_warning::ParseDay;
using early_warning::PeriodValue;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kA[] = "urn:vroeg:provider:11111111";

const absl::Time kT0 =
    absl::FromCivil(absl::CivilSecond(2026, 11, 2, 9, 0, 0), absl::UTCTimeZone());

StoredObservation Observation(const std::string& start, const std::string& end, double value,
                              absl::Time received = kT0,
                              const std::string& indicator = "wachtenden") {
  StoredObservation o;
  o.series = {kA, indicator, "verblijf", ""};
  o.period_start = start;
  o.period_end = end;
  o.value = value;
  o.received_at = received;
  return o;
}

PeriodValue Period(const std::string& start, const std::string& end, double value) {
  return {*ParseDay(start), *ParseDay(end), value};
}

std::vector<PeriodValue> Periods(const LatestState& state) {
  const early_warning::Snapshot snapshot = state.Snapshot();
  EXPECT_EQ(snapshot.size(), 1u);
  return snapshot.empty() ? std::vector<PeriodValue>() : snapshot[0].history.periods;
}

TEST(DayTest, DatesAreDaysSinceTheEpoch) {
  EXPECT_EQ(*ParseDay("1970-01-01"), 0);
  EXPECT_EQ(*ParseDay("1970-02-01"), 31);
  EXPECT_EQ(*ParseDay("2026-01-01"), 20454);
  EXPECT_EQ(early_warning::ToCivilDay(20454), absl::CivilDay(2026, 1, 1));
  EXPECT_EQ(early_warning::StartOfDay(1), absl::FromUnixSeconds(86400));
  EXPECT_FALSE(ParseDay("2026-02-30").ok());
}

TEST(LatestStateTest, PeriodsAreOrderedByEndThenStartWhateverTheArrival) {
  LatestState state(13);
  state.Apply(Observation("2026-09-01", "2026-09-30", 12));
  state.Apply(Observation("2026-06-01", "2026-06-30", 40));  // backdated
  state.Apply(Observation("2026-07-01", "2026-09-30", 30));  // quarter ending with September
  EXPECT_THAT(Periods(state), ElementsAre(Period("2026-06-01", "2026-06-30", 40),
                                          Period("2026-07-01", "2026-09-30", 30),
                                          Period("2026-09-01", "2026-09-30", 12)));
  EXPECT_EQ(state.Snapshot()[0].history.latest().value, 12);
}

TEST(LatestStateTest, CorrectionReplacesTheValueOfItsPeriod) {
  LatestState state(13);
  state.Apply(Observation("2026-08-01", "2026-08-31", 9));
  state.Apply(Observation("2026-09-01", "2026-09-30", 12));
  state.Apply(Observation("2026-08-01", "2026-08-31", 11));
  state.Apply(Observation("2026-09-01", "2026-09-30", 15));
  EXPECT_THAT(Periods(state), ElementsAre(Period("2026-08-01", "2026-08-31", 11),
                                          Period("2026-09-01", "2026-09-30", 15)));
  EXPECT_EQ(state.size(), 1u);
}

TEST(LatestStateTest, OnlyTheNewestPeriodsOfTheWindowAreKept) {
  LatestState state(3);
  for (int month = 1; month <= 5; ++month) {
    const std::string m = absl::StrCat("2026-0", month);
    state.Apply(Observation(m + "-01", m + "-28", month));
  }
  EXPECT_THAT(Periods(state), ElementsAre(Period("2026-03-01", "2026-03-28", 3),
                                          Period("2026-04-01", "2026-04-28", 4),
                                          Period("2026-05-01", "2026-05-28", 5)));
  // Older than the window: dropped, also as a correction of a period no longer held.
  state.Apply(Observation("2026-02-01", "2026-02-28", 20));
  state.Apply(Observation("2025-12-01", "2025-12-31", 21));
  EXPECT_THAT(Periods(state), ElementsAre(Period("2026-03-01", "2026-03-28", 3),
                                          Period("2026-04-01", "2026-04-28", 4),
                                          Period("2026-05-01", "2026-05-28", 5)));
  // A backdated period inside the window pushes the oldest out.
  state.Apply(Observation("2026-04-01", "2026-04-14", 7));
  EXPECT_THAT(Periods(state), ElementsAre(Period("2026-04-01", "2026-04-14", 7),
                                          Period("2026-04-01", "2026-04-28", 4),
                                          Period("2026-05-01", "2026-05-28", 5)));
}

TEST(LatestStateTest, NewestReceivedTimeIsKeptWhateverThePeriod) {
  LatestState state(2);
  state.Apply(Observation("2026-09-01", "2026-09-30", 1, kT0 + absl::Hours(2)));
  state.Apply(Observation("2026-10-01", "2026-10-31", 2, kT0));
  // Late data for a period older than the window still shows the reporter is alive.
  state.Apply(Observation("2026-01-01", "2026-01-31", 3, kT0 + absl::Hours(5)));
  EXPECT_EQ(state.Snapshot()[0].history.newest_received, absl::ToUnixSeconds(kT0 + absl::Hours(5)));
}

TEST(LatestStateTest, SnapshotIsOrderedByKey) {
  LatestState state(13);
  state.Apply(Observation("2026-09-01", "2026-09-30", 1, kT0, "wachttijd_intake_weken"));
  state.Apply(Observation("2026-09-01", "2026-09-30", 1, kT0, "plaatsen_bezet"));
  state.Apply(Observation("2026-09-01", "2026-09-30", 1, kT0, "wachtenden"));
  std::vector<std::string> indicators;
  for (const auto& entry : state.Snapshot()) indicators.push_back(entry.key.indicator);
  EXPECT_THAT(indicators, ElementsAre("plaatsen_bezet", "wachtenden", "wachttijd_intake_weken"));
}

TEST(LatestStateTest, RebuildFromTheStoreEqualsTheStateBuiltLive) {
  FakeObservationStore store;
  LatestState live(3);
  int id = 0;
  auto commit = [&](std::vector<StoredObservation> observations, absl::Time received) {
    SubmissionRecord record;
    record.reporter = kA;
    record.submission_id = absl::StrCat("s-", ++id);
    record.digest = record.submission_id;
    record.received_at = received;
    for (auto& o : observations) {
      o.submission_id = record.submission_id;
      o.received_at = received;
    }
    record.observations = observations;
    ASSERT_TRUE(store.Commit(record).ok());
    for (const auto& o : record.observations) live.Apply(o);
  };
  for (int month = 1; month <= 6; ++month) {
    const std::string m = absl::StrCat("2026-0", month);
    commit({Observation(m + "-01", m + "-28", month),
            Observation(m + "-01", m + "-28", month * 10, kT0, "plaatsen_bezet")},
           kT0 + absl::Hours(month));
  }
  commit({Observation("2026-05-01", "2026-05-28", 55)}, kT0 + absl::Hours(7));  // correction
  commit({Observation("2026-01-01", "2026-01-28", 99)}, kT0 + absl::Hours(8));  // old period

  LatestState rebuilt(3);
  ASSERT_TRUE(rebuilt.Load(store).ok());
  const early_warning::Snapshot want = live.Snapshot();
  const early_warning::Snapshot got = rebuilt.Snapshot();
  ASSERT_EQ(got.size(), 2u);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].key, want[i].key);
    EXPECT_EQ(got[i].history.periods, want[i].history.periods);
    EXPECT_EQ(got[i].history.newest_received, want[i].history.newest_received);
  }
  EXPECT_THAT(got[1].history.periods, ElementsAre(Period("2026-04-01", "2026-04-28", 4),
                                                  Period("2026-05-01", "2026-05-28", 55),
                                                  Period("2026-06-01", "2026-06-28", 6)));
  EXPECT_EQ(got[1].history.newest_received, absl::ToUnixSeconds(kT0 + absl::Hours(8)));
}

// A well-formed checkpoint of one series with the periods it is given, for history_periods 3.
collector::v1::StateCheckpoint Checkpoint(const std::vector<PeriodValue>& periods) {
  collector::v1::StateCheckpoint checkpoint;
  checkpoint.set_format(1);
  checkpoint.set_history_periods(3);
  collector::v1::SeriesState* series = checkpoint.add_series();
  series->set_reporter(kA);
  series->set_indicator("wachtenden");
  series->set_newest_received(absl::ToUnixSeconds(kT0));
  for (const PeriodValue& period : periods) {
    series->add_period_start(period.start);
    series->add_period_end(period.end);
    series->add_value(period.value);
  }
  return checkpoint;
}

// Each checkpoint is refused for what is wrong with it, and the store is read instead.
TEST(LatestStateTest, ACheckpointThatIsNotWhatSaveWritesIsRefusedWithItsReason) {
  const PeriodValue june = Period("2026-06-01", "2026-06-30", 4);
  const PeriodValue july = Period("2026-07-01", "2026-07-31", 5);
  collector::v1::StateCheckpoint newer_format = Checkpoint({june});
  newer_format.set_format(2);
  collector::v1::StateCheckpoint mismatched = Checkpoint({june, july});
  mismatched.mutable_series(0)->add_value(6);
  collector::v1::StateCheckpoint twice = Checkpoint({june});
  *twice.add_series() = twice.series(0);
  collector::v1::StateCheckpoint empty_series = Checkpoint({});
  const std::pair<std::string, std::string> cases[] = {
      {std::string("\xff\xff\xff\xff"), "it is not a state checkpoint"},
      {newer_format.SerializeAsString(), "it has format 2, this collector reads 1"},
      {Checkpoint({june, july, june, july}).SerializeAsString(), "damaged history"},
      {Checkpoint({july, june}).SerializeAsString(), "damaged history"},
      {Checkpoint({june, june}).SerializeAsString(), "damaged history"},
      {mismatched.SerializeAsString(), "damaged history"},
      {empty_series.SerializeAsString(), "damaged history"},
      {twice.SerializeAsString(), "holds a series twice"},
  };
  for (const auto& [bytes, reason] : cases) {
    SCOPED_TRACE(reason);
    FakeObservationStore store;
    ASSERT_TRUE(store.SaveCheckpoint(bytes).ok());
    LatestState state(3);
    absl::StatusOr<LatestState::LoadSummary> loaded = state.Load(store);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    EXPECT_FALSE(loaded->from_checkpoint);
    EXPECT_THAT(loaded->checkpoint_refused, HasSubstr(reason));
    EXPECT_THAT(state.Snapshot(), IsEmpty()) << "nothing of a refused checkpoint is kept";
  }

  // The same shape, well formed, is restored as it was.
  FakeObservationStore store;
  ASSERT_TRUE(store.SaveCheckpoint(Checkpoint({june, july}).SerializeAsString()).ok());
  LatestState state(3);
  absl::StatusOr<LatestState::LoadSummary> loaded = state.Load(store);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->from_checkpoint);
  EXPECT_THAT(Periods(state), ElementsAre(june, july));
}

}  // namespace
}  // namespace vroeg
