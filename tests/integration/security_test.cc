// The collector's certificate checks, revocation, rotation and limits, against the real
// vroeg-collector on loopback. Good certificates come from the real `vroegctl pki`; bad ones are
// made with OpenSSL directly (tests/support/certificate_factory.h).

#include <signal.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/certificate.h"
#include "common/grpc_status.h"
#include "common/retry_policy.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/support/certificate_factory.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_region.h"
#include "vroeg/api/v1/status.grpc.pb.h"
#include "vroeg/api/v1/submission.grpc.pb.h"

namespace vroeg::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

constexpr char kProvider[] = "urn:vroeg:provider:98990012";

grpc::Status GetStatus(const std::shared_ptr<grpc::Channel>& channel,
                       api::v1::GetStatusResponse* response = nullptr) {
  auto stub = api::v1::StatusService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  api::v1::GetStatusResponse ignored;
  return stub->GetStatus(&context, {}, response != nullptr ? response : &ignored);
}

// The whole month `m` (1..9) of 2026, as a period's end date.
std::string MonthEnd(int m) {
  static constexpr int kLastDay[] = {31, 28, 31, 30, 31, 30, 31, 31, 30};
  return absl::StrCat("2026-0", m, "-", kLastDay[m - 1]);
}

api::v1::SubmitRequest Submission(const std::string& id, int observations = 1) {
  api::v1::SubmitRequest request;
  request.set_submission_id(id);
  for (int i = 0; i < observations; ++i) {
    auto* o = request.add_observations();
    o->set_indicator("wachtenden");
    o->set_care_form("verblijf");
    o->set_municipality("GM0034");
    o->mutable_period()->set_start(absl::StrCat("2026-0", 1 + i % 9, "-01"));
    o->mutable_period()->set_end(MonthEnd(1 + i % 9));
    o->set_value(3 + i);
  }
  return request;
}

grpc::Status Submit(const std::shared_ptr<grpc::Channel>& channel,
                    const api::v1::SubmitRequest& request) {
  auto stub = api::v1::SubmissionService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  api::v1::SubmitResponse response;
  return stub->Submit(&context, request, &response);
}

class SecurityTest : public ::testing::Test {
 protected:
  // Starts the collector with `extra_tls` added to its tls: settings and `extra` appended.
  void StartCollector(const std::string& extra_tls = "", const std::string& extra = "") {
    const std::string path = region_.CollectorConfig();
    std::string config = ReadWholeFile(path);
    config =
        absl::StrReplaceAll(config, {{"ca_certificate: ca/ca.crt}",
                                      absl::StrCat("ca_certificate: ca/ca.crt", extra_tls, "}")}});
    config += extra;
    WriteFile(path, config);
    auto collector = RunningCollector::Start(path, region_.dir() + "/collector.log");
    ASSERT_TRUE(collector.ok()) << collector.status();
    collector_ = *std::move(collector);
  }

  double Metric(const std::string& series) {
    auto metrics = collector_->Metrics();
    EXPECT_TRUE(metrics.ok()) << metrics.status();
    return SampleValue(metrics.ok() ? *metrics : "", series).value_or(-1);
  }

  std::string Vroegctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {VroegctlBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = RunCommand(argv);
    EXPECT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code, 0) << result->out << result->err;
    return result.ok() ? result->out + result->err : "";
  }

  TestRegion region_;
  std::unique_ptr<RunningCollector> collector_;
};

struct BadCertificate {
  std::string name;
  CertificateSpec spec;
  std::string reason;
  std::string message;
};

class BadCertificateTest : public SecurityTest,
                           public ::testing::WithParamInterface<BadCertificate> {};

TEST_P(BadCertificateTest, IsRefusedAtTheHandshakeAndTheReasonLogged) {
  StartCollector();
  const BadCertificate& bad = GetParam();
  const std::string stem = region_.dir() + "/bad";
  ASSERT_TRUE(WriteCertificate(region_.ca_dir(), bad.spec, stem).ok());

  grpc::Status status = GetStatus(region_.ChannelForStem(collector_->grpc_port(), stem));
  // The client sees only that the connection failed; the reason is the collector's to log.
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  auto line = collector_->process().WaitForLogLine("event=client_certificate_refused");
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_THAT(*line, HasSubstr("stage=handshake"));
  EXPECT_EQ(LogValue(*line, "reason"), bad.reason);
  EXPECT_THAT(*line, HasSubstr(bad.message));
  EXPECT_GE(Metric(absl::StrCat("vroeg_client_certificates_refused_total{reason=\"", bad.reason,
                                "\",stage=\"handshake\"}")),
            1);
}

CertificateSpec Spec(std::function<void(CertificateSpec&)> change) {
  CertificateSpec spec;
  spec.uris = {kProvider};
  change(spec);
  return spec;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadCertificateTest,
    ::testing::Values(
        BadCertificate{"Expired", Spec([](CertificateSpec& s) {
                         s.valid_from = -absl::Hours(48);
                         s.valid_until = -absl::Hours(24);
                       }),
                       "expired", "expired on"},
        BadCertificate{"NotYetValid", Spec([](CertificateSpec& s) {
                         s.valid_from = absl::Hours(24);
                         s.valid_until = absl::Hours(48);
                       }),
                       "not_yet_valid", "check the clocks of both machines"},
        BadCertificate{"NoSubjectAltName", Spec([](CertificateSpec& s) { s.uris.clear(); }),
                       "no_identity", "carries no urn:vroeg:<kind>:<id> URI SAN"},
        BadCertificate{"TwoIdentities", Spec([](CertificateSpec& s) {
                         s.uris.push_back("urn:vroeg:provider:98990013");
                       }),
                       "several_identities", "names more than one reporter"},
        BadCertificate{"MalformedIdentity",
                       Spec([](CertificateSpec& s) { s.uris = {"urn:vroeg:provider:123"}; }),
                       "malformed_identity", "is not an AGB code"},
        BadCertificate{"WildcardName",
                       Spec([](CertificateSpec& s) { s.dns_names = {"*.example.nl"}; }), "wildcard",
                       "carries the wildcard name '*.example.nl'"},
        BadCertificate{"ServerAuthOnly",
                       Spec([](CertificateSpec& s) { s.extended_key_usage = "serverAuth"; }),
                       "key_usage", "is not meant for client authentication"},
        BadCertificate{"NoExtendedKeyUsage",
                       Spec([](CertificateSpec& s) { s.extended_key_usage = ""; }), "key_usage",
                       "needs extendedKeyUsage clientAuth"},
        BadCertificate{"KeyUsageWithoutSignature",
                       Spec([](CertificateSpec& s) { s.key_usage = "critical,keyEncipherment"; }),
                       "key_usage", "client authentication"},
        BadCertificate{"ACaCertificate", Spec([](CertificateSpec& s) {
                         s.basic_constraints = "critical,CA:TRUE";
                         s.key_usage = "critical,digitalSignature,keyCertSign";
                       }),
                       "key_usage", "client"}),
    [](const ::testing::TestParamInfo<BadCertificate>& param_info) {
      return param_info.param.name;
    });

TEST_F(SecurityTest, ACertificateFromAnotherCaIsRefusedAtTheHandshake) {
  StartCollector();
  const std::string other_ca = region_.dir() + "/other-ca";
  Vroegctl({"pki", "init", "--dir", other_ca, "--region", "utrecht"});
  const std::string stem = region_.dir() + "/foreign";
  ASSERT_TRUE(WriteCertificate(other_ca, Spec([](CertificateSpec&) {}), stem).ok());
  EXPECT_EQ(GetStatus(region_.ChannelForStem(collector_->grpc_port(), stem)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  auto line = collector_->process().WaitForLogLine("event=client_certificate_refused");
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(LogValue(*line, "reason"), "unknown_ca");
  EXPECT_THAT(*line, HasSubstr("is not issued by this region's CA"));
}

TEST_F(SecurityTest, AGoodCertificateIsAdmittedAndEveryCallAudited) {
  StartCollector();
  auto channel = region_.Channel(collector_->grpc_port(), kProvider);
  api::v1::GetStatusResponse status;
  grpc::Status admitted = GetStatus(channel, &status);
  ASSERT_TRUE(admitted.ok()) << admitted.error_message() << "\n" << collector_->process().Log();
  EXPECT_EQ(status.caller(), kProvider);
  grpc::Status submitted = Submit(channel, Submission("sec-1"));
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  // Written before the acknowledgement: it is there the moment the answer is.
  const std::string audit = ReadWholeFile(region_.dir() + "/collector.audit.log");
  EXPECT_THAT(audit, HasSubstr("\"action\":\"submit\""));
  EXPECT_THAT(audit, HasSubstr("\"object\":\"sec-1\""));
  EXPECT_THAT(audit, HasSubstr(kProvider));

  grpc::Status denied = Submit(region_.Channel(collector_->grpc_port(), "urn:vroeg:supervisor:nza"),
                               Submission("sec-2"));
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(denied.error_message(),
            "urn:vroeg:supervisor:nza is not allowed this: a supervisor certificate reads exports "
            "and submits nothing (rule supervisor_submits)");
  EXPECT_EQ(Metric("vroeg_authorization_refusals_total{rule=\"supervisor_submits\"}"), 1);

  const std::string verified =
      Vroegctl({"audit", "verify", "--file", region_.dir() + "/collector.audit.log"});
  EXPECT_THAT(verified, HasSubstr("ok: 3 entries"));
}

TEST_F(SecurityTest, ARevokedCertificateStopsWorkingWithoutARestart) {
  StartCollector(", crl: ca/crl.pem, reload_interval_seconds: 1");
  auto channel = region_.Channel(collector_->grpc_port(), kProvider);
  ASSERT_TRUE(GetStatus(channel).ok());

  Vroegctl({"pki", "revoke", "--dir", region_.ca_dir(), "--identity", kProvider, "--reason",
            "keyCompromise"});
  auto reloaded = collector_->process().WaitForLogLine("revoked=1");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();

  // The connection made before the revocation is still open: its next call is refused.
  grpc::Status on_open_connection = GetStatus(channel);
  EXPECT_EQ(on_open_connection.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(on_open_connection.error_message(), HasSubstr("is revoked"));
  EXPECT_EQ(Metric("vroeg_client_certificates_refused_total{reason=\"revoked\",stage=\"call\"}"),
            1);
  // A new connection does not get past the handshake.
  const std::string stem = region_.Issue(kProvider);
  EXPECT_EQ(GetStatus(region_.ChannelForStem(collector_->grpc_port(), stem)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_GE(
      Metric("vroeg_client_certificates_refused_total{reason=\"revoked\",stage=\"handshake\"}"), 1);
  // Everyone else is unaffected.
  EXPECT_TRUE(
      GetStatus(region_.Channel(collector_->grpc_port(), "urn:vroeg:provider:98990013")).ok());
}

TEST_F(SecurityTest, SighupReloadsTheCrlAtOnce) {
  StartCollector(", crl: ca/crl.pem, reload_interval_seconds: 3600");
  region_.Issue(kProvider);
  Vroegctl({"pki", "revoke", "--dir", region_.ca_dir(), "--identity", kProvider});
  ASSERT_EQ(::kill(collector_->process().pid(), SIGHUP), 0);
  auto reloaded = collector_->process().WaitForLogLine("revoked=1", absl::Seconds(10));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ(GetStatus(region_.Channel(collector_->grpc_port(), kProvider)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SecurityTest, ABrokenCrlLeavesTheTrustInForce) {
  StartCollector(", crl: ca/crl.pem, reload_interval_seconds: 1");
  WriteFile(region_.ca_dir() + "/crl.pem",
            "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n");
  auto failed = collector_->process().WaitForLogLine("event=tls_reload_failed");
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_THAT(*failed, HasSubstr("tls.crl"));
  EXPECT_TRUE(GetStatus(region_.Channel(collector_->grpc_port(), kProvider)).ok());
  EXPECT_GE(Metric("vroeg_tls_reload_failures_total"), 1);
}

TEST_F(SecurityTest, TheServerCertificateIsRotatedWithoutARestart) {
  StartCollector(", reload_interval_seconds: 1");
  auto before = ReadCertificateFile(region_.ca_dir() + "/server.crt");
  ASSERT_TRUE(before.ok());
  auto channel = region_.Channel(collector_->grpc_port(), kProvider);
  ASSERT_TRUE(Submit(channel, Submission("rot-1")).ok());

  Vroegctl({"pki", "issue", "--dir", region_.ca_dir(), "--server", "--ip", "127.0.0.1", "--dns",
            "localhost", "--force"});
  auto after = ReadCertificateFile(region_.ca_dir() + "/server.crt");
  ASSERT_TRUE(after.ok());
  ASSERT_NE(before->front().serial_hex, after->front().serial_hex);

  // New handshakes get the new certificate once the watcher has seen it; the open connection
  // keeps working meanwhile.
  std::string served;
  for (int i = 0; i < 100 && served != after->front().serial_hex; ++i) {
    auto fresh = region_.Channel(collector_->grpc_port(), kProvider);
    grpc::ClientContext context;
    api::v1::GetStatusResponse response;
    auto stub = api::v1::StatusService::NewStub(fresh);
    ASSERT_TRUE(stub->GetStatus(&context, {}, &response).ok());
    auto pem = context.auth_context()->FindPropertyValues("x509_pem_cert");
    ASSERT_FALSE(pem.empty());
    auto info = ParseCertificatePem(absl::string_view(pem.front().data(), pem.front().size()));
    ASSERT_TRUE(info.ok());
    served = info->serial_hex;
    if (served != after->front().serial_hex) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(served, after->front().serial_hex);
  EXPECT_TRUE(Submit(channel, Submission("rot-2")).ok());
}

TEST_F(SecurityTest, TheCollectorWarnsAboutItsOwnCertificateExpiring) {
  Vroegctl({"pki", "issue", "--dir", region_.ca_dir(), "--server", "--ip", "127.0.0.1", "--dns",
            "localhost", "--days", "10", "--force"});
  StartCollector();
  auto warned = collector_->process().WaitForLogLine("event=own_certificate_expiring");
  ASSERT_TRUE(warned.ok()) << warned.status();
  EXPECT_THAT(*warned, HasSubstr("days_left=9"));
  auto own = ReadCertificateFile(region_.ca_dir() + "/server.crt");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(Metric("vroeg_tls_certificate_expiry_timestamp_seconds"),
            absl::ToDoubleSeconds(own->front().not_after - absl::UnixEpoch()));
}

TEST_F(SecurityTest, LimitsAreRefusedWithResourceExhausted) {
  StartCollector("",
                 "limits: {max_message_bytes: 4096, max_observations_per_submission: 5, "
                 "submissions_per_minute: 60, burst: 2}\n");
  auto channel = region_.Channel(collector_->grpc_port(), kProvider);

  grpc::Status too_many = Submit(channel, Submission("lim-1", 6));
  EXPECT_EQ(too_many.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(too_many.error_message(),
            "submission has 6 observations; at most 5 are accepted at once: split it into "
            "several");
  EXPECT_FALSE(RetryAfterHint(FromGrpcStatus(too_many)).has_value());

  api::v1::SubmitRequest huge = Submission("lim-2");
  huge.mutable_observations(0)->set_care_form(std::string(8192, 'x'));
  grpc::Status too_big = Submit(channel, huge);
  EXPECT_EQ(too_big.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(too_big.error_message(), HasSubstr("larger than max"));

  // The refusal above used up the burst; the next one is rate limited with a hint.
  ASSERT_TRUE(Submit(channel, Submission("lim-3")).ok());
  grpc::Status limited = Submit(channel, Submission("lim-4"));
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(limited.error_message(), HasSubstr("per minute; retry after"));
  EXPECT_THAT(RetryAfterHint(FromGrpcStatus(limited)),
              Optional(::testing::Gt(absl::ZeroDuration())));
}

TEST_F(SecurityTest, AnAgentWaitsOutTheRateLimitAndDeliversEverything) {
  StartCollector("", "limits: {submissions_per_minute: 120, burst: 1}\n");
  const std::string config = region_.AgentConfig(kProvider, collector_->grpc_port());
  std::vector<std::string> files;
  for (int i = 1; i <= 4; ++i) {
    const std::string path = absl::StrCat(region_.dir(), "/file-", i, ".csv");
    WriteFile(path, absl::StrCat("period_start,period_end,care_form,municipality,indicator,value\n"
                                 "2026-0",
                                 i, "-01,", MonthEnd(i), ",verblijf,GM0034,wachtenden,", i, "\n"));
    files.push_back(path);
  }
  std::vector<std::string> argv = {AgentBinary(), "submit", "--config", config, "--wait", "60"};
  argv.insert(argv.end(), files.begin(), files.end());
  auto result = RunCommand(argv);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->out << result->err;
  EXPECT_GE(Metric("vroeg_submissions_rejected_total{reason=\"limit\"}"), 1);
  EXPECT_EQ(Metric("vroeg_submissions_accepted_total"), 4);
}

TEST_F(SecurityTest, ARegionForwardsOnlyForItsOwnReporters) {
  StartCollector("",
                 "member_regions:\n"
                 "  - code: gooi-en-vechtstreek\n"
                 "    municipalities: [{code: GM0406}, {code: GM0402}]\n");
  auto gooi = region_.Channel(collector_->grpc_port(), "urn:vroeg:region:gooi-en-vechtstreek");
  api::v1::SubmitRequest own = Submission("fwd-1");
  own.set_reporter("urn:vroeg:provider:98990012");
  own.mutable_observations(0)->set_municipality("GM0406");
  grpc::Status forwarded = Submit(gooi, own);
  EXPECT_TRUE(forwarded.ok()) << forwarded.error_message();

  api::v1::SubmitRequest other = Submission("fwd-2");
  other.set_reporter("urn:vroeg:provider:98990012");
  grpc::Status outside = Submit(gooi, other);
  EXPECT_EQ(outside.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(outside.error_message(),
            "urn:vroeg:region:gooi-en-vechtstreek is not allowed this: observation 1: "
            "municipality GM0034 is not part of region gooi-en-vechtstreek (rule "
            "region_outside_own)");

  grpc::Status not_member =
      Submit(region_.Channel(collector_->grpc_port(), "urn:vroeg:region:utrecht"), own);
  EXPECT_EQ(not_member.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(not_member.error_message(), HasSubstr("(rule region_not_member)"));
  EXPECT_EQ(Metric("vroeg_authorization_refusals_total{rule=\"region_outside_own\"}"), 1);
  EXPECT_EQ(Metric("vroeg_authorization_refusals_total{rule=\"region_not_member\"}"), 1);
}

TEST_F(SecurityTest, OldTlsVersionsAndWeakCiphersAreRefused) {
  if (std::system("command -v openssl > /dev/null") != 0) GTEST_SKIP() << "no openssl CLI";
  StartCollector();
  const std::string stem = region_.Issue(kProvider);
  auto handshake = [&](const std::string& options) {
    auto result = RunCommand(
        {"/bin/sh", "-c",
         absl::StrCat("openssl s_client -connect 127.0.0.1:", collector_->grpc_port(), " -CAfile ",
                      region_.ca_dir(), "/ca.crt -cert ", stem, ".crt -key ", stem,
                      ".key -alpn h2 ", options, " < /dev/null 2>&1")});
    EXPECT_TRUE(result.ok());
    return result.ok() ? result->out + result->err : "";
  };
  EXPECT_THAT(handshake(""), HasSubstr("New, TLSv1.3, Cipher is TLS_"));
  EXPECT_THAT(handshake("-tls1_2"), HasSubstr("New, TLSv1.2, Cipher is ECDHE-"));
  EXPECT_THAT(handshake("-tls1_1"), HasSubstr("Cipher is (NONE)"));
  EXPECT_THAT(handshake("-tls1"), HasSubstr("Cipher is (NONE)"));
  EXPECT_THAT(handshake("-tls1_2 -cipher AES128-SHA"), HasSubstr("Cipher is (NONE)"));
  EXPECT_THAT(handshake("-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA"), HasSubstr("Cipher is (NONE)"));
}

}  // namespace
}  // namespace vroeg::testing
