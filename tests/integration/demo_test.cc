// Runs the README's demo command as a newcomer would and checks that what it promises is
// there: the history delivered through one agent daemon per reporter and its drop folder, a
// collector holding the Flevoland data, a real Prometheus scraping it, and agents that keep
// watching their folders, so that the example the demo prints shows up in Prometheus.
#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_get.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_api.h"
#include "tests/support/test_region.h"

namespace vroeg::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

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

// The regular files directly in `dir`; none when it does not exist.
int CountFiles(const fs::path& dir) {
  std::error_code error;
  int count = 0;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_regular_file()) ++count;
  }
  return count;
}

// The ports of the agents' own /metrics, from the `event=listening` line of each agent log.
std::vector<int> AgentMetricsPorts(const fs::path& agents_dir) {
  std::vector<int> ports;
  for (const auto& entry : fs::directory_iterator(agents_dir)) {
    if (entry.path().extension() != ".log") continue;
    std::istringstream log(ReadWholeFile(entry.path().string()));
    std::string line;
    while (std::getline(log, line)) {
      if (line.find("event=listening") == std::string::npos) continue;
      if (const std::optional<int> port = LogPort(line, "metrics")) ports.push_back(*port);
      break;
    }
  }
  return ports;
}

// Stops the demo with Ctrl-C when the test ends, also after a failed assertion: the SIGKILL of
// BackgroundProcess's destructor would leave the demo's collector, agents and Prometheus running.
class StopDemoOnExit {
 public:
  explicit StopDemoOnExit(BackgroundProcess& demo) : demo_(demo) {}
  StopDemoOnExit(const StopDemoOnExit&) = delete;
  StopDemoOnExit& operator=(const StopDemoOnExit&) = delete;
  // Stop fails harmlessly when the test has stopped the demo already.
  ~StopDemoOnExit() { (void)demo_.Stop(SIGINT, absl::Seconds(30)); }

 private:
  BackgroundProcess& demo_;
};

// The demo on each storage backend (VROEG_DEMO_STORAGE).
class DemoTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DemoTest, AgentsDeliverTheHistoryAndKeepWatchingTheirDropFolders) {
  TempDir dir;
  // PostgreSQL runs as the postgres user when the test runs as root; it must reach the demo's
  // directory as it can /tmp/vroeg-demo.
  fs::permissions(dir.path(), fs::perms::others_exec | fs::perms::group_exec,
                  fs::perm_options::add);
  auto grpc = FreeLoopbackPort(), metrics = FreeLoopbackPort(), prometheus = FreeLoopbackPort();
  ASSERT_TRUE(grpc.ok() && metrics.ok() && prometheus.ok());
  const fs::path state = dir.Sub("state");
  auto demo =
      BackgroundProcess::Start({"/bin/bash", SourceDir() + "/scripts/demo.sh"}, dir.Sub("demo.log"),
                               {absl::StrCat("VROEG_BUILD_DIR=", VROEG_BINARY_DIR_PATH),
                                absl::StrCat("VROEG_DEMO_DIR=", state.string()),
                                "VROEG_DEMO_MONTHS=3", absl::StrCat("VROEG_DEMO_GRPC_PORT=", *grpc),
                                absl::StrCat("VROEG_DEMO_METRICS_PORT=", *metrics),
                                absl::StrCat("VROEG_DEMO_PROMETHEUS_PORT=", *prometheus),
                                absl::StrCat("VROEG_DEMO_STORAGE=", GetParam())});
  ASSERT_TRUE(demo.ok()) << demo.status();
  StopDemoOnExit stop_demo(**demo);

  auto ready = (*demo)->WaitForOutputLine("prometheus: ", absl::Minutes(10));
  ASSERT_TRUE(ready.ok()) << ready.status() << "\n" << (*demo)->Log();
  EXPECT_EQ(*ready, absl::StrCat("prometheus: http://127.0.0.1:", *prometheus));
  EXPECT_THAT((*demo)->Output(),
              HasSubstr(absl::StrCat("metrics: http://127.0.0.1:", *metrics, "/metrics\n")));
  EXPECT_THAT(ReadWholeFile((state / "collector.log").string()),
              HasSubstr(absl::StrCat("event=storage_opened backend=", GetParam())));

  // The history went in through the drop folders: each generated file of each reporter ended
  // in that reporter's done/, none was refused, and the demo waited until all were delivered.
  int generated = 0, reporters = 0;
  for (const auto& reporter : fs::directory_iterator(state / "data")) {
    if (!reporter.is_directory()) continue;
    const fs::path drop = state / "drop" / reporter.path().filename();
    const int files = CountFiles(reporter.path());
    generated += files;
    ++reporters;
    EXPECT_EQ(CountFiles(drop / "done"), files) << drop;
    EXPECT_EQ(CountFiles(drop / "rejected"), 0) << drop;
    EXPECT_EQ(CountFiles(drop), 0) << drop << " still holds files";
  }
  EXPECT_GE(reporters, 20);
  EXPECT_GE(generated, reporters * 3);
  EXPECT_THAT((*demo)->Log(),
              HasSubstr(absl::StrCat("delivered ", generated, "/", generated, " files")));

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

  // The demo's own example, done exactly as printed: `try: cp SOURCE FOLDER/`, then
  // `then query in Prometheus: QUERY (becomes VALUE within ...)`.
  auto try_line = (*demo)->WaitForOutputLine("try: cp ", absl::Seconds(5));
  ASSERT_TRUE(try_line.ok()) << try_line.status() << "\n" << (*demo)->Output();
  auto query_line = (*demo)->WaitForOutputLine("then query in Prometheus: ", absl::Seconds(5));
  ASSERT_TRUE(query_line.ok()) << query_line.status() << "\n" << (*demo)->Output();
  const std::vector<std::string> copy = absl::StrSplit(*try_line, ' ');
  ASSERT_THAT(copy, SizeIs(4)) << *try_line;
  const std::vector<std::string> query =
      absl::StrSplit(absl::StripPrefix(*query_line, "then query in Prometheus: "), " (becomes ");
  ASSERT_THAT(query, SizeIs(2)) << *query_line;
  const std::string expected = query[1].substr(0, query[1].find(' '));
  const std::string shows_example = absl::StrCat(query[0], " == ", expected);
  auto before = PrometheusQuery(*prometheus, shows_example);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_THAT(*before, IsEmpty()) << "the history already holds the example's value";

  auto copied = RunCommand({"/bin/sh", "-c", std::string(absl::StripPrefix(*try_line, "try: "))});
  ASSERT_TRUE(copied.ok()) << copied.status();
  ASSERT_EQ(copied->exit_code, 0) << copied->err;
  auto shown = AwaitSamples(*prometheus, shows_example, absl::Seconds(60));
  ASSERT_TRUE(shown.ok()) << shown.status() << "\n"
                          << ReadWholeFile((state / "agents" / "provider-98990012.log").string());
  EXPECT_THAT(*shown, SizeIs(1));
  // Acknowledged means it was spooled, and a spooled file has moved to done/.
  EXPECT_TRUE(fs::exists(fs::path(copy[3]) / "done" / fs::path(copy[2]).filename()));

  const std::vector<int> agent_ports = AgentMetricsPorts(state / "agents");
  EXPECT_EQ(agent_ports.size(), static_cast<size_t>(reporters)) << "one agent per reporter";
  auto code = (*demo)->Stop(SIGINT, absl::Seconds(30));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << (*demo)->Log();
  // Nothing of the demo keeps listening after Ctrl-C: not the collector, not Prometheus, not
  // one of the agents.
  EXPECT_FALSE(HttpGet(*metrics, "/metrics").ok());
  EXPECT_FALSE(HttpGet(*prometheus, "/-/ready").ok());
  for (int port : agent_ports) EXPECT_FALSE(HttpGet(port, "/metrics").ok()) << port;
}

INSTANTIATE_TEST_SUITE_P(Storage, DemoTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace vroeg::testing
