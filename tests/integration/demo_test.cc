// Runs the README's demo command as a newcomer would and checks that what it promises is
// there: a collector holding the Flevoland data and a real Prometheus scraping it.
#include <csignal>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_get.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_api.h"
#include "tests/support/test_region.h"

namespace vroeg::testing {
namespace {

using ::testing::HasSubstr;

// Polls `query` until it returns at least one sample, for at most `timeout`.
absl::StatusOr<std::vector<PromSample>> AwaitSamples(int port, const std::string& query,
                                                     absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    auto samples = PrometheusQuery(port, query);
    if (samples.ok() && !samples->empty()) return samples;
    if (absl::Now() > deadline) {
      return samples.ok() ? absl::DeadlineExceededError("no samples for " + query)
                          : samples.status();
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
}

TEST(DemoTest, DemoServesTheRegionAndPrometheusScrapesIt) {
  TempDir dir;
  auto grpc = FreeLoopbackPort(), metrics = FreeLoopbackPort(), prometheus = FreeLoopbackPort();
  ASSERT_TRUE(grpc.ok() && metrics.ok() && prometheus.ok());
  auto demo =
      BackgroundProcess::Start({"/bin/bash", SourceDir() + "/scripts/demo.sh"}, dir.Sub("demo.log"),
                               {absl::StrCat("VROEG_BUILD_DIR=", VROEG_BINARY_DIR_PATH),
                                absl::StrCat("VROEG_DEMO_DIR=", dir.Sub("state")),
                                "VROEG_DEMO_MONTHS=3", absl::StrCat("VROEG_DEMO_GRPC_PORT=", *grpc),
                                absl::StrCat("VROEG_DEMO_METRICS_PORT=", *metrics),
                                absl::StrCat("VROEG_DEMO_PROMETHEUS_PORT=", *prometheus)});
  ASSERT_TRUE(demo.ok()) << demo.status();

  auto ready = (*demo)->WaitForOutputLine("prometheus: ", absl::Minutes(10));
  ASSERT_TRUE(ready.ok()) << ready.status() << "\n" << (*demo)->Output();
  EXPECT_EQ(*ready, absl::StrCat("prometheus: http://127.0.0.1:", *prometheus));
  EXPECT_THAT((*demo)->Output(),
              HasSubstr(absl::StrCat("metrics: http://127.0.0.1:", *metrics, "/metrics\n")));
  EXPECT_THAT((*demo)->Log(), HasSubstr("files accepted"));

  auto up = AwaitSamples(*prometheus, "up{job=\"vroeg-collector\"} == 1", absl::Seconds(60));
  ASSERT_TRUE(up.ok()) << up.status();
  auto occupancy = AwaitSamples(
      *prometheus, "jeugdzorg_region_occupancy_ratio{care_form=\"verblijf\"}", absl::Seconds(30));
  ASSERT_TRUE(occupancy.ok()) << occupancy.status();
  ASSERT_EQ(occupancy->size(), 1u);
  EXPECT_EQ(occupancy->front().labels.at("region"), "flevoland");
  EXPECT_GT(occupancy->front().value, 0.3);
  EXPECT_LE(occupancy->front().value, 1.0);
  auto providers = AwaitSamples(
      *prometheus, "count(count by (reporter) (jeugdzorg_places_operational))", absl::Seconds(5));
  ASSERT_TRUE(providers.ok()) << providers.status();
  EXPECT_GE(providers->front().value, 12);

  auto code = (*demo)->Stop(SIGINT, absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << (*demo)->Log();
  // Nothing of the demo keeps listening after Ctrl-C.
  EXPECT_FALSE(HttpGet(*metrics, "/metrics").ok());
  EXPECT_FALSE(HttpGet(*prometheus, "/-/ready").ok());
}

}  // namespace
}  // namespace vroeg::testing
