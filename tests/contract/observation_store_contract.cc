#include "tests/contract/observation_store_contract.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "server/early_warning/series.h"
#include "server/latest_state.h"

namespace vroeg {

void PrintTo(const StoredObservation& o, std::ostream* os) {
  *os << "{" << o.series.reporter << " " << o.series.indicator << " care_form='"
      << o.series.care_form << "' municipality='" << o.series.municipality << "' " << o.period_start
      << ".." << o.period_end << " granularity=" << o.granularity << " value=" << o.value
      << " submission=" << o.submission_id
      << " received_at=" << absl::FormatTime(o.received_at, absl::UTCTimeZone())
      << (o.current ? " current}" : " superseded}");
}

namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kProvider[] = "urn:vroeg:provider:12345678";
constexpr char kOtherProvider[] = "urn:vroeg:provider:87654321";
constexpr char kJanuary[] = "2026-01-01";
constexpr char kJanuaryEnd[] = "2026-01-31";
constexpr char kFebruary[] = "2026-02-01";
constexpr char kFebruaryEnd[] = "2026-02-28";

// 2026-01-02T03:04:05.123456Z; the microseconds check that times are kept to the microsecond.
const absl::Time kT0 =
    absl::FromCivil(absl::CivilSecond(2026, 1, 2, 3, 4, 5), absl::UTCTimeZone()) +
    absl::Microseconds(123456);

// The fields a caller sets on a new observation; the store fills in reporter, submission id and
// received time from the submission.
StoredObservation Obs(const std::string& indicator, const std::string& care_form,
                      const std::string& municipality, double value,
                      const std::string& period_start = kJanuary,
                      const std::string& period_end = kJanuaryEnd,
                      type::v1::Granularity granularity = type::v1::GRANULARITY_MONTH) {
  StoredObservation observation;
  observation.series.indicator = indicator;
  observation.series.care_form = care_form;
  observation.series.municipality = municipality;
  observation.period_start = period_start;
  observation.period_end = period_end;
  observation.granularity = granularity;
  observation.value = value;
  return observation;
}

SubmissionRecord Sub(const std::string& reporter, const std::string& submission_id,
                     const std::string& digest, absl::Time received_at,
                     std::vector<StoredObservation> observations) {
  SubmissionRecord submission;
  submission.reporter = reporter;
  submission.submission_id = submission_id;
  submission.digest = digest;
  submission.received_at = received_at;
  submission.observations = std::move(observations);
  return submission;
}

SeriesKey Series(const std::string& indicator, const std::string& care_form,
                 const std::string& municipality, const std::string& reporter = kProvider) {
  return SeriesKey{reporter, indicator, care_form, municipality};
}

testing::Matcher<const StoredObservation&> Version(double value, const std::string& submission_id,
                                                   absl::Time received_at, bool current) {
  return AllOf(Field("value", &StoredObservation::value, value),
               Field("submission_id", &StoredObservation::submission_id, submission_id),
               Field("received_at", &StoredObservation::received_at, received_at),
               Field("current", &StoredObservation::current, current));
}

testing::Matcher<const StoreCounts&> CountsAre(uint64_t submissions, uint64_t observations,
                                               uint64_t current) {
  return AllOf(Field("submissions", &StoreCounts::submissions, submissions),
               Field("observations", &StoreCounts::observations, observations),
               Field("current", &StoreCounts::current, current));
}

std::vector<StoredObservation> AllCurrent(ObservationStore& store) {
  std::vector<StoredObservation> current;
  absl::Status status =
      store.ForEachCurrent([&](const StoredObservation& o) { current.push_back(o); });
  EXPECT_TRUE(status.ok()) << status;
  return current;
}

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(CONTRACT_CONCAT_(statusor_, __LINE__), lhs, rexpr)
#define CONTRACT_CONCAT_INNER_(a, b) a##b
#define CONTRACT_CONCAT_(a, b) CONTRACT_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  ASSERT_TRUE(statusor.ok()) << statusor.status();       \
  lhs = std::move(statusor).value()

TEST_P(ObservationStoreContractTest, CommitStoresEveryObservation) {
  ASSERT_OK_AND_ASSIGN(CommitResult result,
                       store_->Commit(Sub(kProvider, "s1", "d1", kT0,
                                          {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 12),
                                           Obs("wachtenden", "jeugdhulp_verblijf", "GM0303", 3),
                                           Obs("instroom", "jeugdhulp_verblijf", "", 7)})));
  EXPECT_FALSE(result.duplicate);
  EXPECT_EQ(result.stored, 3u);
  EXPECT_EQ(result.corrections, 0u);
  EXPECT_EQ(result.committed_at, kT0);

  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(1, 3, 3));

  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> history,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", "GM0034"), kJanuary, kJanuaryEnd));
  ASSERT_THAT(history, ElementsAre(Version(12, "s1", kT0, true)));
  const StoredObservation& stored = history[0];
  EXPECT_EQ(stored.series, Series("wachtenden", "jeugdhulp_verblijf", "GM0034"));
  EXPECT_EQ(stored.period_start, kJanuary);
  EXPECT_EQ(stored.period_end, kJanuaryEnd);
  EXPECT_EQ(stored.granularity, type::v1::GRANULARITY_MONTH);
}

TEST_P(ObservationStoreContractTest, SameIdAndDigestAgainIsDuplicate) {
  const SubmissionRecord submission = Sub(kProvider, "s1", "d1", kT0,
                                          {Obs("wachtenden", "jeugdhulp_verblijf", "", 12),
                                           Obs("instroom", "jeugdhulp_verblijf", "", 4)});
  ASSERT_TRUE(store_->Commit(submission).ok());

  SubmissionRecord retry = submission;
  retry.received_at = kT0 + absl::Minutes(5);
  ASSERT_OK_AND_ASSIGN(CommitResult result, store_->Commit(retry));
  EXPECT_TRUE(result.duplicate);
  EXPECT_EQ(result.committed_at, kT0);
  EXPECT_EQ(result.stored, 0u);
  EXPECT_EQ(result.corrections, 0u);

  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(1, 2, 2));
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> history,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", ""), kJanuary, kJanuaryEnd));
  EXPECT_THAT(history, ElementsAre(Version(12, "s1", kT0, true)));
}

TEST_P(ObservationStoreContractTest, SameIdWithOtherDigestIsRefused) {
  ASSERT_TRUE(store_
                  ->Commit(Sub(kProvider, "s1", "d1", kT0,
                               {Obs("wachtenden", "jeugdhulp_verblijf", "", 12)}))
                  .ok());

  absl::StatusOr<CommitResult> result =
      store_->Commit(Sub(kProvider, "s1", "d2", kT0 + absl::Hours(1),
                         {Obs("wachtenden", "jeugdhulp_verblijf", "", 99)}));
  ASSERT_EQ(result.status().code(), absl::StatusCode::kAlreadyExists) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("'s1'"));
  EXPECT_THAT(result.status().message(), HasSubstr(kProvider));
  EXPECT_THAT(result.status().message(), HasSubstr("2026-01-02T03:04:05Z"));
  EXPECT_THAT(result.status().message(), HasSubstr("new submission id"));

  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(1, 1, 1));
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> history,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", ""), kJanuary, kJanuaryEnd));
  EXPECT_THAT(history, ElementsAre(Version(12, "s1", kT0, true)));
}

TEST_P(ObservationStoreContractTest, SameIdFromAnotherReporterIsIndependent) {
  ASSERT_TRUE(store_
                  ->Commit(Sub(kProvider, "s1", "d1", kT0,
                               {Obs("wachtenden", "jeugdhulp_verblijf", "", 12)}))
                  .ok());
  const absl::Time t1 = kT0 + absl::Minutes(1);
  ASSERT_OK_AND_ASSIGN(CommitResult result,
                       store_->Commit(Sub(kOtherProvider, "s1", "d2", t1,
                                          {Obs("wachtenden", "jeugdhulp_verblijf", "", 30)})));
  EXPECT_FALSE(result.duplicate);
  EXPECT_EQ(result.stored, 1u);
  EXPECT_EQ(result.corrections, 0u);
  EXPECT_EQ(result.committed_at, t1);

  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(2, 2, 2));
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> theirs,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", "", kOtherProvider), kJanuary,
                      kJanuaryEnd));
  EXPECT_THAT(theirs, ElementsAre(Version(30, "s1", t1, true)));
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> ours,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", ""), kJanuary, kJanuaryEnd));
  EXPECT_THAT(ours, ElementsAre(Version(12, "s1", kT0, true)));
}

TEST_P(ObservationStoreContractTest, CorrectionBecomesCurrentAndKeepsHistory) {
  ASSERT_TRUE(store_
                  ->Commit(Sub(kProvider, "s1", "d1", kT0,
                               {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 10),
                                Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 5, kFebruary,
                                    kFebruaryEnd)}))
                  .ok());
  const absl::Time t1 = kT0 + absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(CommitResult result,
                       store_->Commit(Sub(kProvider, "s2", "d2", t1,
                                          {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 12),
                                           Obs("wachtenden", "jeugdhulp_verblijf", "GM0303", 2)})));
  EXPECT_EQ(result.stored, 2u);
  EXPECT_EQ(result.corrections, 1u);

  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> january,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", "GM0034"), kJanuary, kJanuaryEnd));
  EXPECT_THAT(january, ElementsAre(Version(10, "s1", kT0, false), Version(12, "s2", t1, true)));
  ASSERT_OK_AND_ASSIGN(std::vector<StoredObservation> february,
                       store_->History(Series("wachtenden", "jeugdhulp_verblijf", "GM0034"),
                                       kFebruary, kFebruaryEnd));
  EXPECT_THAT(february, ElementsAre(Version(5, "s1", kT0, true)));

  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(2, 4, 3));
}

TEST_P(ObservationStoreContractTest, ForEachCurrentYieldsExactlyTheCurrentValues) {
  const absl::Time t1 = kT0 + absl::Hours(1);
  const absl::Time t2 = kT0 + absl::Hours(2);
  ASSERT_TRUE(store_
                  ->Commit(Sub(kProvider, "s1", "d1", kT0,
                               {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 10),
                                Obs("wachtenden", "jeugdhulp_verblijf", "GM0303", 20),
                                Obs("instroom", "jeugdhulp_verblijf", "", 3)}))
                  .ok());
  ASSERT_TRUE(store_
                  ->Commit(Sub(kProvider, "s2", "d2", t1,
                               {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 11)}))
                  .ok());
  ASSERT_TRUE(store_
                  ->Commit(Sub(kOtherProvider, "s1", "d3", t2,
                               {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 40)}))
                  .ok());

  using Key = std::tuple<std::string, std::string, std::string>;  // reporter, indicator, gm
  std::map<Key, StoredObservation> seen;
  for (const StoredObservation& o : AllCurrent(*store_)) {
    EXPECT_TRUE(o.current);
    EXPECT_EQ(o.series.care_form, "jeugdhulp_verblijf");
    EXPECT_EQ(o.period_start, kJanuary);
    EXPECT_EQ(o.period_end, kJanuaryEnd);
    EXPECT_EQ(o.granularity, type::v1::GRANULARITY_MONTH);
    EXPECT_TRUE(
        seen.emplace(Key{o.series.reporter, o.series.indicator, o.series.municipality}, o).second)
        << "yielded twice: " << testing::PrintToString(o);
  }
  ASSERT_THAT(seen, SizeIs(4));
  EXPECT_THAT(seen[Key(kProvider, "wachtenden", "GM0034")], Version(11, "s2", t1, true));
  EXPECT_THAT(seen[Key(kProvider, "wachtenden", "GM0303")], Version(20, "s1", kT0, true));
  EXPECT_THAT(seen[Key(kProvider, "instroom", "")], Version(3, "s1", kT0, true));
  EXPECT_THAT(seen[Key(kOtherProvider, "wachtenden", "GM0034")], Version(40, "s1", t2, true));
}

TEST_P(ObservationStoreContractTest, EverythingSurvivesReopen) {
  const absl::Time t1 = kT0 + absl::Hours(1);
  const SubmissionRecord first =
      Sub(kProvider, "s1", "d1", kT0, {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 10)});
  ASSERT_TRUE(store_->Commit(first).ok());
  ASSERT_TRUE(store_
                  ->Commit(Sub(kProvider, "s2", "d2", t1,
                               {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 12),
                                Obs("instroom", "jeugdhulp_verblijf", "", 1)}))
                  .ok());

  ASSERT_NO_FATAL_FAILURE(Reopen());

  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(2, 3, 2));
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> history,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", "GM0034"), kJanuary, kJanuaryEnd));
  EXPECT_THAT(history, ElementsAre(Version(10, "s1", kT0, false), Version(12, "s2", t1, true)));
  EXPECT_THAT(AllCurrent(*store_), SizeIs(2));

  ASSERT_OK_AND_ASSIGN(CommitResult retry, store_->Commit(first));
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.committed_at, kT0);
  SubmissionRecord reused = first;
  reused.digest = "other";
  EXPECT_EQ(store_->Commit(reused).status().code(), absl::StatusCode::kAlreadyExists);

  const absl::Time t2 = kT0 + absl::Hours(2);
  ASSERT_OK_AND_ASSIGN(
      CommitResult third,
      store_->Commit(
          Sub(kProvider, "s3", "d3", t2, {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 13)})));
  EXPECT_EQ(third.corrections, 1u);
  ASSERT_OK_AND_ASSIGN(
      history,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", "GM0034"), kJanuary, kJanuaryEnd));
  EXPECT_THAT(history, ElementsAre(Version(10, "s1", kT0, false), Version(12, "s2", t1, false),
                                   Version(13, "s3", t2, true)));
  ASSERT_OK_AND_ASSIGN(counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(3, 4, 2));
}

TEST_P(ObservationStoreContractTest, EmptySubmissionIsStoredOnce) {
  ASSERT_OK_AND_ASSIGN(CommitResult result, store_->Commit(Sub(kProvider, "empty", "d0", kT0, {})));
  EXPECT_FALSE(result.duplicate);
  EXPECT_EQ(result.stored, 0u);
  EXPECT_EQ(result.committed_at, kT0);
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(1, 0, 0));
  EXPECT_THAT(AllCurrent(*store_), IsEmpty());

  ASSERT_OK_AND_ASSIGN(result,
                       store_->Commit(Sub(kProvider, "empty", "d0", kT0 + absl::Seconds(1), {})));
  EXPECT_TRUE(result.duplicate);
  EXPECT_EQ(result.committed_at, kT0);
}

TEST_P(ObservationStoreContractTest, OrganisationLevelObservationsFormTheirOwnSeries) {
  ASSERT_TRUE(store_
                  ->Commit(Sub(kProvider, "s1", "d1", kT0,
                               {Obs("fte_personeel", "", "", 80),
                                Obs("fte_personeel", "jeugdhulp_ambulant", "", 20),
                                Obs("fte_personeel", "", "GM0034", 5)}))
                  .ok());
  const absl::Time t1 = kT0 + absl::Hours(24);
  ASSERT_OK_AND_ASSIGN(
      CommitResult result,
      store_->Commit(Sub(kProvider, "s2", "d2", t1, {Obs("fte_personeel", "", "", 82)})));
  EXPECT_EQ(result.corrections, 1u);

  ASSERT_OK_AND_ASSIGN(std::vector<StoredObservation> history,
                       store_->History(Series("fte_personeel", "", ""), kJanuary, kJanuaryEnd));
  EXPECT_THAT(history, ElementsAre(Version(80, "s1", kT0, false), Version(82, "s2", t1, true)));
  ASSERT_OK_AND_ASSIGN(history, store_->History(Series("fte_personeel", "jeugdhulp_ambulant", ""),
                                                kJanuary, kJanuaryEnd));
  EXPECT_THAT(history, ElementsAre(Version(20, "s1", kT0, true)));
  ASSERT_OK_AND_ASSIGN(
      history, store_->History(Series("fte_personeel", "", "GM0034"), kJanuary, kJanuaryEnd));
  EXPECT_THAT(history, ElementsAre(Version(5, "s1", kT0, true)));
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(2, 4, 3));
}

TEST_P(ObservationStoreContractTest, SameSeriesTwiceInOneSubmissionKeepsTheLaterValue) {
  ASSERT_OK_AND_ASSIGN(CommitResult result,
                       store_->Commit(Sub(kProvider, "s1", "d1", kT0,
                                          {Obs("wachtenden", "jeugdhulp_verblijf", "", 1),
                                           Obs("wachtenden", "jeugdhulp_verblijf", "", 2)})));
  EXPECT_EQ(result.stored, 2u);
  EXPECT_EQ(result.corrections, 1u);
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> history,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", ""), kJanuary, kJanuaryEnd));
  EXPECT_THAT(history, ElementsAre(Version(1, "s1", kT0, false), Version(2, "s1", kT0, true)));
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(1, 2, 1));
}

TEST_P(ObservationStoreContractTest, ValuesAndGranularitiesRoundTrip) {
  const std::vector<std::pair<type::v1::Granularity, double>> cases = {
      {type::v1::GRANULARITY_DAY, 0.0},
      {type::v1::GRANULARITY_WEEK, -3.25},
      {type::v1::GRANULARITY_MONTH, 1e15},
      {type::v1::GRANULARITY_QUARTER, std::numeric_limits<double>::infinity()},
      {type::v1::GRANULARITY_YEAR, std::numeric_limits<double>::quiet_NaN()},
      {type::v1::GRANULARITY_UNSPECIFIED, 0.1},
  };
  std::vector<StoredObservation> observations;
  for (size_t i = 0; i < cases.size(); ++i) {
    observations.push_back(Obs(absl::StrCat("indicator", i), "jeugdhulp_verblijf", "",
                               cases[i].second, kJanuary, kJanuaryEnd, cases[i].first));
  }
  ASSERT_TRUE(store_->Commit(Sub(kProvider, "s1", "d1", kT0, observations)).ok());

  for (size_t i = 0; i < cases.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(
        std::vector<StoredObservation> history,
        store_->History(Series(absl::StrCat("indicator", i), "jeugdhulp_verblijf", ""), kJanuary,
                        kJanuaryEnd));
    ASSERT_THAT(history, SizeIs(1));
    EXPECT_EQ(history[0].granularity, cases[i].first);
    if (std::isnan(cases[i].second)) {
      EXPECT_TRUE(std::isnan(history[0].value));
    } else {
      EXPECT_EQ(history[0].value, cases[i].second);
    }
    EXPECT_EQ(history[0].received_at, kT0);
  }
}

TEST_P(ObservationStoreContractTest, HistoryOfUnknownSeriesIsEmpty) {
  ASSERT_TRUE(store_
                  ->Commit(Sub(kProvider, "s1", "d1", kT0,
                               {Obs("wachtenden", "jeugdhulp_verblijf", "", 1)}))
                  .ok());
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> history,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", "", kOtherProvider), kJanuary,
                      kJanuaryEnd));
  EXPECT_THAT(history, IsEmpty());
  ASSERT_OK_AND_ASSIGN(history, store_->History(Series("wachtenden", "jeugdhulp_verblijf", ""),
                                                kFebruary, kFebruaryEnd));
  EXPECT_THAT(history, IsEmpty());
}

TEST_P(ObservationStoreContractTest, ConcurrentCommitsAllLand) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  constexpr int kShared = 5;  // series every thread writes
  constexpr int kOwn = 5;     // series only one thread writes
  std::atomic<uint64_t> corrections{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        std::vector<StoredObservation> observations;
        for (int i = 0; i < kShared; ++i) {
          observations.push_back(
              Obs(absl::StrCat("shared", i), "jeugdhulp_verblijf", "", t * 1000 + k));
        }
        for (int i = 0; i < kOwn; ++i) {
          observations.push_back(
              Obs(absl::StrCat("own", i), absl::StrCat("care", t), "", t * 1000 + k));
        }
        absl::StatusOr<CommitResult> result = store_->Commit(
            Sub(kProvider, absl::StrCat("t", t, "-s", k), absl::StrCat("d", t, "-", k),
                kT0 + absl::Seconds(t * 1000 + k), std::move(observations)));
        if (!result.ok() || result->duplicate) {
          ++failures;
          ADD_FAILURE() << result.status();
          continue;
        }
        corrections += result->corrections;
        if (k % 10 == 0 && !store_->Counts().ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(failures.load(), 0);

  constexpr uint64_t kObservations = kThreads * kPerThread * (kShared + kOwn);
  constexpr uint64_t kCurrent = kShared + kThreads * kOwn;
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(kThreads * kPerThread, kObservations, kCurrent));
  EXPECT_EQ(corrections.load(), kObservations - kCurrent);
  EXPECT_THAT(AllCurrent(*store_), SizeIs(kCurrent));

  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> shared,
      store_->History(Series("shared0", "jeugdhulp_verblijf", ""), kJanuary, kJanuaryEnd));
  ASSERT_THAT(shared, SizeIs(kThreads * kPerThread));
  std::set<std::string> ids;
  for (size_t i = 0; i < shared.size(); ++i) {
    EXPECT_EQ(shared[i].current, i + 1 == shared.size());
    ids.insert(shared[i].submission_id);
  }
  EXPECT_THAT(ids, SizeIs(kThreads * kPerThread));

  for (int t = 0; t < kThreads; ++t) {
    ASSERT_OK_AND_ASSIGN(
        std::vector<StoredObservation> own,
        store_->History(Series("own0", absl::StrCat("care", t), ""), kJanuary, kJanuaryEnd));
    ASSERT_THAT(own, SizeIs(kPerThread));
    for (int k = 0; k < kPerThread; ++k) {
      EXPECT_EQ(own[k].submission_id, absl::StrCat("t", t, "-s", k));
    }
  }
}

// ForEachObservation's fields as one line, so that expectations show order and content at once:
// "reporter indicator care_form municipality start..end value submission [current|>by@time]".
std::string ExportLine(const StoredObservation& o) {
  return absl::StrCat(o.series.reporter, " ", o.series.indicator, " '", o.series.care_form, "' '",
                      o.series.municipality, "' ", o.period_start, "..", o.period_end, " ", o.value,
                      " ", o.submission_id, " ",
                      o.current
                          ? std::string("current")
                          : absl::StrCat(">", o.superseded_by_submission_id, "@",
                                         absl::FormatTime(o.superseded_at, absl::UTCTimeZone())));
}

std::vector<std::string> ExportLines(ObservationStore& store, const ExportQuery& query) {
  std::vector<std::string> lines;
  absl::Status status = store.ForEachObservation(query, [&](const StoredObservation& o) {
    lines.push_back(ExportLine(o));
    return true;
  });
  EXPECT_TRUE(status.ok()) << status;
  return lines;
}

constexpr char kQuarter[] = "2026-01-01";
constexpr char kQuarterEnd[] = "2026-03-31";
const absl::Time kT1 = kT0 + absl::Hours(1);
const absl::Time kT2 = kT0 + absl::Hours(2);
const absl::Time kT3 = kT0 + absl::Hours(3);

std::string At(absl::Time t) { return absl::FormatTime(t, absl::UTCTimeZone()); }

// Committed out of export order, with a value corrected twice.
void CommitExportFixture(ObservationStore& store) {
  ASSERT_TRUE(store
                  .Commit(Sub(kProvider, "s1", "d1", kT0,
                              {Obs("wachtenden", "jeugdhulp_verblijf", "GM0303", 7, kFebruary,
                                   kFebruaryEnd),
                               Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 10),
                               Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 30, kQuarter,
                                   kQuarterEnd, type::v1::GRANULARITY_QUARTER),
                               Obs("instroom", "", "", 3)}))
                  .ok());
  ASSERT_TRUE(
      store
          .Commit(Sub(kOtherProvider, "s1", "d2", kT1,
                      {Obs("instroom", "jeugdhulp_ambulant", "", 1, kFebruary, kFebruaryEnd),
                       Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 40)}))
          .ok());
  ASSERT_TRUE(store
                  .Commit(Sub(kProvider, "s2", "d3", kT2,
                              {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 12)}))
                  .ok());
  ASSERT_TRUE(store
                  .Commit(Sub(kProvider, "s3", "d4", kT3,
                              {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 13)}))
                  .ok());
}

// The fixture's lines in export order, history included.
struct FixtureLines {
  const std::string provider = kProvider;
  const std::string other = kOtherProvider;
  std::string instroom_jan = provider + " instroom '' '' 2026-01-01..2026-01-31 3 s1 current";
  std::string wacht_jan_10 = provider + " wachtenden 'jeugdhulp_verblijf' 'GM0034' " +
                             "2026-01-01..2026-01-31 10 s1 >s2@" + At(kT2);
  std::string wacht_jan_12 = provider + " wachtenden 'jeugdhulp_verblijf' 'GM0034' " +
                             "2026-01-01..2026-01-31 12 s2 >s3@" + At(kT3);
  std::string wacht_jan_13 =
      provider + " wachtenden 'jeugdhulp_verblijf' 'GM0034' 2026-01-01..2026-01-31 13 s3 current";
  std::string other_jan =
      other + " wachtenden 'jeugdhulp_verblijf' 'GM0034' 2026-01-01..2026-01-31 40 s1 current";
  std::string wacht_feb =
      provider + " wachtenden 'jeugdhulp_verblijf' 'GM0303' 2026-02-01..2026-02-28 7 s1 current";
  std::string other_feb =
      other + " instroom 'jeugdhulp_ambulant' '' 2026-02-01..2026-02-28 1 s1 current";
  std::string quarter_line =
      provider + " wachtenden 'jeugdhulp_verblijf' 'GM0034' 2026-01-01..2026-03-31 30 s1 current";
};

TEST_P(ObservationStoreContractTest, ForEachObservationOnEmptyStoreCallsNothing) {
  ExportQuery query;
  EXPECT_THAT(ExportLines(*store_, query), IsEmpty());
  query.history = true;
  EXPECT_THAT(ExportLines(*store_, query), IsEmpty());
}

TEST_P(ObservationStoreContractTest, ForEachObservationYieldsCurrentValuesInExportOrder) {
  const FixtureLines expected;
  CommitExportFixture(*store_);
  EXPECT_THAT(ExportLines(*store_, ExportQuery()),
              ElementsAre(expected.instroom_jan, expected.wacht_jan_13, expected.other_jan,
                          expected.wacht_feb, expected.other_feb, expected.quarter_line));
}

TEST_P(ObservationStoreContractTest, ForEachObservationHistoryShowsWhatSupersededEachValue) {
  const FixtureLines expected;
  CommitExportFixture(*store_);
  ExportQuery query;
  query.history = true;
  EXPECT_THAT(ExportLines(*store_, query),
              ElementsAre(expected.instroom_jan, expected.wacht_jan_10, expected.wacht_jan_12,
                          expected.wacht_jan_13, expected.other_jan, expected.wacht_feb,
                          expected.other_feb, expected.quarter_line));

  // Every field of a superseded row, not only those in the line.
  std::vector<StoredObservation> rows;
  ASSERT_TRUE(store_
                  ->ForEachObservation(query,
                                       [&](const StoredObservation& o) {
                                         rows.push_back(o);
                                         return true;
                                       })
                  .ok());
  ASSERT_THAT(rows, SizeIs(8));
  EXPECT_THAT(rows[1], Version(10, "s1", kT0, false));
  EXPECT_EQ(rows[1].granularity, type::v1::GRANULARITY_MONTH);
  EXPECT_EQ(rows[1].superseded_at, kT2);
  EXPECT_EQ(rows[3].superseded_by_submission_id, "");
  EXPECT_EQ(rows[3].superseded_at, absl::InfinitePast());
  EXPECT_EQ(rows[7].granularity, type::v1::GRANULARITY_QUARTER);
}

TEST_P(ObservationStoreContractTest, ForEachObservationFiltersOnInclusivePeriodEnd) {
  const FixtureLines expected;
  CommitExportFixture(*store_);
  ExportQuery query;
  query.period_end_from = kFebruaryEnd;
  EXPECT_THAT(ExportLines(*store_, query),
              ElementsAre(expected.wacht_feb, expected.other_feb, expected.quarter_line));
  query.period_end_to = kFebruaryEnd;
  EXPECT_THAT(ExportLines(*store_, query), ElementsAre(expected.wacht_feb, expected.other_feb));
  query.period_end_from = "";
  query.period_end_to = "2026-02-27";
  EXPECT_THAT(ExportLines(*store_, query),
              ElementsAre(expected.instroom_jan, expected.wacht_jan_13, expected.other_jan));
  // A quarter belongs to the range its end falls in, not to the one it starts in.
  query.period_end_from = "2026-03-01";
  query.period_end_to = "2026-03-31";
  EXPECT_THAT(ExportLines(*store_, query), ElementsAre(expected.quarter_line));
  query.period_end_from = "2026-04-01";
  query.period_end_to = "";
  EXPECT_THAT(ExportLines(*store_, query), IsEmpty());
}

TEST_P(ObservationStoreContractTest, ForEachObservationFiltersOnReportersAndIndicators) {
  const FixtureLines expected;
  CommitExportFixture(*store_);
  ExportQuery query;
  query.reporters = {kOtherProvider};
  EXPECT_THAT(ExportLines(*store_, query), ElementsAre(expected.other_jan, expected.other_feb));
  query.reporters = {kOtherProvider, kProvider};
  EXPECT_THAT(ExportLines(*store_, query), SizeIs(6));
  query.reporters = {"urn:vroeg:provider:00000000"};
  EXPECT_THAT(ExportLines(*store_, query), IsEmpty());
  query.reporters.clear();
  query.indicators = {"instroom"};
  EXPECT_THAT(ExportLines(*store_, query), ElementsAre(expected.instroom_jan, expected.other_feb));
}

TEST_P(ObservationStoreContractTest, ForEachObservationEmptyCodeSelectsFiguresWithoutOne) {
  const FixtureLines expected;
  CommitExportFixture(*store_);
  ExportQuery query;
  query.care_forms = {""};
  EXPECT_THAT(ExportLines(*store_, query), ElementsAre(expected.instroom_jan));
  query.care_forms = {"jeugdhulp_ambulant", ""};
  EXPECT_THAT(ExportLines(*store_, query), ElementsAre(expected.instroom_jan, expected.other_feb));
  query.care_forms.clear();
  query.municipalities = {""};
  EXPECT_THAT(ExportLines(*store_, query), ElementsAre(expected.instroom_jan, expected.other_feb));
  query.municipalities = {"GM0303"};
  EXPECT_THAT(ExportLines(*store_, query), ElementsAre(expected.wacht_feb));
}

TEST_P(ObservationStoreContractTest, ForEachObservationCombinesFiltersWithAnd) {
  const FixtureLines expected;
  CommitExportFixture(*store_);
  ExportQuery query;
  query.history = true;
  query.reporters = {kProvider};
  query.municipalities = {"GM0034"};
  query.care_forms = {"jeugdhulp_verblijf"};
  query.indicators = {"wachtenden", "instroom"};
  query.period_end_to = kJanuaryEnd;
  EXPECT_THAT(ExportLines(*store_, query),
              ElementsAre(expected.wacht_jan_10, expected.wacht_jan_12, expected.wacht_jan_13));
  query.history = false;
  EXPECT_THAT(ExportLines(*store_, query), ElementsAre(expected.wacht_jan_13));
}

TEST_P(ObservationStoreContractTest, ForEachObservationStopsWhenFnReturnsFalse) {
  const FixtureLines expected;
  CommitExportFixture(*store_);
  ExportQuery query;
  query.history = true;
  std::vector<std::string> lines;
  absl::Status status = store_->ForEachObservation(query, [&](const StoredObservation& o) {
    lines.push_back(ExportLine(o));
    return lines.size() < 2;
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(lines, ElementsAre(expected.instroom_jan, expected.wacht_jan_10));

  // Nothing of the stopped read lingers: the store writes and reads as before.
  ASSERT_TRUE(
      store_
          ->Commit(Sub(kOtherProvider, "s2", "d5", kT3,
                       {Obs("instroom", "jeugdhulp_ambulant", "", 2, kFebruary, kFebruaryEnd)}))
          .ok());
  query.reporters = {kOtherProvider};
  query.indicators = {"instroom"};
  EXPECT_THAT(
      ExportLines(*store_, query),
      ElementsAre(expected.other +
                      " instroom 'jeugdhulp_ambulant' '' 2026-02-01..2026-02-28 1 s1 >s2@" +
                      At(kT3),
                  expected.other + " instroom 'jeugdhulp_ambulant' '' 2026-02-01..2026-02-28 2 s2 "
                                   "current"));
}

TEST_P(ObservationStoreContractTest, ForEachObservationSurvivesReopen) {
  const FixtureLines expected;
  CommitExportFixture(*store_);
  Reopen();
  ExportQuery query;
  query.history = true;
  EXPECT_THAT(ExportLines(*store_, query),
              ElementsAre(expected.instroom_jan, expected.wacht_jan_10, expected.wacht_jan_12,
                          expected.wacht_jan_13, expected.other_jan, expected.wacht_feb,
                          expected.other_feb, expected.quarter_line));
}

// What ForEachObservation says of a row's origin: "indicator value submission 'region'".
std::vector<std::string> RegionLines(ObservationStore& store, bool history) {
  ExportQuery query;
  query.history = history;
  std::vector<std::string> lines;
  absl::Status status = store.ForEachObservation(query, [&](const StoredObservation& o) {
    lines.push_back(
        absl::StrCat(o.series.indicator, " ", o.value, " ", o.submission_id, " '", o.region, "'"));
    return true;
  });
  EXPECT_TRUE(status.ok()) << status;
  return lines;
}

TEST_P(ObservationStoreContractTest, ForEachObservationYieldsTheRegionThatForwardedEachValue) {
  SubmissionRecord forwarded =
      Sub(kProvider, "s1", "d1", kT0,
          {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 10), Obs("instroom", "", "", 3)});
  forwarded.region = "gooi-en-vechtstreek";
  ASSERT_TRUE(store_->Commit(forwarded).ok());
  const SubmissionRecord direct =
      Sub(kProvider, "s2", "d2", kT1, {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 12)});
  ASSERT_TRUE(store_->Commit(direct).ok());

  EXPECT_THAT(RegionLines(*store_, /*history=*/false),
              ElementsAre("instroom 3 s1 'gooi-en-vechtstreek'", "wachtenden 12 s2 ''"));
  const auto expected_history =
      ElementsAre("instroom 3 s1 'gooi-en-vechtstreek'", "wachtenden 10 s1 'gooi-en-vechtstreek'",
                  "wachtenden 12 s2 ''");
  EXPECT_THAT(RegionLines(*store_, /*history=*/true), expected_history);

  // The region is not part of what makes a resend a duplicate, and the first one stays.
  forwarded.region = "";
  ASSERT_OK_AND_ASSIGN(CommitResult again, store_->Commit(forwarded));
  EXPECT_TRUE(again.duplicate);
  SubmissionRecord direct_via_region = direct;
  direct_via_region.region = "utrecht-west";
  ASSERT_OK_AND_ASSIGN(again, store_->Commit(direct_via_region));
  EXPECT_TRUE(again.duplicate);
  EXPECT_THAT(RegionLines(*store_, /*history=*/true), expected_history);
  Reopen();
  EXPECT_THAT(RegionLines(*store_, /*history=*/true), expected_history);

  // The other reads leave the region empty.
  for (const StoredObservation& o : AllCurrent(*store_)) EXPECT_EQ(o.region, "");
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> history,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", "GM0034"), kJanuary, kJanuaryEnd));
  ASSERT_THAT(history, SizeIs(2));
  EXPECT_EQ(history[0].region, "");
}

// A group of submissions for CommitGroup, in this order.
std::vector<const SubmissionRecord*> Group(std::initializer_list<const SubmissionRecord*> group) {
  return std::vector<const SubmissionRecord*>(group);
}

TEST_P(ObservationStoreContractTest, CommitGroupOfNothingReturnsNothing) {
  EXPECT_THAT(store_->CommitGroup({}), IsEmpty());
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(0, 0, 0));
}

TEST_P(ObservationStoreContractTest, CommitGroupStoresEachSubmissionWithItsOwnResult) {
  const absl::Time t1 = kT0 + absl::Seconds(1);
  const absl::Time t2 = kT0 + absl::Seconds(2);
  const SubmissionRecord a =
      Sub(kProvider, "a", "da", kT0,
          {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 12), Obs("instroom", "", "", 7)});
  const SubmissionRecord b =
      Sub(kOtherProvider, "b", "db", t1, {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 30)});
  const SubmissionRecord empty = Sub(kProvider, "empty", "de", t2, {});
  std::vector<absl::StatusOr<CommitResult>> results = store_->CommitGroup(Group({&a, &b, &empty}));
  ASSERT_THAT(results, SizeIs(3));
  for (const auto& result : results) ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(results[0]->duplicate);
  EXPECT_EQ(results[0]->stored, 2u);
  EXPECT_EQ(results[0]->committed_at, kT0);
  EXPECT_EQ(results[1]->stored, 1u);
  EXPECT_EQ(results[1]->corrections, 0u);
  EXPECT_EQ(results[1]->committed_at, t1);
  EXPECT_EQ(results[2]->stored, 0u);
  EXPECT_EQ(results[2]->committed_at, t2);

  Reopen();
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(3, 3, 3));
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> ours,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", "GM0034"), kJanuary, kJanuaryEnd));
  EXPECT_THAT(ours, ElementsAre(Version(12, "a", kT0, true)));
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> theirs,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", "GM0034", kOtherProvider),
                      kJanuary, kJanuaryEnd));
  EXPECT_THAT(theirs, ElementsAre(Version(30, "b", t1, true)));
  // Already stored: each is now a duplicate, first committed when it was.
  results = store_->CommitGroup(Group({&empty, &a}));
  ASSERT_THAT(results, SizeIs(2));
  ASSERT_TRUE(results[0].ok() && results[1].ok());
  EXPECT_TRUE(results[0]->duplicate);
  EXPECT_EQ(results[0]->committed_at, t2);
  EXPECT_TRUE(results[1]->duplicate);
  EXPECT_EQ(results[1]->committed_at, kT0);
}

TEST_P(ObservationStoreContractTest, CommitGroupRepeatOfAnEarlierMemberIsItsDuplicate) {
  const SubmissionRecord first =
      Sub(kProvider, "s1", "d1", kT0, {Obs("wachtenden", "jeugdhulp_verblijf", "", 12)});
  SubmissionRecord retry = first;
  retry.received_at = kT0 + absl::Seconds(3);
  std::vector<absl::StatusOr<CommitResult>> results =
      store_->CommitGroup(Group({&first, &retry, &retry}));
  ASSERT_THAT(results, SizeIs(3));
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_FALSE(results[0]->duplicate);
  EXPECT_EQ(results[0]->stored, 1u);
  for (int i : {1, 2}) {
    ASSERT_TRUE(results[i].ok()) << results[i].status();
    EXPECT_TRUE(results[i]->duplicate);
    EXPECT_EQ(results[i]->stored, 0u);
    EXPECT_EQ(results[i]->committed_at, kT0);
  }
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(1, 1, 1));
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> history,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", ""), kJanuary, kJanuaryEnd));
  EXPECT_THAT(history, ElementsAre(Version(12, "s1", kT0, true)));
}

TEST_P(ObservationStoreContractTest, CommitGroupRefusesOnlyTheSubmissionThatReusesAnId) {
  const absl::Time t1 = kT0 + absl::Seconds(1);
  const absl::Time t2 = kT0 + absl::Seconds(2);
  const SubmissionRecord stored_before =
      Sub(kProvider, "old", "d-old", kT0, {Obs("instroom", "", "", 1)});
  ASSERT_TRUE(store_->Commit(stored_before).ok());
  const SubmissionRecord first =
      Sub(kProvider, "s1", "d1", t1, {Obs("wachtenden", "jeugdhulp_verblijf", "", 12)});
  const SubmissionRecord reuses_member =
      Sub(kProvider, "s1", "d2", t2,
          {Obs("wachtenden", "jeugdhulp_verblijf", "", 99), Obs("uitstroom", "", "", 5)});
  const SubmissionRecord reuses_stored =
      Sub(kProvider, "old", "d3", t2, {Obs("instroom", "", "", 98)});
  const SubmissionRecord last =
      Sub(kProvider, "s2", "d4", t2, {Obs("wachtenden", "jeugdhulp_verblijf", "", 13)});
  std::vector<absl::StatusOr<CommitResult>> results =
      store_->CommitGroup(Group({&first, &reuses_member, &reuses_stored, &last}));
  ASSERT_THAT(results, SizeIs(4));
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_EQ(results[0]->stored, 1u);
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kAlreadyExists) << results[1].status();
  EXPECT_THAT(results[1].status().message(), HasSubstr("'s1'"));
  EXPECT_EQ(results[2].status().code(), absl::StatusCode::kAlreadyExists) << results[2].status();
  EXPECT_THAT(results[2].status().message(), HasSubstr("'old'"));
  EXPECT_THAT(results[2].status().message(), HasSubstr("2026-01-02T03:04:05Z"));
  ASSERT_TRUE(results[3].ok()) << results[3].status();
  EXPECT_EQ(results[3]->corrections, 1u);

  // Nothing of the refused ones was written; the others were.
  Reopen();
  ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
  EXPECT_THAT(counts, CountsAre(3, 3, 2));
  ASSERT_OK_AND_ASSIGN(
      std::vector<StoredObservation> waiting,
      store_->History(Series("wachtenden", "jeugdhulp_verblijf", ""), kJanuary, kJanuaryEnd));
  EXPECT_THAT(waiting, ElementsAre(Version(12, "s1", t1, false), Version(13, "s2", t2, true)));
  ASSERT_OK_AND_ASSIGN(std::vector<StoredObservation> inflow,
                       store_->History(Series("instroom", "", ""), kJanuary, kJanuaryEnd));
  EXPECT_THAT(inflow, ElementsAre(Version(1, "old", kT0, true)));
  ASSERT_OK_AND_ASSIGN(std::vector<StoredObservation> outflow,
                       store_->History(Series("uitstroom", "", ""), kJanuary, kJanuaryEnd));
  EXPECT_THAT(outflow, IsEmpty());
}

TEST_P(ObservationStoreContractTest, CommitGroupAppliesCorrectionsInGroupOrder) {
  // Received times run against the group's order: the order of the group decides.
  const absl::Time t1 = kT0 + absl::Seconds(1);
  const absl::Time t2 = kT0 + absl::Seconds(2);
  const absl::Time t3 = kT0 + absl::Seconds(3);
  const SubmissionRecord s1 =
      Sub(kProvider, "s1", "d1", t3,
          {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 1), Obs("instroom", "", "", 10)});
  const SubmissionRecord s2 =
      Sub(kProvider, "s2", "d2", t2, {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 2)});
  const SubmissionRecord s3 =
      Sub(kProvider, "s3", "d3", t1,
          {Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 3),
           Obs("wachtenden", "jeugdhulp_verblijf", "GM0034", 4), Obs("instroom", "", "", 11)});
  std::vector<absl::StatusOr<CommitResult>> results = store_->CommitGroup(Group({&s1, &s2, &s3}));
  ASSERT_THAT(results, SizeIs(3));
  for (const auto& result : results) ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(results[0]->corrections, 0u);
  EXPECT_EQ(results[1]->corrections, 1u);
  EXPECT_EQ(results[2]->corrections, 3u);

  const std::vector<testing::Matcher<const StoredObservation&>> expected = {
      Version(1, "s1", t3, false), Version(2, "s2", t2, false), Version(3, "s3", t1, false),
      Version(4, "s3", t1, true)};
  for (int pass = 0; pass < 2; ++pass) {
    ASSERT_OK_AND_ASSIGN(std::vector<StoredObservation> history,
                         store_->History(Series("wachtenden", "jeugdhulp_verblijf", "GM0034"),
                                         kJanuary, kJanuaryEnd));
    EXPECT_THAT(history, testing::ElementsAreArray(expected)) << "pass " << pass;
    std::map<std::string, double> current;
    for (const StoredObservation& o : AllCurrent(*store_)) current[o.series.indicator] = o.value;
    EXPECT_THAT(current, ElementsAre(std::pair<const std::string, double>("instroom", 11),
                                     std::pair<const std::string, double>("wachtenden", 4)));
    ASSERT_OK_AND_ASSIGN(StoreCounts counts, store_->Counts());
    EXPECT_THAT(counts, CountsAre(3, 6, 2));
    Reopen();
  }
}

// Each series' current values by ForEachCurrent (every one after position 0), newest period first,
// and the latest received_at among them: what ForEachRecent must report, computed the old way.
std::map<SeriesKey, RecentSeries> RecentTheOldWay(ObservationStore& store, size_t periods) {
  std::map<SeriesKey, RecentSeries> expected;
  for (const StoredObservation& o : AllCurrent(store)) {
    RecentSeries& recent = expected[o.series];
    recent.series = o.series;
    recent.periods.push_back(o);
    recent.newest_received = std::max(recent.newest_received, o.received_at);
  }
  for (auto& [key, recent] : expected) {
    std::sort(recent.periods.begin(), recent.periods.end(),
              [](const StoredObservation& a, const StoredObservation& b) {
                return std::tie(a.period_end, a.period_start) >
                       std::tie(b.period_end, b.period_start);
              });
    if (recent.periods.size() > periods) recent.periods.resize(periods);
  }
  return expected;
}

std::map<SeriesKey, RecentSeries> RecentOf(ObservationStore& store, size_t periods) {
  std::map<SeriesKey, RecentSeries> seen;
  absl::Status status = store.ForEachRecent(periods, [&](const RecentSeries& recent) {
    EXPECT_TRUE(seen.emplace(recent.series, recent).second)
        << "series yielded twice: " << recent.series.reporter << " " << recent.series.indicator
        << " '" << recent.series.care_form << "' '" << recent.series.municipality << "'";
  });
  EXPECT_TRUE(status.ok()) << status;
  return seen;
}

// Field by field, with NaN equal to NaN.
void ExpectSameRecent(const std::map<SeriesKey, RecentSeries>& actual,
                      const std::map<SeriesKey, RecentSeries>& expected, size_t periods) {
  SCOPED_TRACE(absl::StrCat("periods_per_series ", periods));
  ASSERT_EQ(actual.size(), expected.size());
  for (auto a = actual.begin(), e = expected.begin(); e != expected.end(); ++a, ++e) {
    ASSERT_EQ(a->first, e->first);
    SCOPED_TRACE(absl::StrCat(e->first.reporter, " ", e->first.indicator, " '", e->first.care_form,
                              "' '", e->first.municipality, "'"));
    EXPECT_EQ(a->second.series, e->first);
    EXPECT_EQ(a->second.newest_received, e->second.newest_received);
    ASSERT_EQ(a->second.periods.size(), e->second.periods.size());
    for (size_t i = 0; i < e->second.periods.size(); ++i) {
      const StoredObservation& got = a->second.periods[i];
      const StoredObservation& want = e->second.periods[i];
      EXPECT_EQ(got.series, want.series);
      EXPECT_EQ(got.period_start, want.period_start);
      EXPECT_EQ(got.period_end, want.period_end);
      EXPECT_EQ(got.granularity, want.granularity);
      if (std::isnan(want.value)) {
        EXPECT_TRUE(std::isnan(got.value)) << testing::PrintToString(got);
      } else {
        EXPECT_EQ(got.value, want.value) << testing::PrintToString(got);
      }
      EXPECT_EQ(got.submission_id, want.submission_id);
      EXPECT_EQ(got.received_at, want.received_at);
      EXPECT_TRUE(got.current);
    }
  }
}

// Snapshots compared field by field, with NaN equal to NaN.
void ExpectSameState(const LatestState& actual, const LatestState& expected) {
  const early_warning::Snapshot a = actual.Snapshot();
  const early_warning::Snapshot e = expected.Snapshot();
  ASSERT_EQ(a.size(), e.size());
  for (size_t i = 0; i < e.size(); ++i) {
    ASSERT_EQ(a[i].key, e[i].key);
    SCOPED_TRACE(absl::StrCat(e[i].key.reporter, " ", e[i].key.indicator, " '", e[i].key.care_form,
                              "' '", e[i].key.municipality, "'"));
    EXPECT_EQ(a[i].history.newest_received, e[i].history.newest_received);
    const std::vector<early_warning::PeriodValue>& got = a[i].history.periods;
    const std::vector<early_warning::PeriodValue>& want = e[i].history.periods;
    ASSERT_EQ(got.size(), want.size());
    for (size_t j = 0; j < want.size(); ++j) {
      EXPECT_EQ(got[j].start, want[j].start);
      EXPECT_EQ(got[j].end, want[j].end);
      if (std::isnan(want[j].value)) {
        EXPECT_TRUE(std::isnan(got[j].value));
      } else {
        EXPECT_EQ(got[j].value, want[j].value);
      }
    }
  }
}

// A period of month `month` (0 = January 2024) of one of three shapes: the month, its last
// week (same end, other start) or the quarter ending with it (same end again).
std::tuple<std::string, std::string, type::v1::Granularity> RandomPeriod(int month, int shape) {
  const absl::CivilMonth first = absl::CivilMonth(2024, 1) + month;
  const absl::CivilDay end = absl::CivilDay(first + 1) - 1;
  switch (shape) {
    case 0:
      return {absl::FormatCivilTime(absl::CivilDay(first)), absl::FormatCivilTime(end),
              type::v1::GRANULARITY_MONTH};
    case 1:
      return {absl::FormatCivilTime(end - 6), absl::FormatCivilTime(end),
              type::v1::GRANULARITY_WEEK};
    default:
      return {absl::FormatCivilTime(absl::CivilDay(first - 2)), absl::FormatCivilTime(end),
              type::v1::GRANULARITY_QUARTER};
  }
}

// Random submissions over many series: periods sent in any order (backdated ones included),
// corrections, equal ends with different starts, NaN values, and received_at that sometimes
// goes back in commit order (a clock step, or a submission received early and committed late).
// Some series get more periods than any window below, some only one.
void CommitRandomHistories(ObservationStore& store, uint32_t seed,
                           const std::string& id_prefix = "r") {
  std::mt19937 random(seed);
  const std::string reporters[] = {kProvider, kOtherProvider, "urn:vroeg:municipality:GM0034"};
  const std::string indicators[] = {"wachtenden", "instroom", "capaciteit"};
  const std::string care_forms[] = {"", "jeugdhulp_verblijf", "jeugdhulp_ambulant"};
  absl::Time received = kT0;
  for (int s = 0; s < 60; ++s) {
    const std::string& reporter = reporters[random() % std::size(reporters)];
    // Few series get many periods: the first rounds send only to indicator 0 of care form 1.
    const bool narrow = s < 15;
    const int months = narrow ? 30 : 1 + static_cast<int>(random() % 8);
    std::vector<StoredObservation> observations;
    const int count = narrow ? 12 : 1 + static_cast<int>(random() % 12);
    for (int i = 0; i < count; ++i) {
      const std::string& indicator = narrow ? indicators[0] : indicators[random() % 3];
      const std::string& care_form = narrow ? care_forms[1] : care_forms[random() % 3];
      const std::string municipality = random() % 2 == 0 ? "" : "GM0303";
      const auto [start, end, granularity] =
          RandomPeriod(static_cast<int>(random() % months), static_cast<int>(random() % 3));
      const double value = random() % 10 == 0 ? std::numeric_limits<double>::quiet_NaN()
                                              : static_cast<double>(random() % 1000) / 4;
      observations.push_back(
          Obs(indicator, care_form, municipality, value, start, end, granularity));
    }
    const int64_t step = static_cast<int64_t>(random() % 600) - 120;
    received += absl::Minutes(step);
    absl::StatusOr<CommitResult> result =
        store.Commit(Sub(reporter, absl::StrCat(id_prefix, s), absl::StrCat(id_prefix, "d", s),
                         received, std::move(observations)));
    ASSERT_TRUE(result.ok()) << result.status();
  }
}

TEST_P(ObservationStoreContractTest, ForEachRecentOnEmptyStoreCallsNothing) {
  EXPECT_THAT(RecentOf(*store_, 13), IsEmpty());
}

TEST_P(ObservationStoreContractTest, ForEachRecentYieldsTheNewestPeriodsOfEverySeries) {
  ASSERT_NO_FATAL_FAILURE(CommitRandomHistories(*store_, 1));
  for (size_t periods :
       {size_t{0}, size_t{1}, size_t{2}, size_t{13}, std::numeric_limits<size_t>::max()}) {
    ExpectSameRecent(RecentOf(*store_, periods), RecentTheOldWay(*store_, periods), periods);
  }
}

TEST_P(ObservationStoreContractTest, LatestStateLoadedFromRecentEqualsOneFedEveryCurrentValue) {
  ASSERT_NO_FATAL_FAILURE(CommitRandomHistories(*store_, 3));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  for (size_t window : {size_t{1}, size_t{3}, size_t{13}, size_t{1000}}) {
    SCOPED_TRACE(absl::StrCat("history_periods ", window));
    LatestState loaded(window);
    ASSERT_TRUE(loaded.Load(*store_).ok());
    LatestState fed(window);
    for (const StoredObservation& o : AllCurrent(*store_)) fed.Apply(o);
    ASSERT_GT(fed.size(), 10u);
    ExpectSameState(loaded, fed);
  }
}

// An old period received last: its received_at is the series' newest even when the period
// itself is too old to be kept.
TEST_P(ObservationStoreContractTest, ForEachRecentTakesNewestReceivedFromPeriodsOutsideTheWindow) {
  const SeriesKey waiting = Series("wachtenden", "jeugdhulp_verblijf", "");
  const absl::Time t1 = kT0 + absl::Hours(1);
  const absl::Time t2 = kT0 + absl::Hours(2);
  ASSERT_TRUE(
      store_
          ->Commit(Sub(kProvider, "s1", "d1", t2,
                       {Obs("wachtenden", "jeugdhulp_verblijf", "", 1, kFebruary, kFebruaryEnd)}))
          .ok());
  // Committed after s1 but received before it.
  ASSERT_TRUE(store_
                  ->Commit(Sub(kProvider, "s2", "d2", t1,
                               {Obs("wachtenden", "jeugdhulp_verblijf", "", 2, "2026-02-22",
                                    kFebruaryEnd, type::v1::GRANULARITY_WEEK)}))
                  .ok());
  std::map<SeriesKey, RecentSeries> recent = RecentOf(*store_, 1);
  ASSERT_THAT(recent, SizeIs(1));
  EXPECT_EQ(recent[waiting].newest_received, t2);
  ASSERT_THAT(recent[waiting].periods, ElementsAre(Version(2, "s2", t1, true)));

  const absl::Time t3 = kT0 + absl::Hours(3);
  ASSERT_TRUE(store_
                  ->Commit(Sub(
                      kProvider, "s3", "d3", t3,
                      {Obs("wachtenden", "jeugdhulp_verblijf", "", 3, "2025-12-01", "2025-12-31")}))
                  .ok());
  recent = RecentOf(*store_, 1);
  EXPECT_EQ(recent[waiting].newest_received, t3);
  EXPECT_THAT(recent[waiting].periods, ElementsAre(Version(2, "s2", t1, true)));
  recent = RecentOf(*store_, 0);
  EXPECT_EQ(recent[waiting].newest_received, t3);
  EXPECT_THAT(recent[waiting].periods, IsEmpty());
}

// A correction with an earlier received_at than the value it replaces: the replaced value no
// longer counts, as with every current value applied.
TEST_P(ObservationStoreContractTest, ForEachRecentCountsOnlyCurrentValuesForNewestReceived) {
  const SeriesKey waiting = Series("wachtenden", "jeugdhulp_verblijf", "");
  const absl::Time t1 = kT0 + absl::Hours(1);
  ASSERT_TRUE(
      store_
          ->Commit(Sub(kProvider, "s1", "d1", t1, {Obs("wachtenden", "jeugdhulp_verblijf", "", 1)}))
          .ok());
  ASSERT_TRUE(store_
                  ->Commit(Sub(kProvider, "s2", "d2", kT0,
                               {Obs("wachtenden", "jeugdhulp_verblijf", "", 2)}))
                  .ok());
  std::map<SeriesKey, RecentSeries> recent = RecentOf(*store_, 13);
  EXPECT_EQ(recent[waiting].newest_received, kT0);
  EXPECT_THAT(recent[waiting].periods, ElementsAre(Version(2, "s2", kT0, true)));
}

TEST_P(ObservationStoreContractTest, CheckpointIsTakenOnceAsSaved) {
  ASSERT_OK_AND_ASSIGN(std::optional<StateCheckpoint> none, store_->TakeCheckpoint());
  EXPECT_FALSE(none.has_value());
  ASSERT_TRUE(store_->SaveCheckpoint("first").ok());
  ASSERT_TRUE(store_->Commit(Sub(kProvider, "s1", "d1", kT0, {Obs("wachtenden", "", "", 1)})).ok());
  // Bytes of every value, NUL included: the state is a serialized message.
  std::string state(300000, '\0');
  for (size_t i = 0; i < state.size(); ++i) state[i] = static_cast<char>(i * 7 % 256);
  ASSERT_TRUE(store_->SaveCheckpoint(state).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_OK_AND_ASSIGN(std::optional<StateCheckpoint> taken, store_->TakeCheckpoint());
  ASSERT_TRUE(taken.has_value());
  EXPECT_TRUE(taken->state == state) << "the state came back changed";
  ASSERT_OK_AND_ASSIGN(std::optional<StateCheckpoint> again, store_->TakeCheckpoint());
  EXPECT_FALSE(again.has_value()) << "a checkpoint serves one start only";
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_OK_AND_ASSIGN(std::optional<StateCheckpoint> after_reopen, store_->TakeCheckpoint());
  EXPECT_FALSE(after_reopen.has_value()) << "taking it was not durable";
}

// A state built through one handle holds nothing another handle committed: a checkpoint of it
// at a later position would make the next start skip those values.
TEST_P(ObservationStoreContractTest, CheckpointIsRefusedWhenAnotherHandleCommitted) {
  ASSERT_TRUE(store_->Commit(Sub(kProvider, "s1", "d1", kT0, {Obs("wachtenden", "", "", 1)})).ok());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ObservationStore> other, factory_->OpenAnother());
  ASSERT_TRUE(store_->TakeCheckpoint().ok());
  ASSERT_TRUE(
      other->Commit(Sub(kOtherProvider, "o1", "do1", kT0, {Obs("wachtenden", "", "", 2)})).ok());
  const absl::Status refused = store_->SaveCheckpoint("state");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("another process committed"));
  ASSERT_OK_AND_ASSIGN(std::optional<StateCheckpoint> none, store_->TakeCheckpoint());
  EXPECT_FALSE(none.has_value()) << "a refused checkpoint was saved";

  // Its own commits since its last TakeCheckpoint do not stop it; they stop the other handle.
  ASSERT_TRUE(store_->Commit(Sub(kProvider, "s2", "d2", kT0, {Obs("wachtenden", "", "", 3)})).ok());
  EXPECT_EQ(other->SaveCheckpoint("other").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->SaveCheckpoint("state").ok());
  other.reset();
  ASSERT_OK_AND_ASSIGN(std::optional<StateCheckpoint> saved, store_->TakeCheckpoint());
  ASSERT_TRUE(saved.has_value());
  EXPECT_EQ(saved->state, "state");
}

TEST_P(ObservationStoreContractTest, CurrentAfterACheckpointIsWhatWasCommittedSince) {
  ASSERT_NO_FATAL_FAILURE(CommitRandomHistories(*store_, 7, "before"));
  ASSERT_TRUE(store_->SaveCheckpoint("state").ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_OK_AND_ASSIGN(std::optional<StateCheckpoint> checkpoint, store_->TakeCheckpoint());
  ASSERT_TRUE(checkpoint.has_value());
  std::vector<StoredObservation> none;
  ASSERT_TRUE(store_
                  ->ForEachCurrentAfter(checkpoint->position,
                                        [&](const StoredObservation& o) { none.push_back(o); })
                  .ok());
  EXPECT_THAT(none, IsEmpty());

  // New series and periods, and corrections of values from before the checkpoint.
  ASSERT_NO_FATAL_FAILURE(CommitRandomHistories(*store_, 8, "after"));
  std::vector<StoredObservation> expected;
  for (const StoredObservation& o : AllCurrent(*store_)) {
    if (o.submission_id.starts_with("after")) expected.push_back(o);
  }
  ASSERT_GT(expected.size(), 20u);
  std::vector<StoredObservation> since;
  ASSERT_TRUE(store_
                  ->ForEachCurrentAfter(checkpoint->position,
                                        [&](const StoredObservation& o) { since.push_back(o); })
                  .ok());
  auto order = [](const StoredObservation& a, const StoredObservation& b) {
    return std::tie(a.series, a.period_start, a.period_end) <
           std::tie(b.series, b.period_start, b.period_end);
  };
  std::sort(expected.begin(), expected.end(), order);
  std::sort(since.begin(), since.end(), order);
  ASSERT_EQ(since.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(since[i].series, expected[i].series);
    EXPECT_EQ(since[i].period_start, expected[i].period_start);
    EXPECT_EQ(since[i].period_end, expected[i].period_end);
    EXPECT_EQ(since[i].granularity, expected[i].granularity);
    EXPECT_TRUE(since[i].value == expected[i].value ||
                (std::isnan(since[i].value) && std::isnan(expected[i].value)));
    EXPECT_EQ(since[i].submission_id, expected[i].submission_id);
    EXPECT_EQ(since[i].received_at, expected[i].received_at);
    EXPECT_TRUE(since[i].current);
  }
}

// The state a collector would have after a clean stop and a start: what it held at the stop,
// then every value committed since that is current now.
TEST_P(ObservationStoreContractTest, LatestStateResumesFromItsCheckpointAndWhatCameAfter) {
  ASSERT_NO_FATAL_FAILURE(CommitRandomHistories(*store_, 11, "before"));
  for (size_t window : {size_t{1}, size_t{3}, size_t{13}}) {
    SCOPED_TRACE(absl::StrCat("history_periods ", window));
    LatestState stopped(window);
    ASSERT_OK_AND_ASSIGN(LatestState::LoadSummary first, stopped.Load(*store_));
    EXPECT_FALSE(first.from_checkpoint);
    EXPECT_EQ(first.checkpoint_refused, "");
    ASSERT_TRUE(stopped.SaveCheckpoint(*store_).ok());
    LatestState expected(window);
    for (const StoredObservation& o : AllCurrent(*store_)) expected.Apply(o);

    const std::string later = absl::StrCat("after", window, "-");
    ASSERT_NO_FATAL_FAILURE(
        CommitRandomHistories(*store_, 12 + static_cast<uint32_t>(window), later));
    for (const StoredObservation& o : AllCurrent(*store_)) {
      if (o.submission_id.starts_with(later)) expected.Apply(o);
    }
    ASSERT_NO_FATAL_FAILURE(Reopen());
    LatestState started(window);
    ASSERT_OK_AND_ASSIGN(LatestState::LoadSummary loaded, started.Load(*store_));
    EXPECT_TRUE(loaded.from_checkpoint);
    EXPECT_EQ(loaded.checkpoint_refused, "");
    ASSERT_GT(started.size(), 10u);
    ExpectSameState(started, expected);
  }
}

// A correction received before (by the clock) the value it corrects: the running collector
// saw both and keeps the later received time, which the store's current values alone no longer
// show. So a start that gives the stopped collector's answer read the checkpoint.
TEST_P(ObservationStoreContractTest, ResumedStateKeepsWhatOnlyTheCheckpointKnew) {
  ASSERT_TRUE(store_->Commit(Sub(kProvider, "x", "dx", kT0, {Obs("wachtenden", "", "", 5)})).ok());
  LatestState stopped(3);
  ASSERT_TRUE(stopped.Load(*store_).ok());
  ASSERT_TRUE(stopped.SaveCheckpoint(*store_).ok());
  const absl::Time earlier = kT0 - absl::Hours(1);
  ASSERT_TRUE(
      store_->Commit(Sub(kProvider, "y", "dy", earlier, {Obs("wachtenden", "", "", 6)})).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());

  LatestState started(3);
  ASSERT_OK_AND_ASSIGN(LatestState::LoadSummary loaded, started.Load(*store_));
  EXPECT_TRUE(loaded.from_checkpoint);
  const early_warning::Snapshot resumed = started.Snapshot();
  ASSERT_THAT(resumed, SizeIs(1));
  EXPECT_EQ(resumed[0].history.newest_received, absl::ToUnixSeconds(kT0));
  ASSERT_THAT(resumed[0].history.periods, SizeIs(1));
  EXPECT_EQ(resumed[0].history.periods[0].value, 6);

  // The checkpoint was taken: the next start reads the store, which knows only the correction.
  LatestState rebuilt(3);
  ASSERT_OK_AND_ASSIGN(LatestState::LoadSummary again, rebuilt.Load(*store_));
  EXPECT_FALSE(again.from_checkpoint);
  const early_warning::Snapshot from_store = rebuilt.Snapshot();
  ASSERT_THAT(from_store, SizeIs(1));
  EXPECT_EQ(from_store[0].history.newest_received, absl::ToUnixSeconds(earlier));
  EXPECT_EQ(from_store[0].history.periods[0].value, 6);
}

TEST_P(ObservationStoreContractTest, CheckpointOfAnotherWindowOrDamagedIsRefusedForTheStore) {
  ASSERT_NO_FATAL_FAILURE(CommitRandomHistories(*store_, 21));
  LatestState fed(13);
  for (const StoredObservation& o : AllCurrent(*store_)) fed.Apply(o);

  LatestState narrow(3);
  ASSERT_TRUE(narrow.Load(*store_).ok());
  ASSERT_TRUE(narrow.SaveCheckpoint(*store_).ok());
  LatestState wide(13);
  ASSERT_OK_AND_ASSIGN(LatestState::LoadSummary other_window, wide.Load(*store_));
  EXPECT_FALSE(other_window.from_checkpoint);
  EXPECT_THAT(other_window.checkpoint_refused, HasSubstr("history_periods 3, now 13"));
  ExpectSameState(wide, fed);
  ASSERT_OK_AND_ASSIGN(std::optional<StateCheckpoint> left, store_->TakeCheckpoint());
  EXPECT_FALSE(left.has_value()) << "a refused checkpoint is not kept either";

  ASSERT_TRUE(store_->SaveCheckpoint("\xff\xff\xff\xff not a checkpoint").ok());
  LatestState after_damage(13);
  ASSERT_OK_AND_ASSIGN(LatestState::LoadSummary damaged, after_damage.Load(*store_));
  EXPECT_FALSE(damaged.from_checkpoint);
  EXPECT_THAT(damaged.checkpoint_refused, HasSubstr("not a state checkpoint"));
  ExpectSameState(after_damage, fed);
}

}  // namespace

void ObservationStoreContractTest::SetUp() {
  factory_ = GetParam().make_factory();
  ASSERT_OK_AND_ASSIGN(store_, factory_->Create());
}

void ObservationStoreContractTest::Reopen() {
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, factory_->Reopen());
}

std::string ObservationStoreContractParamName(
    const testing::TestParamInfo<ObservationStoreContractParam>& info) {
  return info.param.name;
}

void PrintTo(const ObservationStoreContractParam& param, std::ostream* os) { *os << param.name; }

}  // namespace vroeg
