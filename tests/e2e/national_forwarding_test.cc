// Region to national end to end: a real regional collector forwards every accepted submission to
// a real national collector (config `upstream`), each with its own CA as in production, while
// the national collector is killed with SIGKILL several times in the middle of the stream and
// started again. Afterwards the national store must hold exactly what the regional store holds:
// every value with its reporter, submission id, received time, correction history and region,
// as ExportObservations reads both in HISTORY mode.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/fault/fault_processes.h"
#include "tests/support/http_get.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_region.h"
#include "vroeg/api/v1/export.grpc.pb.h"
#include "vroeg/api/v1/submission.grpc.pb.h"

namespace vroeg::testing {
namespace {

constexpr char kSupervisor[] = "urn:vroeg:supervisor:nza";
constexpr int kKills = 4;
// Bounds on the stream: it runs until the kills are over, at least kMinSubmissions long and
// never longer than kMaxSubmissions.
constexpr int kMinSubmissions = 60;
constexpr int kMaxSubmissions = 3000;
// Flevoland's reporters; the municipality reports for itself.
const std::vector<std::string>& Reporters() {
  static const auto* reporters =
      new std::vector<std::string>{"urn:vroeg:provider:98990011", "urn:vroeg:provider:98990012",
                                   "urn:vroeg:municipality:GM0034"};
  return *reporters;
}

api::v1::Observation Observation(const std::string& indicator, const std::string& municipality,
                                 int month, double value) {
  api::v1::Observation o;
  o.set_indicator(indicator);
  o.set_care_form("verblijf");
  o.set_municipality(municipality);
  o.mutable_period()->set_start(absl::StrFormat("2026-%02d-01", month));
  o.mutable_period()->set_end(
      absl::FormatCivilTime(absl::CivilDay(absl::CivilMonth(2026, month) + 1) - 1));
  o.mutable_period()->set_granularity(type::v1::GRANULARITY_MONTH);
  o.set_value(value);
  return o;
}

// Submission `n` of a reporter: figures for one of six months, so that later submissions
// correct earlier ones and the order of corrections matters.
api::v1::SubmitRequest Submission(const std::string& reporter, int n) {
  api::v1::SubmitRequest request;
  request.set_reporter(reporter);
  request.set_submission_id(absl::StrCat("s-", n));
  const int month = 1 + n % 6;
  if (absl::StrContains(reporter, "municipality")) {
    *request.add_observations() = Observation("verwijzingen_huisarts", "GM0034", month, n);
  } else {
    *request.add_observations() = Observation("wachtenden", "GM0034", month, n % 17);
    *request.add_observations() = Observation("wachtenden", "GM0995", month, n % 11);
  }
  return request;
}

// Every row ExportObservations sends in HISTORY mode, as text; fails the test on an error.
std::vector<std::string> ExportedHistory(TestRegion& pki, int port) {
  auto stub = api::v1::ExportService::NewStub(pki.Channel(port, kSupervisor));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  api::v1::ExportObservationsRequest request;
  request.set_mode(api::v1::EXPORT_MODE_HISTORY);
  auto reader = stub->ExportObservations(&context, request);
  std::vector<std::string> rows;
  api::v1::ExportObservationsResponse response;
  while (reader->Read(&response)) {
    for (const auto& row : response.observations()) rows.push_back(row.ShortDebugString());
  }
  const grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  return rows;
}

absl::StatusOr<double> Metric(int metrics_port, const std::string& series) {
  auto response = HttpGet(metrics_port, "/metrics");
  if (!response.ok()) return response.status();
  std::optional<double> value = SampleValue(response->body, series);
  if (!value) return absl::NotFoundError(absl::StrCat(series, " is not on /metrics"));
  return *value;
}

// The upstream block of a regional collector's configuration, for the national collector on
// `port` whose PKI is `national`, presenting the certificate of `identity`.
std::string UpstreamConfig(TestRegion& national, int port, const std::string& identity) {
  const std::string stem = national.Issue(identity);
  return absl::StrCat("upstream:\n  collector: 127.0.0.1:", port,
                      "\n  collector_name: localhost\n  tls: {certificate: ", stem,
                      ".crt, private_key: ", stem, ".key, ca_certificate: ", national.ca_dir(),
                      "/ca.crt}\n  timeout_seconds: 5\n"
                      "  retry: {initial_milliseconds: 100, max_seconds: 1}\n");
}

TEST(NationalForwardingTest, NationalStoreEndsEqualToTheRegionalOneThroughRepeatedKills) {
  TestRegion regional_pki;
  TestRegion national_pki;
  auto national = FaultCollector::Create(
      national_pki,
      [&](int port) {
        return national_pki.CollectorConfigFor(
            "{code: nederland, name: Nederland}", "{sqlite: {path: national.db}}", port,
            "member_regions:\n"
            "  - code: flevoland\n"
            "    municipalities: [{code: GM0034}, {code: GM0303}, {code: GM0995}, "
            "{code: GM0171}, {code: GM0184}, {code: GM0050}]\n");
      },
      national_pki.dir() + "/national.db");
  ASSERT_TRUE(national.ok()) << national.status();
  ASSERT_TRUE((*national)->Start().ok());

  const std::string upstream =
      UpstreamConfig(national_pki, (*national)->port(), "urn:vroeg:region:flevoland");
  auto regional = FaultCollector::Create(
      regional_pki,
      [&](int port) {
        return regional_pki.CollectorConfigWithStorage("{sqlite: {path: collector.db}}", port,
                                                       upstream);
      },
      regional_pki.dir() + "/collector.db");
  ASSERT_TRUE(regional.ok()) << regional.status();
  ASSERT_TRUE((*regional)->Start().ok()) << (*regional)->Logs();
  const int metrics_port = (*regional)->metrics_port();
  const std::string acknowledged = R"(vroeg_upstream_sends_total{outcome="acknowledged"})";

  // The reporters' stream into the regional collector, until the kills are over.
  std::atomic<bool> kills_done{false};
  std::atomic<int> sent{0};
  std::thread stream([&] {
    std::vector<std::unique_ptr<api::v1::SubmissionService::Stub>> stubs;
    for (const std::string& urn : Reporters()) {
      stubs.push_back(
          api::v1::SubmissionService::NewStub(regional_pki.Channel((*regional)->port(), urn)));
    }
    const absl::Time deadline = absl::Now() + absl::Minutes(3);
    for (int n = 0; n < kMaxSubmissions && absl::Now() < deadline; ++n) {
      if (n >= kMinSubmissions && kills_done) break;
      for (size_t r = 0; r < stubs.size(); ++r) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        api::v1::SubmitResponse response;
        const grpc::Status status =
            stubs[r]->Submit(&context, Submission(Reporters()[r], n), &response);
        ASSERT_TRUE(status.ok()) << Reporters()[r] << " s-" << n << ": " << status.error_message();
        ++sent;
      }
    }
  });

  // Each kill comes after the national collector took part of the stream since its last start,
  // while the stream still runs.
  std::mt19937 random(std::random_device{}());
  for (int kill = 0; kill < kKills; ++kill) {
    double before = Metric(metrics_port, acknowledged).value_or(0);
    const int wanted = 5 + static_cast<int>(random() % 20);
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (Metric(metrics_port, acknowledged).value_or(0) < before + wanted &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    ASSERT_TRUE((*national)->Kill().ok());
    absl::SleepFor(absl::Milliseconds(100 + random() % 400));
    ASSERT_TRUE((*national)->Start().ok()) << (*national)->Logs();
  }
  kills_done = true;
  stream.join();
  ASSERT_FALSE(HasFatalFailure());

  // Everything forwarded: the spool is empty and nothing was refused.
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (Metric(metrics_port, "vroeg_upstream_spool_submissions").value_or(-1) != 0 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(Metric(metrics_port, "vroeg_upstream_spool_submissions").value_or(-1), 0)
      << (*regional)->Logs();
  EXPECT_EQ(
      Metric(metrics_port, R"(vroeg_upstream_sends_total{outcome="quarantine"})").value_or(-1), 0);
  EXPECT_GT(Metric(metrics_port, R"(vroeg_upstream_sends_total{outcome="retry"})").value_or(0), 0)
      << "the kills did not interrupt the forwarding";
  EXPECT_EQ((*national)->runs(), kKills + 1);

  const std::vector<std::string> at_region = ExportedHistory(regional_pki, (*regional)->port());
  const std::vector<std::string> at_national = ExportedHistory(national_pki, (*national)->port());
  // Two observations per provider submission, one per municipality submission.
  EXPECT_EQ(at_region.size(), static_cast<size_t>(sent / 3 * 5));
  ASSERT_EQ(at_national.size(), at_region.size());
  for (size_t i = 0; i < at_region.size(); ++i) {
    ASSERT_EQ(at_national[i], at_region[i]) << "first difference, row " << i;
  }
  std::cout << "[ figures  ] submissions=" << sent << " rows=" << at_region.size()
            << " national runs=" << (*national)->runs()
            << " forwarded=" << Metric(metrics_port, acknowledged).value_or(0) << " retries="
            << Metric(metrics_port, R"(vroeg_upstream_sends_total{outcome="retry"})").value_or(0)
            << std::endl;

  ASSERT_TRUE((*regional)->Stop().ok()) << (*regional)->Logs();
  ASSERT_TRUE((*national)->Stop().ok()) << (*national)->Logs();
}

TEST(NationalForwardingTest, ARegionalCollectorForwardsOnlyAsItsOwnRegion) {
  TestRegion regional_pki;
  TestRegion national_pki;
  const std::string config = regional_pki.CollectorConfigWithStorage(
      "{sqlite: {path: collector.db}}", 0,
      UpstreamConfig(national_pki, 7443, "urn:vroeg:region:utrecht"));
  auto started = RunningCollector::Start(config, regional_pki.dir() + "/collector.log");
  ASSERT_FALSE(started.ok()) << "started with another region's certificate";
  EXPECT_THAT(ReadWholeFile(regional_pki.dir() + "/collector.log"),
              ::testing::HasSubstr(
                  "upstream.tls.certificate is for urn:vroeg:region:utrecht, but a regional "
                  "collector forwards as its region, urn:vroeg:region:flevoland"));
}

TEST(NationalForwardingTest, ASubmissionTheNationalCollectorRefusesIsQuarantinedNotRetried) {
  TestRegion regional_pki;
  TestRegion national_pki;
  // A national collector that does not list Flevoland among its member regions.
  const std::string national_config = national_pki.CollectorConfigFor(
      "{code: nederland, name: Nederland}", "{sqlite: {path: national.db}}", 0);
  auto national = RunningCollector::Start(national_config, national_pki.dir() + "/collector.log");
  ASSERT_TRUE(national.ok()) << national.status();
  const std::string config = regional_pki.CollectorConfigWithStorage(
      "{sqlite: {path: collector.db}}", 0,
      UpstreamConfig(national_pki, (*national)->grpc_port(), "urn:vroeg:region:flevoland"));
  auto regional = RunningCollector::Start(config, regional_pki.dir() + "/regional.log");
  ASSERT_TRUE(regional.ok()) << regional.status();

  auto stub = api::v1::SubmissionService::NewStub(
      regional_pki.Channel((*regional)->grpc_port(), Reporters()[0]));
  grpc::ClientContext context;
  api::v1::SubmitResponse response;
  ASSERT_TRUE(stub->Submit(&context, Submission(Reporters()[0], 1), &response).ok());

  const std::string quarantined = R"(vroeg_upstream_sends_total{outcome="quarantine"})";
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (Metric((*regional)->metrics_port(), quarantined).value_or(0) < 1 &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(Metric((*regional)->metrics_port(), quarantined).value_or(0), 1);
  EXPECT_EQ(Metric((*regional)->metrics_port(), "vroeg_upstream_spool_submissions").value_or(-1),
            0);
  EXPECT_EQ(Metric((*regional)->metrics_port(), R"(vroeg_upstream_sends_total{outcome="retry"})")
                .value_or(-1),
            0);
  // Set aside with the national collector's reason, where an operator finds it.
  const std::filesystem::path quarantine(regional_pki.dir() +
                                         "/collector.upstream-spool/quarantine");
  std::string reasons;
  for (const auto& entry : std::filesystem::directory_iterator(quarantine)) {
    if (entry.path().extension() == ".txt") reasons += ReadWholeFile(entry.path().string());
  }
  EXPECT_THAT(reasons, ::testing::HasSubstr("rule region_not_member"));
  EXPECT_EQ(ObservationsStored(regional_pki, (*regional)->grpc_port(), kSupervisor), 2u)
      << "refused upstream, still stored in the region";
}

}  // namespace
}  // namespace vroeg::testing
