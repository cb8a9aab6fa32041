// The collector's /metrics with metrics_security set: HTTPS only (TLS 1.2 or newer), a password
// required, and a real Prometheus able to scrape it with the region's CA and that password.

#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_get.h"
#include "tests/support/https_get.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_api.h"
#include "tests/support/test_region.h"

namespace vroeg::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUser[] = "prometheus";
constexpr char kPassword[] = "secret";
// printf %s 'secret' | sha256sum | cut -d' ' -f1
constexpr char kPasswordDigest[] =
    "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";

// The full path of `program` on PATH, or empty.
std::string FindProgram(const std::string& program) {
  auto result = RunCommand({"/bin/sh", "-c", absl::StrCat("command -v ", program)});
  if (!result.ok() || result->exit_code != 0) return "";
  return std::string(absl::StripAsciiWhitespace(result->out));
}

class MetricsSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(region_.dir() + "/metrics.sha256", absl::StrCat(kPasswordDigest, "\n"), 0600);
    config_ = region_.CollectorConfig();
    std::ofstream(config_, std::ios::app) << R"(metrics_security:
  tls: {certificate: ca/server.crt, private_key: ca/server.key}
  basic_auth: {username: prometheus, password_file: metrics.sha256}
)";
    auto collector = RunningCollector::Start(config_, region_.dir() + "/collector.log");
    ASSERT_TRUE(collector.ok()) << collector.status();
    collector_ = *std::move(collector);
  }

  absl::StatusOr<HttpResponse> Get(const std::string& path, const BasicAuth& auth) {
    return HttpsGet(collector_->metrics_port(), path, ca_file(), auth);
  }

  std::string ca_file() const { return region_.ca_dir() + "/ca.crt"; }

  TestRegion region_;
  std::string config_;
  std::unique_ptr<RunningCollector> collector_;
};

TEST_F(MetricsSecurityTest, ListeningLineGivesTheHttpsAddress) {
  auto line = collector_->process().WaitForLogLine("event=listening");
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(LogValue(*line, "metrics"),
            absl::StrCat("https://127.0.0.1:", collector_->metrics_port(), "/metrics"));
}

TEST_F(MetricsSecurityTest, RightCredentialsGetTheMetrics) {
  auto response = Get("/metrics", {kUser, kPassword});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_THAT(response->body, HasSubstr("vroeg_build_info{"));
}

TEST_F(MetricsSecurityTest, MissingOrWrongCredentialsAreRefused) {
  for (const BasicAuth& auth :
       {BasicAuth{}, BasicAuth{kUser, "Secret"}, BasicAuth{kUser, ""},
        BasicAuth{"grafana", kPassword}, BasicAuth{kUser, kPasswordDigest}}) {
    auto response = Get("/metrics", auth);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 401) << auth.username << ":" << auth.password;
    EXPECT_THAT(response->head, HasSubstr("WWW-Authenticate: Basic realm=\"vroeg\""));
    EXPECT_THAT(response->body, Not(HasSubstr("vroeg_")));
  }
}

TEST_F(MetricsSecurityTest, OtherPathsAreNotFound) {
  auto response = Get("/", {kUser, kPassword});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 404);
  // Strangers learn nothing, not even which paths exist.
  response = Get("/", {});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 401);
}

TEST_F(MetricsSecurityTest, PlainHttpIsNotServed) {
  auto response = HttpGet(collector_->metrics_port(), "/metrics");
  EXPECT_FALSE(response.ok()) << response->status << " " << response->body;
}

TEST_F(MetricsSecurityTest, TlsOlderThan12IsRefused) {
  if (FindProgram("openssl").empty()) GTEST_SKIP() << "no openssl CLI";
  auto handshake = [&](const std::string& options) {
    auto result =
        RunCommand({"/bin/sh", "-c",
                    absl::StrCat("openssl s_client -connect 127.0.0.1:", collector_->metrics_port(),
                                 " -CAfile ", ca_file(), " ", options, " < /dev/null 2>&1")});
    EXPECT_TRUE(result.ok());
    return result.ok() ? result->out + result->err : "";
  };
  EXPECT_THAT(handshake("-tls1_3"), HasSubstr("New, TLSv1.3, Cipher is TLS_"));
  EXPECT_THAT(handshake("-tls1_2"), HasSubstr("New, TLSv1.2, Cipher is ECDHE-"));
  // Security level 0 lets this client offer TLS 1.1, so that the refusal is the server's.
  EXPECT_THAT(handshake("-tls1_1 -cipher DEFAULT@SECLEVEL=0"), HasSubstr("Cipher is (NONE)"));
  EXPECT_THAT(handshake("-tls1 -cipher DEFAULT@SECLEVEL=0"), HasSubstr("Cipher is (NONE)"));
}

TEST_F(MetricsSecurityTest, PrometheusScrapesWithTheCaAndThePassword) {
  const std::string prometheus = FindProgram("prometheus");
  if (prometheus.empty()) GTEST_SKIP() << "no prometheus binary";
  auto port = FreeLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.status();
  // Prometheus reads the password itself, not its digest.
  WriteFile(region_.dir() + "/prometheus.password", kPassword, 0600);
  const std::string target = absl::StrCat("127.0.0.1:", collector_->metrics_port());
  const std::string job = absl::StrReplaceAll(
      R"(
  - job_name: JOB
    scheme: https
    tls_config: {ca_file: CA}
    static_configs: [{targets: ['TARGET']}])",
      {{"CA", ca_file()}, {"TARGET", target}});
  WriteFile(region_.dir() + "/prometheus.yml",
            absl::StrCat("global: {scrape_interval: 1s}\nscrape_configs:",
                         absl::StrReplaceAll(job, {{"JOB", "with-password"}}),
                         "\n    basic_auth: {username: prometheus, password_file: ", region_.dir(),
                         "/prometheus.password}",
                         absl::StrReplaceAll(job, {{"JOB", "without-password"}}), "\n"));
  auto server = BackgroundProcess::Start(
      {prometheus, absl::StrCat("--config.file=", region_.dir(), "/prometheus.yml"),
       absl::StrCat("--storage.tsdb.path=", region_.dir(), "/prometheus-data"),
       absl::StrCat("--web.listen-address=127.0.0.1:", *port)},
      region_.dir() + "/prometheus.log");
  ASSERT_TRUE(server.ok()) << server.status();

  // `up` is 1 only for a scrape that got a 200 and parsed.
  auto await_up = [&](const std::string& job_name) -> std::optional<double> {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      auto samples = PrometheusQuery(*port, absl::StrCat("up{job=\"", job_name, "\"}"));
      if (samples.ok() && !samples->empty()) return samples->front().value;
      absl::SleepFor(absl::Milliseconds(500));
    }
    return std::nullopt;
  };
  EXPECT_EQ(await_up("with-password"), 1) << (*server)->Log();
  EXPECT_EQ(await_up("without-password"), 0) << (*server)->Log();
  auto build_info = PrometheusQuery(*port, "vroeg_build_info");
  ASSERT_TRUE(build_info.ok()) << build_info.status();
  EXPECT_EQ(build_info->size(), 1u);
}

TEST(MetricsSecurityConfigTest, PublicMetricsAddressWithoutSecurityIsRefusedAtStart) {
  TestRegion region;
  const std::string config = region.CollectorConfig();
  std::string text = ReadWholeFile(config);
  text = absl::StrReplaceAll(text, {{"metrics_listen: 127.0.0.1:0", "metrics_listen: 0.0.0.0:0"}});
  WriteFile(config, text);
  auto result = RunCommand({CollectorBinary(), "--config", config});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NE(result->exit_code, 0);
  EXPECT_THAT(result->err,
              HasSubstr("metrics_listen: 0.0.0.0:0 is reachable from other machines, and metrics "
                        "name reporters and their figures; set metrics_security.tls and "
                        "metrics_security.basic_auth, or bind 127.0.0.1 and scrape locally"));
}

}  // namespace
}  // namespace vroeg::testing
