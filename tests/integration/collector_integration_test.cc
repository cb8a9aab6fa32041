// Starts the real vroeg-collector on loopback with a PKI made by vroegctl, and drives it with
// the real vroeg-agent and with plain gRPC clients, as providers and attackers would.
#include <csignal>
#include <limits>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "server/storage/sqlite_store.h"
#include "tests/support/process.h"
#include "tests/support/raw_call.h"
#include "tests/support/test_region.h"
#include "vroeg/api/v1/catalogue_service.grpc.pb.h"
#include "vroeg/api/v1/status.grpc.pb.h"
#include "vroeg/api/v1/submission.grpc.pb.h"

namespace vroeg::testing {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

constexpr char kProvider[] = "urn:vroeg:provider:98990012";
constexpr char kOtherProvider[] = "urn:vroeg:provider:98990013";
constexpr char kMunicipality[] = "urn:vroeg:municipality:GM0034";
constexpr char kSupervisor[] = "urn:vroeg:supervisor:nza";

constexpr char kGoodCsv[] =
    "period_start,period_end,care_form,municipality,indicator,value\n"
    "2026-09-01,2026-09-30,verblijf,GM0034,wachtenden,12\n"
    "2026-09-07,2026-09-13,verblijf,,plaatsen_gecontracteerd,24\n"
    "2026-09-07,2026-09-13,verblijf,,plaatsen_operationeel,20\n"
    "2026-09-07,2026-09-13,verblijf,,plaatsen_bezet,18\n"
    "2026-09-01,2026-09-30,verblijf,GM0034,wachttijd_intake_weken,\"5,5\"\n";

constexpr char kWaitingSeries[] =
    "jeugdzorg_waiting_youths{region=\"flevoland\",reporter=\"98990012\","
    "reporter_kind=\"provider\",care_form=\"verblijf\",municipality=\"GM0034\"}";

api::v1::Observation MakeObservation(const std::string& indicator, const std::string& care_form,
                                     const std::string& start, const std::string& end, double value,
                                     const std::string& municipality = "") {
  api::v1::Observation o;
  o.set_indicator(indicator);
  o.set_care_form(care_form);
  o.set_municipality(municipality);
  o.mutable_period()->set_start(start);
  o.mutable_period()->set_end(end);
  o.set_value(value);
  return o;
}

class CollectorIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override { StartCollector(); }

  void StartCollector() {
    auto collector =
        RunningCollector::Start(region_.CollectorConfig(), region_.dir() + "/collector.log");
    ASSERT_TRUE(collector.ok()) << collector.status();
    collector_ = *std::move(collector);
  }

  // SIGTERM: a clean stop; SIGKILL: a crash. Keeps the stopped collector's log.
  void RestartCollector(int signal = SIGTERM) {
    auto code = collector_->process().Stop(signal);
    ASSERT_TRUE(code.ok()) << code.status();
    stopped_log_ = collector_->process().Log();
    if (signal == SIGTERM) {
      ASSERT_EQ(*code, 0) << stopped_log_;
    }
    collector_.reset();
    StartCollector();
  }

  std::string DataFile(const std::string& name, const std::string& content) {
    const std::string path = region_.dir() + "/" + name;
    WriteFile(path, content);
    return path;
  }

  CommandResult Agent(const std::string& urn, const std::vector<std::string>& files) {
    std::vector<std::string> argv = {AgentBinary(), "submit", "--config",
                                     region_.AgentConfig(urn, collector_->grpc_port())};
    argv.insert(argv.end(), files.begin(), files.end());
    auto result = RunCommand(argv);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : CommandResult{};
  }

  std::string Metrics() {
    auto metrics = collector_->Metrics();
    EXPECT_TRUE(metrics.ok()) << metrics.status();
    return metrics.ok() ? *metrics : "";
  }

  grpc::Status Submit(const std::string& caller, const api::v1::SubmitRequest& request,
                      api::v1::SubmitResponse* response) {
    auto stub =
        api::v1::SubmissionService::NewStub(region_.Channel(collector_->grpc_port(), caller));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return stub->Submit(&context, request, response);
  }

  api::v1::GetStatusResponse Status() {
    auto stub =
        api::v1::StatusService::NewStub(region_.Channel(collector_->grpc_port(), kProvider));
    grpc::ClientContext context;
    api::v1::GetStatusResponse response;
    grpc::Status status = stub->GetStatus(&context, api::v1::GetStatusRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // Stops the collector and reads its database directly.
  std::vector<StoredObservation> StoredHistory(const SeriesKey& series, const std::string& start,
                                               const std::string& end) {
    auto code = collector_->process().Stop(SIGTERM);
    EXPECT_TRUE(code.ok());
    auto store = SqliteStore::Open(region_.dir() + "/collector.db");
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return {};
    auto history = (*store)->History(series, start, end);
    EXPECT_TRUE(history.ok()) << history.status();
    return history.ok() ? *history : std::vector<StoredObservation>{};
  }

  TestRegion region_;
  std::unique_ptr<RunningCollector> collector_;
  std::string stopped_log_;
};

TEST_F(CollectorIntegrationTest, GoodSubmissionReachesStoreAndMetrics) {
  CommandResult result = Agent(kProvider, {DataFile("good.csv", kGoodCsv)});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("good.csv: accepted: 5 observations stored (0 corrections)"));

  const std::string metrics = Metrics();
  EXPECT_THAT(SampleValue(metrics, kWaitingSeries), Optional(12.0));
  // Weeks are exposed in seconds: 5.5 weeks.
  EXPECT_THAT(SampleValue(metrics,
                          "jeugdzorg_waiting_time_to_intake_seconds{region=\"flevoland\","
                          "reporter=\"98990012\",reporter_kind=\"provider\",care_form="
                          "\"verblijf\",municipality=\"GM0034\"}"),
              Optional(5.5 * 7 * 24 * 3600));
  EXPECT_THAT(SampleValue(metrics,
                          "jeugdzorg_region_places_operational{region=\"flevoland\","
                          "care_form=\"verblijf\"}"),
              Optional(20.0));
  EXPECT_THAT(
      SampleValue(metrics,
                  "jeugdzorg_region_occupancy_ratio{region=\"flevoland\",care_form=\"verblijf\"}"),
      Optional(0.9));
  EXPECT_THAT(SampleValue(metrics, "vroeg_submissions_accepted_total"), Optional(1.0));
  EXPECT_THAT(SampleValue(metrics, "vroeg_observations_stored_total"), Optional(5.0));
  EXPECT_THAT(SampleValue(metrics, "vroeg_commit_duration_seconds_count"), Optional(1.0));

  api::v1::GetStatusResponse status = Status();
  EXPECT_EQ(status.caller(), kProvider);
  EXPECT_EQ(status.region(), "flevoland");
  EXPECT_EQ(status.observations_stored(), 5u);
  EXPECT_EQ(status.submissions_stored(), 1u);

  auto history =
      StoredHistory({kProvider, "wachtenden", "verblijf", "GM0034"}, "2026-09-01", "2026-09-30");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].value, 12);
  EXPECT_EQ(history[0].granularity, type::v1::GRANULARITY_MONTH);
  EXPECT_TRUE(history[0].current);
}

TEST_F(CollectorIntegrationTest, RetriedSubmissionIsStoredOnce) {
  const std::string file = DataFile("good.csv", kGoodCsv);
  ASSERT_EQ(Agent(kProvider, {file}).exit_code, 0);
  CommandResult again = Agent(kProvider, {file});
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("already accepted earlier as submission f-"));
  EXPECT_EQ(Status().observations_stored(), 5u);
  EXPECT_THAT(SampleValue(Metrics(), "vroeg_submissions_duplicate_total"), Optional(1.0));

  api::v1::SubmitRequest request;
  request.set_submission_id("batch-1");
  request.set_reporter(kProvider);
  *request.add_observations() =
      MakeObservation("wachtenden", "crisishulp", "2026-08-01", "2026-08-31", 3);
  api::v1::SubmitResponse first, second, conflict;
  ASSERT_TRUE(Submit(kProvider, request, &first).ok());
  ASSERT_TRUE(Submit(kProvider, request, &second).ok());
  EXPECT_FALSE(first.duplicate());
  EXPECT_TRUE(second.duplicate());
  EXPECT_EQ(second.stored(), 0u);
  EXPECT_EQ(second.committed_at().seconds(), first.committed_at().seconds());

  request.mutable_observations(0)->set_value(4);
  grpc::Status reused = Submit(kProvider, request, &conflict);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(reused.error_message(),
              HasSubstr("submission id 'batch-1' was already used by " + std::string(kProvider)));
  EXPECT_EQ(Status().observations_stored(), 6u);
}

TEST_F(CollectorIntegrationTest, CorrectionReplacesCurrentValueAndKeepsHistory) {
  ASSERT_EQ(Agent(kProvider, {DataFile("first.csv", kGoodCsv)}).exit_code, 0);
  CommandResult corrected =
      Agent(kProvider, {DataFile("correction.csv",
                                 "period_start;period_end;care_form;municipality;wachtenden\n"
                                 "2026-09-01;2026-09-30;verblijf;GM0034;15\n")});
  EXPECT_EQ(corrected.exit_code, 0) << corrected.out;
  EXPECT_THAT(corrected.out, HasSubstr("accepted: 1 observation stored (1 correction)"));
  EXPECT_THAT(SampleValue(Metrics(), kWaitingSeries), Optional(15.0));
  EXPECT_THAT(SampleValue(Metrics(), "vroeg_observation_corrections_total"), Optional(1.0));

  auto history =
      StoredHistory({kProvider, "wachtenden", "verblijf", "GM0034"}, "2026-09-01", "2026-09-30");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].value, 12);
  EXPECT_FALSE(history[0].current);
  EXPECT_EQ(history[1].value, 15);
  EXPECT_TRUE(history[1].current);
  EXPECT_NE(history[0].submission_id, history[1].submission_id);
}

TEST_F(CollectorIntegrationTest, BackdatedDataDoesNotHideTheLatestPeriod) {
  ASSERT_EQ(Agent(kProvider, {DataFile("sept.csv", kGoodCsv)}).exit_code, 0);
  ASSERT_EQ(
      Agent(kProvider, {DataFile("june.csv",
                                 "period_start,period_end,care_form,municipality,indicator,value\n"
                                 "2026-06-01,2026-06-30,verblijf,GM0034,wachtenden,40\n")})
          .exit_code,
      0);
  EXPECT_THAT(SampleValue(Metrics(), kWaitingSeries), Optional(12.0));
}

TEST_F(CollectorIntegrationTest, RestartKeepsEverything) {
  const std::string file = DataFile("good.csv", kGoodCsv);
  ASSERT_EQ(Agent(kProvider, {file}).exit_code, 0);
  const std::string before = Metrics();
  RestartCollector();
  const std::string after = Metrics();
  EXPECT_THAT(SampleValue(after, kWaitingSeries), Optional(12.0));
  EXPECT_EQ(SampleValue(after,
                        "jeugdzorg_region_occupancy_ratio{region=\"flevoland\","
                        "care_form=\"verblijf\"}"),
            SampleValue(before,
                        "jeugdzorg_region_occupancy_ratio{region=\"flevoland\","
                        "care_form=\"verblijf\"}"));
  EXPECT_THAT(SampleValue(after, "vroeg_series"), Optional(5.0));
  // A clean stop saves the state, and the start after it reads that back.
  EXPECT_THAT(stopped_log_, HasSubstr("event=state_checkpoint_saved series=5"));
  EXPECT_THAT(collector_->process().Log(),
              ContainsRegex("event=state_rebuilt series=5 .*from=checkpoint"));
  CommandResult again = Agent(kProvider, {file});
  EXPECT_THAT(again.out, HasSubstr("already accepted earlier"));
  EXPECT_EQ(Status().observations_stored(), 5u);

  // What came after the checkpoint, then a crash: no checkpoint, the store is read instead.
  ASSERT_EQ(Agent(kProvider, {DataFile("later.csv",
                                       "period_start,period_end,care_form,"
                                       "municipality,indicator,value\n"
                                       "2026-10-01,2026-10-31,verblijf,GM0034,"
                                       "wachtenden,40\n")})
                .exit_code,
            0);
  RestartCollector(SIGKILL);
  EXPECT_THAT(stopped_log_, Not(HasSubstr("event=state_checkpoint_saved")));
  EXPECT_THAT(collector_->process().Log(),
              ContainsRegex("event=state_rebuilt series=5 .*from=store"));
  EXPECT_THAT(SampleValue(Metrics(), kWaitingSeries), Optional(40.0));
}

TEST_F(CollectorIntegrationTest, SubmissionForAnotherReporterIsPermissionDenied) {
  api::v1::SubmitRequest request;
  request.set_submission_id("cross-1");
  request.set_reporter(kOtherProvider);
  *request.add_observations() =
      MakeObservation("wachtenden", "verblijf", "2026-09-01", "2026-09-30", 1);
  api::v1::SubmitResponse response;
  grpc::Status status = Submit(kProvider, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "urn:vroeg:provider:98990012 is not allowed this: a provider submits only its own "
            "figures, not those of urn:vroeg:provider:98990013 (rule other_reporter)");
  EXPECT_THAT(
      SampleValue(Metrics(), "vroeg_submissions_rejected_total{reason=\"permission_denied\"}"),
      Optional(1.0));
  EXPECT_THAT(collector_->process().Log(),
              AllOf(HasSubstr("event=submission_refused"), HasSubstr("code=PERMISSION_DENIED")));
  EXPECT_EQ(Status().observations_stored(), 0u);
}

TEST_F(CollectorIntegrationTest, SupervisorMaySubmitNothing) {
  api::v1::SubmitRequest request;
  request.set_submission_id("nza-1");
  *request.add_observations() =
      MakeObservation("wachtenden", "verblijf", "2026-09-01", "2026-09-30", 1);
  api::v1::SubmitResponse response;
  grpc::Status status = Submit(kSupervisor, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("(rule supervisor_submits)"));
}

TEST_F(CollectorIntegrationTest, MalformedReporterIdIsInvalid) {
  api::v1::SubmitRequest request;
  request.set_submission_id("bad-agb");
  request.set_reporter("urn:vroeg:provider:1234567");
  api::v1::SubmitResponse response;
  grpc::Status status = Submit(kProvider, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "reporter: 'urn:vroeg:provider:1234567': '1234567' is not an AGB code: expected "
            "exactly 8 digits");
}

TEST_F(CollectorIntegrationTest, CertificateFromUnknownCaIsRefused) {
  // Same identity, but signed by a CA the collector does not trust.
  TempDir foreign;
  const std::string foreign_ca = foreign.Sub("ca");
  ASSERT_EQ(RunCommand({VroegctlBinary(), "pki", "init", "--dir", foreign_ca, "--region", "elders"})
                ->exit_code,
            0);
  ASSERT_EQ(
      RunCommand({VroegctlBinary(), "pki", "issue", "--dir", foreign_ca, "--identity", kProvider})
          ->exit_code,
      0);
  api::v1::SubmitRequest request;
  request.set_submission_id("foreign-1");
  *request.add_observations() =
      MakeObservation("wachtenden", "verblijf", "2026-09-01", "2026-09-30", 1);
  auto stub = api::v1::SubmissionService::NewStub(
      region_.Channel(collector_->grpc_port(), kProvider, foreign_ca));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  api::v1::SubmitResponse response;
  grpc::Status status = stub->Submit(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();

  const std::string config = region_.dir() + "/foreign-agent.yaml";
  WriteFile(config, absl::StrCat("collector: 127.0.0.1:", collector_->grpc_port(),
                                 "\ncollector_name: localhost\ntls:\n  certificate: ", foreign_ca,
                                 "/provider-98990012.crt\n  private_key: ", foreign_ca,
                                 "/provider-98990012.key\n  ca_certificate: ", region_.ca_dir(),
                                 "/ca.crt\ntimeout_seconds: 5\nspool: {path: foreign-spool}\n"));
  auto agent =
      RunCommand({AgentBinary(), "submit", "--config", config, DataFile("good.csv", kGoodCsv)});
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->exit_code, 3) << agent->out;
  EXPECT_THAT(agent->out, HasSubstr("cannot fetch the catalogue"));
  EXPECT_EQ(Status().observations_stored(), 0u);
}

// `vroeg-agent submit` goes through the spool: while the collector is down a checked file waits
// there (exit code 3), and the next submit, even without files, delivers it.
TEST_F(CollectorIntegrationTest, SubmitKeepsFilesInTheSpoolWhileTheCollectorIsDown) {
  ASSERT_EQ(Agent(kProvider, {DataFile("good.csv", kGoodCsv)}).exit_code, 0);
  const int port = collector_->grpc_port();
  auto stopped = collector_->process().Stop(SIGTERM);
  ASSERT_TRUE(stopped.ok());
  collector_.reset();

  const std::string later =
      DataFile("later.csv",
               "period_start,period_end,care_form,municipality,indicator,value\n"
               "2026-10-01,2026-10-31,verblijf,GM0034,wachtenden,17\n");
  auto offline = RunCommand({AgentBinary(), "submit", "--wait", "1", "--config",
                             region_.AgentConfig(kProvider, port), later});
  ASSERT_TRUE(offline.ok()) << offline.status();
  EXPECT_EQ(offline->exit_code, 3) << offline->out << offline->err;
  EXPECT_THAT(offline->out, HasSubstr("the collector is unreachable; checking against the "
                                      "catalogue version 2026.3 kept from the last contact"));
  EXPECT_THAT(offline->out, HasSubstr(later + ": spooled, not yet acknowledged: collector"));
  EXPECT_THAT(offline->out, HasSubstr("1 submission wait in the spool"));

  StartCollector();
  CommandResult flushed = Agent(kProvider, {});
  EXPECT_EQ(flushed.exit_code, 0) << flushed.out << flushed.err;
  EXPECT_THAT(flushed.out, HasSubstr(later + " (spooled earlier): accepted: 1 observation stored"));
  EXPECT_THAT(SampleValue(Metrics(),
                          "jeugdzorg_waiting_youths{region=\"flevoland\",reporter=\"98990012\","
                          "reporter_kind=\"provider\",care_form=\"verblijf\",municipality="
                          "\"GM0034\"}"),
              Optional(17.0));
  // Nothing is left to send.
  CommandResult again = Agent(kProvider, {});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out, "");
}

TEST_F(CollectorIntegrationTest, MissingClientCertificateIsRefused) {
  auto stub =
      api::v1::CatalogueService::NewStub(region_.Channel(collector_->grpc_port(), /*urn=*/""));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  api::v1::GetCatalogueResponse response;
  grpc::Status status = stub->GetCatalogue(&context, api::v1::GetCatalogueRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_FALSE(response.has_catalogue());
}

TEST_F(CollectorIntegrationTest, CatalogueIsServedToAgents) {
  auto stub =
      api::v1::CatalogueService::NewStub(region_.Channel(collector_->grpc_port(), kProvider));
  grpc::ClientContext context;
  api::v1::GetCatalogueResponse response;
  ASSERT_TRUE(stub->GetCatalogue(&context, api::v1::GetCatalogueRequest(), &response).ok());
  const catalogue::v1::Catalogue& catalogue = response.catalogue();
  EXPECT_EQ(catalogue.version(), "2026.3");
  std::set<std::string> codes;
  for (const auto& indicator : catalogue.indicators()) codes.insert(indicator.code());
  EXPECT_THAT(codes, ::testing::IsSupersetOf({"wachtenden", "plaatsen_bezet", "fte_bezet",
                                              "omzet_jeugdzorg", "verwijzingen_huisarts"}));
  EXPECT_EQ(catalogue.care_forms_size(), 9);
}

TEST_F(CollectorIntegrationTest, HealthServiceReportsServing) {
  grpc::GenericStub stub(region_.Channel(collector_->grpc_port(), kProvider));
  // An empty HealthCheckRequest asks for the server as a whole.
  std::string reply;
  grpc::Status result = CallRaw(stub, kHealthCheckMethod, "", &reply, absl::Seconds(10));
  ASSERT_TRUE(result.ok()) << result.error_message();
  EXPECT_EQ(reply, kHealthServing);
}

TEST_F(CollectorIntegrationTest, PromtoolAcceptsLiveMetrics) {
  ASSERT_EQ(Agent(kProvider, {DataFile("good.csv", kGoodCsv)}).exit_code, 0);
  ASSERT_EQ(Agent(kMunicipality, {DataFile("gemeente.json",
                                           R"({"observations": [
  {"period_start": "2026-09-01", "period_end": "2026-09-30", "indicator": "verwijzingen_huisarts", "value": 31},
  {"period_start": "2026-09-01", "period_end": "2026-09-30", "indicator": "verwijzingen_rechter", "value": 2}]})")})
                .exit_code,
            0);
  const std::string metrics = Metrics();
  EXPECT_THAT(SampleValue(metrics,
                          "jeugdzorg_region_referrals{region=\"flevoland\","
                          "route=\"medical\"}"),
              Optional(31.0));
  auto promtool = RunCommand({"/usr/bin/promtool", "check", "metrics"}, absl::Seconds(60), metrics);
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  EXPECT_EQ(promtool->exit_code, 0) << promtool->out << promtool->err;
  EXPECT_EQ(promtool->out + promtool->err, "");
}

// Every validation rule, as a provider meets it: one failing row and the exact message line.
struct RuleCase {
  const char* name;
  const char* reporter;
  const char* rows;
  const char* message;
};

class ValidationRuleTest : public CollectorIntegrationTest,
                           public ::testing::WithParamInterface<RuleCase> {};

TEST_P(ValidationRuleTest, FailingRowIsRefusedWithItsMessage) {
  const RuleCase& rule = GetParam();
  CommandResult result = Agent(
      rule.reporter,
      {DataFile("data.csv",
                absl::StrCat("period_start,period_end,care_form,municipality,indicator,value\n",
                             rule.rows))});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("data.csv: rejected: "));
  EXPECT_THAT(result.out, HasSubstr(absl::StrCat("  ", rule.message)));
  EXPECT_EQ(Status().observations_stored(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ValidationRuleTest,
    ::testing::Values(
        RuleCase{"UnknownIndicator", kProvider, "2026-09-01,2026-09-30,verblijf,,wachtlijst,3\n",
                 "row 2, column indicator: unknown indicator 'wachtlijst' (did you mean "
                 "'wachtenden'?); catalogue 2026.3 lists the codes"},
        RuleCase{"UnknownCareForm", kProvider, "2026-09-01,2026-09-30,zorg,,wachtenden,3\n",
                 "row 2, column care_form: unknown care form 'zorg'; known: verblijf, "
                 "crisishulp, hoogspecialistische_jeugd_ggz, jeugdbescherming, "
                 "jeugdreclassering, kortdurend_verblijf, dagbehandeling, "
                 "multidisciplinair_complex, multidisciplinair_ggz_complex"},
        RuleCase{"ReporterKindNotAllowed", kProvider,
                 "2026-09-01,2026-09-30,,,verwijzingen_huisarts,3\n",
                 "row 2, column indicator: a provider may not report verwijzingen_huisarts "
                 "(reported by: municipality)"},
        RuleCase{"MunicipalityKindNotAllowed", kMunicipality,
                 "2026-09-01,2026-09-30,verblijf,,wachtenden,3\n",
                 "row 2, column indicator: a municipality may not report wachtenden (reported "
                 "by: provider, certified_institution)"},
        RuleCase{"BelowMinimum", kProvider, "2026-09-01,2026-09-30,verblijf,,wachtenden,-3\n",
                 "row 2, column value: -3 is below the minimum 0 for wachtenden"},
        RuleCase{"AboveMaximum", kProvider, "2026-09-01,2026-09-30,,,verzuim_ratio,1.5\n",
                 "row 2, column value: 1.5 is above the maximum 1 for verzuim_ratio"},
        RuleCase{"NotANumber", kProvider, "2026-09-01,2026-09-30,verblijf,,wachtenden,NaN\n",
                 "row 2, column value: NaN is not a finite number"},
        RuleCase{"Infinite", kProvider, "2026-09-01,2026-09-30,verblijf,,wachtenden,1e400\n",
                 "row 2, column value: 1e400 is too large"},
        RuleCase{"EndBeforeStart", kProvider, "2026-09-30,2026-09-01,verblijf,,wachtenden,3\n",
                 "row 2, column period_end: period ends 2026-09-01, before it starts "
                 "2026-09-30"},
        RuleCase{"PeriodInTheFuture", kProvider, "2099-01-01,2099-01-31,verblijf,,wachtenden,3\n",
                 "row 2, column period_start: period starts 2099-01-01, after today "},
        RuleCase{"OccupiedAboveOperational", kProvider,
                 "2026-09-07,2026-09-13,verblijf,,plaatsen_operationeel,20\n"
                 "2026-09-07,2026-09-13,verblijf,,plaatsen_bezet,21\n",
                 "row 3, column value: plaatsen_bezet 21 is above plaatsen_operationeel 20 for "
                 "the same care form and period"},
        RuleCase{"MalformedMunicipalityCode", kProvider,
                 "2026-09-01,2026-09-30,verblijf,GM34,wachtenden,3\n",
                 "row 2, column municipality: 'GM34' is not a CBS municipality code: expected "
                 "GM followed by 4 digits"},
        RuleCase{"NotAWholeNumber", kProvider, "2026-09-01,2026-09-30,verblijf,,wachtenden,2.5\n",
                 "row 2, column value: 2.5 is not a whole number; wachtenden is a count"},
        RuleCase{"MisalignedPeriod", kProvider, "2026-09-03,2026-10-11,verblijf,,wachtenden,3\n",
                 "row 2, column period_end: period 2026-09-03 to 2026-10-11 is not a whole day, "
                 "ISO week (Monday to Sunday), month, quarter or year"}),
    [](const ::testing::TestParamInfo<RuleCase>& param) { return param.param.name; });

TEST_F(CollectorIntegrationTest, CollectorValidatesWhatAnAgentDidNotCheck) {
  api::v1::SubmitRequest request;
  request.set_submission_id("unchecked-1");
  *request.add_observations() =
      MakeObservation("wachtenden", "verblijf", "2026-09-01", "2026-09-30", 3, "GM0363");
  *request.add_observations() =
      MakeObservation("plaatsen_operationeel", "verblijf", "2026-09-07", "2026-09-13", 5);
  *request.add_observations() =
      MakeObservation("plaatsen_bezet", "verblijf", "2026-09-07", "2026-09-13", 6);
  *request.add_observations() =
      MakeObservation("wachtenden", "verblijf", "2026-09-01", "2026-09-30",
                      std::numeric_limits<double>::quiet_NaN());
  api::v1::SubmitResponse response;
  grpc::Status status = Submit(kProvider, request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "3 of the submission's observations are invalid; first: "
            "column observations[0].municipality: municipality GM0363 is not part of region "
            "flevoland on 2026-09-30");
  auto received = GetRejection(FromGrpcStatus(status));
  ASSERT_TRUE(received.has_value());
  const api::v1::SubmissionRejection& rejection = *received;
  ASSERT_EQ(rejection.problems_size(), 3);
  EXPECT_EQ(rejection.problems(1).source_column(), "observations[2].value");
  EXPECT_EQ(rejection.problems(1).message(),
            "plaatsen_bezet 6 is above plaatsen_operationeel 5 for the same care form and "
            "period");
  EXPECT_EQ(rejection.problems(2).source_column(), "observations[3].value");
  EXPECT_EQ(rejection.problems(2).message(), "value is not a finite number");
  EXPECT_THAT(SampleValue(Metrics(), "vroeg_submissions_rejected_total{reason=\"invalid\"}"),
              Optional(1.0));
}

}  // namespace
}  // namespace vroeg::testing
