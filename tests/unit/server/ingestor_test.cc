#include "server/ingestor.h"

#include <atomic>
#include <cstdio>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/grpc_status.h"
#include "common/retry_policy.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/fakes/fake_observation_store.h"
#include "tests/support/captured_log.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

// The value of a counter or gauge sample with the given labels, from the registry.
double Sample(prometheus::Registry& registry, const std::string& name,
              const std::map<std::string, std::string>& labels = {}) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      if (have != labels) continue;
      if (family.type == prometheus::MetricType::Counter) return metric.counter.value;
      if (family.type == prometheus::MetricType::Histogram) {
        return static_cast<double>(metric.histogram.sample_count);
      }
      return metric.gauge.value;
    }
  }
  return -1;
}

api::v1::Observation Observation(const std::string& indicator, const std::string& care_form,
                                 const std::string& start, const std::string& end, double value) {
  api::v1::Observation o;
  o.set_indicator(indicator);
  o.set_care_form(care_form);
  o.mutable_period()->set_start(start);
  o.mutable_period()->set_end(end);
  o.set_value(value);
  return o;
}

// A municipality of Gooi en Vechtstreek's figure, as that region forwards it.
api::v1::SubmitRequest ForwardedByGooi(const std::string& id) {
  api::v1::SubmitRequest request;
  request.set_submission_id(id);
  request.set_reporter("urn:vroeg:municipality:GM0406");
  api::v1::Observation observation =
      Observation("verwijzingen_huisarts", "verblijf", "2026-09-01", "2026-09-30", 4);
  observation.set_municipality("GM0406");
  *request.add_observations() = observation;
  return request;
}

class IngestorTest : public ::testing::Test {
 protected:
  IngestorTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 11, 23, 12, 0, 0), absl::UTCTimeZone())),
        log_(&clock_) {
    auto catalogue = Catalogue::LoadFile(std::string(std::getenv("VROEG_SOURCE_DIR")) +
                                         "/deploy/catalogue/catalogue.yaml");
    EXPECT_TRUE(catalogue.ok()) << catalogue.status();
    catalogue_ = *catalogue;
    region_.set_code("flevoland");
    region_.add_municipalities()->set_code("GM0034");
    IngestorOptions options;
    options.region = region_;
    config::v1::Region gooi;
    gooi.set_code("gooi-en-vechtstreek");
    gooi.add_municipalities()->set_code("GM0406");
    options.member_regions.push_back(gooi);
    options.max_observations_per_submission = 1000;
    options.submissions_per_minute = 60;
    options.burst = 5;
    ingestor_ = std::make_unique<Ingestor>(catalogue_, std::move(options), &store_, &state_,
                                           &clock_, &log_.logger(), &registry_);
  }
  std::string Log() { return log_.Text(); }

  api::v1::SubmitRequest Request(const std::string& id) {
    api::v1::SubmitRequest request;
    request.set_submission_id(id);
    request.set_reporter(provider_.Urn());
    *request.add_observations() =
        Observation("plaatsen_operationeel", "verblijf", "2026-09-07", "2026-09-13", 20);
    *request.add_observations() =
        Observation("plaatsen_bezet", "verblijf", "2026-09-07", "2026-09-13", 18);
    return request;
  }

  FakeClock clock_;
  testing::CapturedLog log_;
  std::shared_ptr<const Catalogue> catalogue_;
  config::v1::Region region_;
  FakeObservationStore store_;
  LatestState state_{13};
  prometheus::Registry registry_;
  std::unique_ptr<Ingestor> ingestor_;
  ReporterId provider_{type::v1::REPORTER_KIND_PROVIDER, "12345678"};
};

TEST_F(IngestorTest, AcceptedSubmissionIsStoredCountedLoggedAndVisible) {
  auto response = ingestor_->Submit(provider_, Request("s-1"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->submission_id(), "s-1");
  EXPECT_FALSE(response->duplicate());
  EXPECT_EQ(response->stored(), 2u);
  EXPECT_EQ(response->committed_at().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(state_.size(), 2u);
  EXPECT_EQ(store_.Counts()->observations, 2u);
  EXPECT_EQ(Sample(registry_, "vroeg_submissions_accepted_total"), 1);
  EXPECT_EQ(Sample(registry_, "vroeg_observations_stored_total"), 2);
  EXPECT_EQ(Sample(registry_, "vroeg_commit_duration_seconds"), 1);
  EXPECT_THAT(Log(), HasSubstr("level=info event=submission_accepted "
                               "reporter=urn:vroeg:provider:12345678 submission_id=s-1 "
                               "observations=2 stored=2 corrections=0\n"));
}

TEST_F(IngestorTest, EmptyReporterMeansTheCaller) {
  api::v1::SubmitRequest request = Request("s-1");
  request.clear_reporter();
  ASSERT_TRUE(ingestor_->Submit(provider_, request).ok());
  auto history = store_.History({provider_.Urn(), "plaatsen_bezet", "verblijf", ""}, "2026-09-07",
                                "2026-09-13");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].granularity, type::v1::GRANULARITY_WEEK);
}

TEST_F(IngestorTest, RetryIsADuplicateAndChangesNothing) {
  ASSERT_TRUE(ingestor_->Submit(provider_, Request("s-1")).ok());
  clock_.Advance(absl::Minutes(5));
  auto retry = ingestor_->Submit(provider_, Request("s-1"));
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(retry->stored(), 0u);
  EXPECT_EQ(retry->committed_at().seconds(), absl::ToUnixSeconds(clock_.Now()) - 300);
  EXPECT_EQ(Sample(registry_, "vroeg_submissions_duplicate_total"), 1);
  EXPECT_EQ(Sample(registry_, "vroeg_submissions_accepted_total"), 1);
  EXPECT_EQ(store_.Counts()->observations, 2u);
}

TEST_F(IngestorTest, ReusedIdWithOtherContentIsAlreadyExists) {
  ASSERT_TRUE(ingestor_->Submit(provider_, Request("s-1")).ok());
  api::v1::SubmitRequest changed = Request("s-1");
  changed.mutable_observations(1)->set_value(17);
  auto response = ingestor_->Submit(provider_, changed);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Sample(registry_, "vroeg_submissions_rejected_total", {{"reason", "id_reused"}}), 1);
}

TEST_F(IngestorTest, CorrectionIsCountedAndBecomesTheLatestValue) {
  ASSERT_TRUE(ingestor_->Submit(provider_, Request("s-1")).ok());
  api::v1::SubmitRequest correction = Request("s-2");
  correction.mutable_observations(1)->set_value(19);
  auto response = ingestor_->Submit(provider_, correction);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->corrections(), 2u);
  EXPECT_EQ(Sample(registry_, "vroeg_observation_corrections_total"), 2);
  double occupied = -1;
  for (const auto& entry : state_.Snapshot()) {
    if (entry.key.indicator == "plaatsen_bezet") occupied = entry.history.latest().value;
  }
  EXPECT_EQ(occupied, 19);
}

TEST_F(IngestorTest, SubmissionForAnotherReporterIsPermissionDenied) {
  api::v1::SubmitRequest request = Request("s-1");
  request.set_reporter("urn:vroeg:provider:87654321");
  auto response = ingestor_->Submit(provider_, request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(response.status().message(),
            "urn:vroeg:provider:12345678 is not allowed this: a provider submits only its own "
            "figures, not those of urn:vroeg:provider:87654321 (rule other_reporter)");
  EXPECT_EQ(store_.commit_calls(), 0);
  EXPECT_EQ(
      Sample(registry_, "vroeg_submissions_rejected_total", {{"reason", "permission_denied"}}), 1);
  EXPECT_THAT(Log(), HasSubstr("level=warning event=submission_refused "
                               "reporter=urn:vroeg:provider:12345678 submission_id=s-1 "
                               "observations=2 code=PERMISSION_DENIED "
                               "reason=\"urn:vroeg:provider:12345678 is not allowed"));
  EXPECT_EQ(Sample(registry_, "vroeg_authorization_refusals_total", {{"rule", "other_reporter"}}),
            1);
}

TEST_F(IngestorTest, SupervisorMayNotSubmit) {
  api::v1::SubmitRequest request = Request("s-1");
  request.clear_reporter();
  auto response = ingestor_->Submit({type::v1::REPORTER_KIND_SUPERVISOR, "nza"}, request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(response.status().message(),
            "urn:vroeg:supervisor:nza is not allowed this: a supervisor certificate reads exports "
            "and submits nothing (rule supervisor_submits)");
}

TEST_F(IngestorTest, SubmissionIdMustBeUsable) {
  for (const std::string& id :
       {std::string(), std::string(129, 'a'), std::string("a b"), std::string("x/../y")}) {
    auto response = ingestor_->Submit(provider_, Request(id));
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(response.status().message(), HasSubstr("submission_id: ")) << id;
  }
  EXPECT_TRUE(ingestor_->Submit(provider_, Request("f-0123.abc_DEF:x-y")).ok());
}

TEST_F(IngestorTest, TooManyObservationsAreRefused) {
  api::v1::SubmitRequest request;
  request.set_submission_id("big");
  for (int i = 0; i <= 1000; ++i) request.add_observations();
  auto response = ingestor_->Submit(provider_, request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(response.status().message(),
            "submission has 1001 observations; at most 1000 are accepted at once: split it into "
            "several");
  // Sending it again cannot help, so no retry hint: the agent sets it aside with this message.
  EXPECT_FALSE(RetryAfterHint(response.status()).has_value());
  EXPECT_EQ(Sample(registry_, "vroeg_submissions_rejected_total", {{"reason", "limit"}}), 1);
}

TEST_F(IngestorTest, AReporterOverItsRateIsToldWhenToRetry) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(ingestor_->Submit(provider_, Request(absl::StrCat("s-", i))).ok()) << i;
  }
  auto refused = ingestor_->Submit(provider_, Request("s-5"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(),
            "urn:vroeg:provider:12345678 sent more than 5 submissions at once or 60 per minute; "
            "retry after 1s");
  EXPECT_EQ(RetryAfterHint(refused.status()), absl::Seconds(1));
  EXPECT_EQ(store_.commit_calls(), 5);
  // Another reporter has its own allowance.
  auto municipality = ReporterId{type::v1::REPORTER_KIND_MUNICIPALITY, "GM0034"};
  api::v1::SubmitRequest other;
  other.set_submission_id("m-1");
  *other.add_observations() =
      Observation("verwijzingen_huisarts", "verblijf", "2026-09-01", "2026-09-30", 4);
  EXPECT_TRUE(ingestor_->Submit(municipality, other).ok());
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(ingestor_->Submit(provider_, Request("s-5")).ok());
}

TEST_F(IngestorTest, ARegionForwardsForItsOwnReportersUnderTheirName) {
  const ReporterId region{type::v1::REPORTER_KIND_REGION, "gooi-en-vechtstreek"};
  api::v1::SubmitRequest request = ForwardedByGooi("fwd-1");
  auto accepted = ingestor_->Submit(region, request);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  auto stored = store_.History(
      SeriesKey{"urn:vroeg:municipality:GM0406", "verwijzingen_huisarts", "verblijf", "GM0406"},
      "2026-09-01", "2026-09-30");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->size(), 1u);

  request.set_submission_id("fwd-2");
  request.set_reporter("urn:vroeg:municipality:GM0034");
  request.mutable_observations(0)->set_municipality("GM0034");
  auto refused = ingestor_->Submit(region, request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.status().message(),
            "urn:vroeg:region:gooi-en-vechtstreek is not allowed this: "
            "urn:vroeg:municipality:GM0034 is not a municipality of region gooi-en-vechtstreek "
            "(rule region_outside_own)");
}

TEST_F(IngestorTest, ARegionForwardsAProvidersRevenuePaidFromOutsideIt) {
  const ReporterId region{type::v1::REPORTER_KIND_REGION, "gooi-en-vechtstreek"};
  api::v1::SubmitRequest request;
  request.set_submission_id("fwd-revenue");
  request.set_reporter(provider_.Urn());
  for (const char* municipality : {"GM0406", "0344"}) {
    api::v1::Observation observation =
        Observation("omzet_jeugdzorg_gemeente", "", "2026-07-01", "2026-09-30", 400000);
    observation.set_municipality(municipality);
    *request.add_observations() = observation;
  }
  auto accepted = ingestor_->Submit(region, request);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->stored(), 2u);
  auto stored = store_.History(SeriesKey{provider_.Urn(), "omzet_jeugdzorg_gemeente", "", "GM0344"},
                               "2026-07-01", "2026-09-30");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->size(), 1u);

  // Where the municipality places the figure, it must still lie in the forwarding region.
  request.set_submission_id("fwd-waiting");
  request.clear_observations();
  api::v1::Observation waiting =
      Observation("wachtenden", "verblijf", "2026-09-01", "2026-09-30", 3);
  waiting.set_municipality("GM0344");
  *request.add_observations() = waiting;
  auto refused = ingestor_->Submit(region, request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.status().message(),
            "urn:vroeg:region:gooi-en-vechtstreek is not allowed this: observation 1: "
            "municipality GM0344 is not part of region gooi-en-vechtstreek (rule "
            "region_outside_own)");
}

TEST_F(IngestorTest, ValidationProblemsTravelAsARejection) {
  api::v1::SubmitRequest request = Request("s-1");
  request.mutable_observations(1)->set_value(21);
  request.mutable_observations(1)->set_source_row(3);
  request.mutable_observations(1)->set_source_column("value");
  auto response = ingestor_->Submit(provider_, request);
  ASSERT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(response.status().message(),
            "1 of the submission's observations are invalid; first: row 3, column value: "
            "plaatsen_bezet 21 is above plaatsen_operationeel 20 for the same care form and "
            "period");
  auto rejection = GetRejection(response.status());
  ASSERT_TRUE(rejection.has_value());
  ASSERT_EQ(rejection->problems_size(), 1);
  EXPECT_EQ(rejection->problems(0).source_row(), 3u);
  EXPECT_EQ(rejection->problems(0).value(), "21");
  EXPECT_FALSE(rejection->truncated());
  EXPECT_EQ(store_.commit_calls(), 0);
  EXPECT_EQ(Sample(registry_, "vroeg_submissions_rejected_total", {{"reason", "invalid"}}), 1);
}

TEST_F(IngestorTest, ManyProblemsAreListedUpToWhatFitsInAnAnswer) {
  api::v1::SubmitRequest request;
  request.set_submission_id("many");
  for (int i = 0; i < kMaxListedProblems + 5; ++i) {
    *request.add_observations() =
        Observation("wachtenden", "verblijf", "2026-09-01", "2026-09-30", -1 - i);
  }
  auto response = ingestor_->Submit(provider_, request);
  auto rejection = GetRejection(response.status());
  ASSERT_TRUE(rejection.has_value());
  // gRPC clients accept 8 KiB of trailing metadata by default; the status message and the
  // rejection must fit in it or the sender sees a transport error instead.
  EXPECT_LE(rejection->ByteSizeLong(), 4096u);
  EXPECT_GT(rejection->problems_size(), 30);
  EXPECT_LT(rejection->problems_size(), kMaxListedProblems);
  EXPECT_TRUE(rejection->truncated());
  EXPECT_EQ(rejection->problems(0).message(), "-1 is below the minimum 0 for wachtenden");
}

TEST_F(IngestorTest, QuotedTextIsCutShortOnACharacterBoundary) {
  api::v1::SubmitRequest request;
  request.set_submission_id("long");
  // 'é' is two bytes: a cut at byte 200 would split one.
  std::string indicator = "w";
  for (int i = 0; i < 50000; ++i) indicator += "\xc3\xa9";
  *request.add_observations() = Observation(indicator, "verblijf", "2026-09-01", "2026-09-30", 1);
  auto response = ingestor_->Submit(provider_, request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(response.status().message().size(), 1000u);
  EXPECT_THAT(response.status().message(), HasSubstr("more bytes)"));
  auto rejection = GetRejection(response.status());
  ASSERT_TRUE(rejection.has_value());
  ASSERT_EQ(rejection->problems_size(), 1);
  const std::string& value = rejection->problems(0).value();
  EXPECT_LT(value.size(), 300u);
  EXPECT_EQ(value.substr(0, 3), "w\xc3\xa9");
  EXPECT_EQ(value.substr(value.find("...") - 2, 2), "\xc3\xa9");
}

TEST_F(IngestorTest, StorageOutageIsUnavailableAndLeavesStateAlone) {
  store_.FailNextCommits(1);
  auto failed = ingestor_->Submit(provider_, Request("s-1"));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(state_.size(), 0u);
  EXPECT_EQ(
      Sample(registry_, "vroeg_submissions_rejected_total", {{"reason", "storage_unavailable"}}),
      1);
  auto retried = ingestor_->Submit(provider_, Request("s-1"));
  ASSERT_TRUE(retried.ok());
  EXPECT_FALSE(retried->duplicate());
  EXPECT_EQ(state_.size(), 2u);
}

// Records what the ingestor queues for the national collector; fails the next `fail` calls.
class RecordingQueue : public SubmissionQueue {
 public:
  absl::Status Enqueue(const api::v1::SubmitRequest& request) override {
    if (fail > 0) {
      --fail;
      return absl::UnavailableError("spool full");
    }
    queued.push_back(request);
    return absl::OkStatus();
  }
  std::vector<api::v1::SubmitRequest> queued;
  int fail = 0;
};

// Every stored value, history included, as ForEachObservation reads it.
std::vector<StoredObservation> Everything(ObservationStore& store) {
  std::vector<StoredObservation> rows;
  ExportQuery query;
  query.history = true;
  absl::Status status = store.ForEachObservation(query, [&](const StoredObservation& o) {
    rows.push_back(o);
    return true;
  });
  EXPECT_TRUE(status.ok()) << status;
  return rows;
}

google::protobuf::Timestamp Timestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

TEST_F(IngestorTest, AForwardedSubmissionKeepsTheTimeTheRegionCommittedItAndNamesTheRegion) {
  const ReporterId region{type::v1::REPORTER_KIND_REGION, "gooi-en-vechtstreek"};
  api::v1::SubmitRequest request = ForwardedByGooi("fwd-1");
  const absl::Time at_region = clock_.Now() - absl::Hours(30);
  *request.mutable_received_at() = Timestamp(at_region);
  auto accepted = ingestor_->Submit(region, request);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                accepted->committed_at())),
            at_region);
  auto own = ingestor_->Submit(provider_, Request("own-1"));
  ASSERT_TRUE(own.ok()) << own.status();

  std::vector<StoredObservation> rows = Everything(store_);
  ASSERT_EQ(rows.size(), 3u);
  for (const StoredObservation& row : rows) {
    if (row.series.reporter == "urn:vroeg:municipality:GM0406") {
      EXPECT_EQ(row.region, "gooi-en-vechtstreek");
      EXPECT_EQ(row.received_at, at_region);
    } else {
      EXPECT_EQ(row.region, "") << "received from the reporter itself";
      EXPECT_EQ(row.received_at, clock_.Now());
    }
  }
}

TEST_F(IngestorTest, OnlyAForwardingRegionMaySayWhenASubmissionWasReceived) {
  api::v1::SubmitRequest request = Request("s-1");
  *request.mutable_received_at() = Timestamp(clock_.Now() - absl::Hours(24 * 40));
  auto refused = ingestor_->Submit(provider_, request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().message(),
            "received_at is set only by a regional collector forwarding a submission; leave it "
            "out");
  EXPECT_TRUE(Everything(store_).empty());
}

class UpstreamIngestorTest : public IngestorTest {
 protected:
  UpstreamIngestorTest() {
    IngestorOptions options;
    options.region = region_;
    options.upstream = &queue_;
    ingestor_ = std::make_unique<Ingestor>(catalogue_, std::move(options), &store_, &state_,
                                           &clock_, &log_.logger(), &upstream_registry_);
  }
  RecordingQueue queue_;
  prometheus::Registry upstream_registry_;
};

TEST_F(UpstreamIngestorTest, AcceptedSubmissionsAreQueuedInCommitOrderWithTheirCommitTime) {
  ASSERT_TRUE(ingestor_->Submit(provider_, Request("s-1")).ok());
  clock_.Advance(absl::Minutes(5));
  api::v1::SubmitRequest correction = Request("s-2");
  correction.mutable_observations(0)->set_value(21);
  // The reporter may be left out; what goes upstream names it.
  correction.clear_reporter();
  ASSERT_TRUE(ingestor_->Submit(provider_, correction).ok());
  ASSERT_EQ(queue_.queued.size(), 2u);
  EXPECT_EQ(queue_.queued[0].submission_id(), "s-1");
  EXPECT_EQ(queue_.queued[1].submission_id(), "s-2");
  EXPECT_EQ(queue_.queued[1].reporter(), provider_.Urn());
  EXPECT_EQ(queue_.queued[1].observations(0).value(), 21);
  EXPECT_EQ(queue_.queued[0].received_at(), Timestamp(clock_.Now() - absl::Minutes(5)));
  EXPECT_EQ(queue_.queued[1].received_at(), Timestamp(clock_.Now()));

  // A refused submission is not queued.
  api::v1::SubmitRequest invalid = Request("s-3");
  invalid.mutable_observations(0)->set_value(-1);
  EXPECT_FALSE(ingestor_->Submit(provider_, invalid).ok());
  EXPECT_EQ(queue_.queued.size(), 2u);
}

TEST_F(UpstreamIngestorTest, ASubmissionThatCouldNotBeQueuedIsQueuedWhenItIsSentAgain) {
  queue_.fail = 1;
  auto first = ingestor_->Submit(provider_, Request("s-1"));
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(first.status().message(), HasSubstr("spool full"));
  EXPECT_EQ(Everything(store_).size(), 2u) << "committed before it was queued";
  EXPECT_TRUE(queue_.queued.empty());

  clock_.Advance(absl::Minutes(1));
  auto retried = ingestor_->Submit(provider_, Request("s-1"));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(retried->duplicate());
  ASSERT_EQ(queue_.queued.size(), 1u);
  EXPECT_EQ(queue_.queued[0].received_at(), Timestamp(clock_.Now() - absl::Minutes(1)))
      << "the time of the first commit";
}

// A FakeObservationStore that holds its first transaction until `ready` says so (asked again and
// again, for at most 30 s), can fail one chosen transaction, and records the size of each.
class GatedStore : public FakeObservationStore {
 public:
  std::vector<absl::StatusOr<CommitResult>> CommitGroup(
      std::span<const SubmissionRecord* const> submissions) override {
    size_t index;
    {
      absl::MutexLock lock(&mu_);
      index = group_sizes_.size();
      group_sizes_.push_back(submissions.size());
    }
    if (index == 0 && ready) {
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (!ready() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
    }
    if (fail_group >= 0 && index == static_cast<size_t>(fail_group)) FailNextCommits(1);
    return FakeObservationStore::CommitGroup(submissions);
  }

  std::vector<size_t> group_sizes() const {
    absl::MutexLock lock(&mu_);
    return group_sizes_;
  }

  // Set before use.
  std::function<bool()> ready;
  int fail_group = -1;

 private:
  mutable absl::Mutex mu_;
  std::vector<size_t> group_sizes_ ABSL_GUARDED_BY(mu_);
};

class GroupCommitTest : public IngestorTest {
 protected:
  GroupCommitTest() {
    IngestorOptions options;
    options.region = region_;
    options.submissions_per_minute = 1e6;
    options.burst = 1e6;
    options.upstream = &queue_;
    ingestor_ = std::make_unique<Ingestor>(catalogue_, std::move(options), &gated_, &state_,
                                           &clock_, &log_.logger(), &group_registry_);
  }

  // Holds the first transaction until `n` submissions wait behind it.
  void HoldFirstCommitUntilWaiting(int n) {
    gated_.ready = [this, n] {
      return Sample(group_registry_, "vroeg_commit_waiting_submissions") >= n;
    };
  }

  // One occupancy figure of one series, which every submission of these tests corrects.
  api::v1::SubmitRequest Occupied(const std::string& id, double value) {
    api::v1::SubmitRequest request;
    request.set_submission_id(id);
    *request.add_observations() =
        Observation("plaatsen_bezet", "verblijf", "2026-09-07", "2026-09-13", value);
    return request;
  }

  std::vector<StoredObservation> StoredHistory() {
    auto history = gated_.History({provider_.Urn(), "plaatsen_bezet", "verblijf", ""}, "2026-09-07",
                                  "2026-09-13");
    EXPECT_TRUE(history.ok()) << history.status();
    return history.ok() ? *history : std::vector<StoredObservation>();
  }

  double LatestOccupied() {
    for (const auto& entry : state_.Snapshot()) {
      if (entry.key.indicator == "plaatsen_bezet") return entry.history.latest().value;
    }
    return -1;
  }

  GatedStore gated_;
  RecordingQueue queue_;
  prometheus::Registry group_registry_;
};

TEST_F(GroupCommitTest, ALoneSubmissionIsCommittedAtOnceInAGroupOfItsOwn) {
  for (int i = 0; i < 3; ++i) {
    auto response = ingestor_->Submit(provider_, Occupied(absl::StrCat("s-", i), i));
    ASSERT_TRUE(response.ok()) << response.status();
  }
  EXPECT_THAT(gated_.group_sizes(), ElementsAre(1, 1, 1));
  EXPECT_EQ(Sample(group_registry_, "vroeg_commit_batch_submissions"), 3);
  EXPECT_EQ(Sample(group_registry_, "vroeg_commit_waiting_submissions"), 0);
}

TEST_F(GroupCommitTest, ConcurrentSubmissionsShareTransactionsAndEachGetsItsOwnAnswer) {
  constexpr int kThreads = 8;
  constexpr int kRounds = 30;
  HoldFirstCommitUntilWaiting(kThreads - 1);

  std::atomic<int> shared_stored{0}, shared_duplicates{0}, duplicates{0}, reused{0};
  absl::Notification start;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.WaitForNotification();
      for (int k = 0; k < kRounds; ++k) {
        const std::string id = absl::StrCat("t", t, "-", k);
        const double value = t * 100 + k;
        auto response = ingestor_->Submit(provider_, Occupied(id, value));
        ASSERT_TRUE(response.ok()) << id << ": " << response.status();
        EXPECT_EQ(response->submission_id(), id);
        EXPECT_FALSE(response->duplicate()) << id;
        EXPECT_EQ(response->stored(), 1u) << id;
        if (k % 5 == 0) {
          auto again = ingestor_->Submit(provider_, Occupied(id, value));
          ASSERT_TRUE(again.ok()) << id << ": " << again.status();
          EXPECT_TRUE(again->duplicate()) << id;
          EXPECT_EQ(again->stored(), 0u) << id;
          EXPECT_EQ(again->committed_at(), response->committed_at()) << id;
          ++duplicates;
        }
        if (k % 7 == 3) {
          auto other = ingestor_->Submit(provider_, Occupied(id, value + 1));
          EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists)
              << id << ": " << other.status();
          ++reused;
        }
        if (k == kRounds / 2) {
          // The same submission from every thread at about the same time: stored once.
          auto shared = ingestor_->Submit(provider_, Occupied("shared", 9999));
          ASSERT_TRUE(shared.ok()) << shared.status();
          ++(shared->duplicate() ? shared_duplicates : shared_stored);
        }
      }
    });
  }
  start.Notify();
  for (std::thread& thread : threads) thread.join();

  const int accepted = kThreads * kRounds + 1;
  const int repeated = duplicates.load() + shared_duplicates.load();
  EXPECT_EQ(shared_stored.load(), 1);
  EXPECT_EQ(shared_duplicates.load(), kThreads - 1);
  EXPECT_EQ(Sample(group_registry_, "vroeg_submissions_accepted_total"), accepted);
  EXPECT_EQ(Sample(group_registry_, "vroeg_submissions_duplicate_total"), repeated);
  EXPECT_EQ(Sample(group_registry_, "vroeg_submissions_rejected_total", {{"reason", "id_reused"}}),
            reused.load());
  EXPECT_EQ(Sample(group_registry_, "vroeg_observation_corrections_total"), accepted - 1);
  EXPECT_EQ(Sample(group_registry_, "vroeg_commit_duration_seconds"), accepted + repeated);
  EXPECT_EQ(Sample(group_registry_, "vroeg_commit_waiting_submissions"), 0);

  // Groups formed: the first transaction was held until every other thread waited.
  const std::vector<size_t> groups = gated_.group_sizes();
  ASSERT_GE(groups.size(), 2u);
  EXPECT_EQ(groups[0], 1u);
  // Those that waited, and possibly the first thread's next submission.
  EXPECT_GE(groups[1], static_cast<size_t>(kThreads - 1));
  size_t submitted = 0;
  for (size_t size : groups) submitted += size;
  EXPECT_EQ(submitted, static_cast<size_t>(accepted + repeated + reused.load()));
  EXPECT_EQ(Sample(group_registry_, "vroeg_commit_batch_submissions"),
            static_cast<double>(groups.size()));

  // Stored once each, each thread's in the order it sent them, the last one current.
  const std::vector<StoredObservation> history = StoredHistory();
  ASSERT_EQ(history.size(), static_cast<size_t>(accepted));
  std::vector<int> next_round(kThreads, 0);
  std::vector<std::string> commit_order;
  for (size_t i = 0; i < history.size(); ++i) {
    const StoredObservation& o = history[i];
    EXPECT_EQ(o.current, i + 1 == history.size()) << i;
    commit_order.push_back(o.submission_id);
    if (o.submission_id == "shared") continue;
    const int t = static_cast<int>(o.value) / 100;
    const int k = static_cast<int>(o.value) % 100;
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(o.submission_id, absl::StrCat("t", t, "-", k));
    EXPECT_EQ(k, next_round[t]++) << o.submission_id << " out of its thread's order";
  }
  EXPECT_EQ(LatestOccupied(), history.back().value);

  // Queued upstream in commit order: every answer OK once, first occurrences as stored.
  ASSERT_EQ(queue_.queued.size(), static_cast<size_t>(accepted + repeated));
  std::vector<std::string> first_queued;
  std::set<std::string> seen;
  for (const auto& request : queue_.queued) {
    if (seen.insert(request.submission_id()).second)
      first_queued.push_back(request.submission_id());
  }
  EXPECT_EQ(first_queued, commit_order);
}

TEST_F(GroupCommitTest, AFailedTransactionFailsEveryMemberAndWritesNothingOfThem) {
  HoldFirstCommitUntilWaiting(3);
  gated_.fail_group = 1;
  absl::StatusOr<api::v1::SubmitResponse> first;
  std::vector<absl::StatusOr<api::v1::SubmitResponse>> members(3);
  {
    std::vector<std::thread> threads;
    threads.emplace_back([&] { first = ingestor_->Submit(provider_, Occupied("first", 1)); });
    // Joins only once the first one is being committed, so that it cannot lead the group.
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (gated_.group_sizes().empty() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&, i] {
        members[i] = ingestor_->Submit(provider_, Occupied(absl::StrCat("w-", i), 10 + i));
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(gated_.group_sizes(), ElementsAre(1, 3));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(members[i].status().code(), absl::StatusCode::kUnavailable) << members[i].status();
    EXPECT_THAT(members[i].status().message(), HasSubstr(absl::StrCat("'w-", i, "'")));
  }
  EXPECT_EQ(Sample(group_registry_, "vroeg_submissions_rejected_total",
                   {{"reason", "storage_unavailable"}}),
            3);
  EXPECT_THAT(StoredHistory(), ElementsAre(Field(&StoredObservation::submission_id, "first")));
  EXPECT_EQ(LatestOccupied(), 1);
  EXPECT_EQ(queue_.queued.size(), 1u);

  for (int i = 0; i < 3; ++i) {
    auto retried = ingestor_->Submit(provider_, Occupied(absl::StrCat("w-", i), 10 + i));
    ASSERT_TRUE(retried.ok()) << retried.status();
    EXPECT_FALSE(retried->duplicate());
  }
  EXPECT_EQ(StoredHistory().size(), 4u);
  EXPECT_EQ(LatestOccupied(), 12);
}

}  // namespace
}  // namespace vroeg
