// `vroeg-agent run` as a provider's IT department runs it: files dropped into a folder reach
// the real collector, bad files are set aside with their reasons, and a collector outage only
// delays delivery.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/http_get.h"
#include "tests/support/process.h"
#include "tests/support/shipped_care_forms.h"
#include "tests/support/test_region.h"

namespace vroeg::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

constexpr char kProvider[] = "urn:vroeg:provider:98990012";
constexpr char kWaitingSeries[] =
    "jeugdzorg_waiting_youths{region=\"flevoland\",reporter=\"98990012\","
    "reporter_kind=\"provider\",care_form=\"verblijf\"}";

std::string WaitingCsv(int value) {
  return absl::StrCat("period_start,period_end,care_form,municipality,indicator,value\n",
                      "2026-09-01,2026-09-30,verblijf,,wachtenden,", value, "\n");
}

// `rows` waiting figures for every care form and municipality, month after month from 2000
// on, as a provider's full export holds them.
std::string LargeWaitingCsv(int rows) {
  constexpr const char* kMunicipalities[] = {"GM0034", "GM0303", "GM0995",
                                             "GM0171", "GM0184", "GM0050"};
  constexpr int kCareForms = static_cast<int>(kShippedCareForms.size());
  constexpr int kPerMonth = kCareForms * 6;
  std::string csv = "period_start,period_end,care_form,municipality,indicator,value\n";
  for (int i = 0; i < rows; ++i) {
    const int slot = i % kPerMonth;
    const absl::CivilMonth month = absl::CivilMonth(2000, 1) + i / kPerMonth;
    const absl::CivilDay last = absl::CivilDay(month + 1) - 1;
    absl::StrAppend(&csv, absl::FormatCivilTime(absl::CivilDay(month)), ",",
                    absl::FormatCivilTime(last), ",", kShippedCareForms[slot % kCareForms], ",",
                    kMunicipalities[slot / kCareForms], ",wachtenden,", i % 100, "\n");
  }
  return csv;
}

int CountSubstrings(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Polls `scrape` until `series` has `value`, for at most 30 seconds.
bool AwaitSample(const std::function<absl::StatusOr<std::string>()>& scrape,
                 const std::string& series, double value) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    auto text = scrape();
    if (text.ok() && SampleValue(*text, series) == value) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

class AgentDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto port = FreeLoopbackPort();
    ASSERT_TRUE(port.ok());
    grpc_port_ = *port;
    StartCollector();
    const std::string stem = region_.Issue(kProvider);
    drop_ = region_.dir() + "/drop";
    std::filesystem::create_directories(drop_);
    config_ = region_.dir() + "/agent-run.yaml";
    WriteFile(config_, absl::StrCat("collector: 127.0.0.1:", grpc_port_,
                                    "\ncollector_name: localhost\n"
                                    "tls:\n  certificate: ",
                                    stem, ".crt\n  private_key: ", stem,
                                    ".key\n  ca_certificate: ", region_.ca_dir(),
                                    "/ca.crt\n"
                                    "timeout_seconds: 5\n"
                                    "spool: {path: spool}\n"
                                    "drop_folders: [{path: drop, settle_seconds: 1}]\n"
                                    "metrics_listen: 127.0.0.1:0\n"
                                    "scan_interval_seconds: 1\n"
                                    "retry: {initial_milliseconds: 100, max_seconds: 1}\n"));
    auto agent = BackgroundProcess::Start({AgentBinary(), "run", "--config", config_},
                                          region_.dir() + "/agent.log");
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = *std::move(agent);
    auto line = agent_->WaitForLogLine("event=listening");
    ASSERT_TRUE(line.ok()) << line.status();
    const std::optional<int> metrics_port = LogPort(*line, "metrics");
    ASSERT_TRUE(metrics_port.has_value()) << *line;
    agent_metrics_port_ = *metrics_port;
  }

  void StartCollector() {
    auto collector = RunningCollector::Start(region_.CollectorConfig("collector.db", grpc_port_),
                                             region_.dir() + "/collector.log");
    ASSERT_TRUE(collector.ok()) << collector.status();
    collector_ = *std::move(collector);
  }

  // Writes then renames, as a careful export job does.
  void Drop(const std::string& name, const std::string& content) {
    WriteFile(drop_ + "/." + name + ".tmp", content);
    std::filesystem::rename(drop_ + "/." + name + ".tmp", drop_ + "/" + name);
  }

  absl::StatusOr<std::string> AgentMetrics() {
    auto response = HttpGet(agent_metrics_port_, "/metrics");
    if (!response.ok()) return response.status();
    return response->body;
  }

  bool AwaitCollector(double value) {
    return AwaitSample([this] { return collector_->Metrics(); }, kWaitingSeries, value);
  }

  TestRegion region_;
  int grpc_port_ = 0;
  std::unique_ptr<RunningCollector> collector_;
  std::string drop_;
  std::string config_;
  std::unique_ptr<BackgroundProcess> agent_;
  int agent_metrics_port_ = 0;
};

TEST_F(AgentDaemonTest, DroppedFileReachesTheCollectorAndMovesToDone) {
  Drop("wachten.csv", WaitingCsv(12));
  ASSERT_TRUE(AwaitCollector(12)) << agent_->Log();
  EXPECT_TRUE(std::filesystem::exists(drop_ + "/done/wachten.csv"));
  EXPECT_FALSE(std::filesystem::exists(drop_ + "/wachten.csv"));
  EXPECT_TRUE(AwaitSample([this] { return AgentMetrics(); },
                          "vroeg_agent_sends_total{outcome=\"acknowledged\"}", 1));
  auto metrics = AgentMetrics();
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(SampleValue(*metrics, "vroeg_agent_files_total{outcome=\"spooled\"}"), Optional(1.0));
  EXPECT_THAT(SampleValue(*metrics, "vroeg_agent_spool_submissions"), Optional(0.0));
  auto promtool =
      RunCommand({"/usr/bin/promtool", "check", "metrics"}, absl::Seconds(60), *metrics);
  ASSERT_TRUE(promtool.ok());
  EXPECT_EQ(promtool->exit_code, 0) << promtool->out << promtool->err;
}

// A file-sized submission goes through the spool in one piece: all of its rows reach the
// collector in one acknowledged submission, sent once.
TEST_F(AgentDaemonTest, LargeFileIsSentWholeAndAcknowledgedOnce) {
  constexpr int kRows = 10000;
  Drop("groot.csv", LargeWaitingCsv(kRows));
  auto acknowledged = agent_->WaitForLogLine("event=submission_acknowledged", absl::Seconds(120));
  ASSERT_TRUE(acknowledged.ok()) << acknowledged.status();
  EXPECT_THAT(*acknowledged, HasSubstr(absl::StrCat("stored=", kRows)));
  EXPECT_THAT(*acknowledged, HasSubstr("duplicate=false"));
  EXPECT_THAT(*acknowledged, HasSubstr("source=" + drop_ + "/groot.csv"));
  ASSERT_TRUE(AwaitSample([this] { return AgentMetrics(); },
                          "vroeg_agent_sends_total{outcome=\"acknowledged\"}", 1))
      << agent_->Log();
  auto metrics = AgentMetrics();
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(SampleValue(*metrics, "vroeg_agent_spool_submissions"), Optional(0.0));
  EXPECT_THAT(SampleValue(*metrics, "vroeg_agent_files_total{outcome=\"spooled\"}"), Optional(1.0));
  const std::string log = agent_->Log();
  EXPECT_EQ(CountSubstrings(log, "event=submission_acknowledged"), 1) << log;
  EXPECT_TRUE(std::filesystem::exists(drop_ + "/done/groot.csv"));
}

TEST_F(AgentDaemonTest, InvalidFileIsSetAsideWithItsReasons) {
  Drop("fout.csv", WaitingCsv(-3));
  // The log line comes after both the errors file and the file itself are in place; the errors
  // file alone can appear a moment before the file is moved.
  auto rejected = agent_->WaitForLogLine("event=file_rejected", absl::Seconds(30));
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  const std::string errors = drop_ + "/rejected/fout.csv.errors.txt";
  ASSERT_TRUE(std::filesystem::exists(errors)) << agent_->Log();
  EXPECT_THAT(ReadWholeFile(errors),
              HasSubstr("row 2, column value: -3 is below the minimum 0 for wachtenden\n"));
  EXPECT_TRUE(std::filesystem::exists(drop_ + "/rejected/fout.csv"));
}

TEST_F(AgentDaemonTest, CollectorOutageOnlyDelaysDelivery) {
  Drop("eerst.csv", WaitingCsv(12));
  ASSERT_TRUE(AwaitCollector(12));
  auto stopped = collector_->process().Stop(SIGTERM);
  ASSERT_TRUE(stopped.ok());
  collector_.reset();

  Drop("daarna.csv", WaitingCsv(14));
  ASSERT_TRUE(AwaitSample([this] { return AgentMetrics(); }, "vroeg_agent_spool_submissions", 1))
      << agent_->Log();
  // The file moves to done/ just after it is spooled.
  EXPECT_TRUE(agent_->WaitForLogLine("moved_to=" + drop_ + "/done/daarna.csv").ok())
      << agent_->Log();
  EXPECT_TRUE(std::filesystem::exists(drop_ + "/done/daarna.csv"));

  StartCollector();
  ASSERT_TRUE(AwaitCollector(14)) << agent_->Log();
  auto metrics = AgentMetrics();
  ASSERT_TRUE(metrics.ok());
  EXPECT_GE(SampleValue(*metrics, "vroeg_agent_sends_total{outcome=\"retry\"}").value_or(0), 1);
  EXPECT_THAT(SampleValue(*metrics, "vroeg_agent_spool_submissions"), Optional(0.0));
}

TEST_F(AgentDaemonTest, StatusReportsSpoolAndLastDelivery) {
  Drop("wachten.csv", WaitingCsv(12));
  ASSERT_TRUE(AwaitCollector(12)) << agent_->Log();
  // The status is rewritten every scan; poll until it shows the delivery.
  CommandResult status;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    auto run = RunCommand({AgentBinary(), "status", "--config", config_});
    ASSERT_TRUE(run.ok()) << run.status();
    status = *run;
    if (absl::StrContains(status.out, "wachten.csv")) break;
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() < deadline);
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_THAT(status.out, HasSubstr(absl::StrCat("running (pid ", agent_->pid())));
  EXPECT_THAT(status.out, HasSubstr("reporter:       urn:vroeg:provider:98990012"));
  EXPECT_THAT(status.out, HasSubstr("spool:          0 submissions pending"));
  EXPECT_THAT(status.out, HasSubstr("oldest pending: none pending"));
  EXPECT_THAT(status.out,
              ::testing::MatchesRegex("(.|\n)*last success:   [0-9TZ:-]+ \\([0-9ms]+ ago\\) "
                                      "submission f-[0-9a-f]+ from [^\n]*/wachten.csv\n(.|\n)*"));
  EXPECT_THAT(status.out, HasSubstr("files:          1 spooled, 0 rejected"));

  // With the collector gone, the pending submission and the failure show.
  auto stopped = collector_->process().Stop(SIGTERM);
  ASSERT_TRUE(stopped.ok());
  collector_.reset();
  Drop("daarna.csv", WaitingCsv(14));
  const absl::Time second_deadline = absl::Now() + absl::Seconds(30);
  do {
    auto run = RunCommand({AgentBinary(), "status", "--config", config_});
    ASSERT_TRUE(run.ok()) << run.status();
    status = *run;
    if (absl::StrContains(status.out, "1 submission pending") &&
        absl::StrContains(status.out, "UNAVAILABLE")) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() < second_deadline);
  EXPECT_THAT(status.out, HasSubstr("spool:          1 submission pending"));
  EXPECT_THAT(status.out, HasSubstr("last error:"));
  EXPECT_THAT(status.out, HasSubstr("UNAVAILABLE: collector 127.0.0.1:"));
  EXPECT_THAT(status.out, ::testing::ContainsRegex("oldest pending: [0-9ms]+ \\(since "));

  auto json = RunCommand({AgentBinary(), "status", "--json", "--config", config_});
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(json->out, HasSubstr("\"pending_submissions\": \"1\""));

  // A stopped daemon is reported as such, with exit code 3.
  auto code = agent_->Stop(SIGTERM);
  ASSERT_TRUE(code.ok());
  auto after = RunCommand({AgentBinary(), "status", "--config", config_});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->exit_code, 3) << after->out;
  EXPECT_THAT(after->out, HasSubstr("daemon:         not running (last seen "));
  EXPECT_THAT(after->out, HasSubstr("1 submission pending"));
}

TEST_F(AgentDaemonTest, StatusWithoutADaemonSaysHowToStartOne) {
  const std::string other = region_.dir() + "/other-agent.yaml";
  // The same configuration with another spool has never run.
  std::string text = ReadWholeFile(config_);
  text.replace(text.find("spool: {path: spool}"), 20, "spool: {path: spool-never}");
  WriteFile(other, text);
  auto status = RunCommand({AgentBinary(), "status", "--config", other});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->exit_code, 2);
  EXPECT_THAT(status->err, HasSubstr("has not run with this configuration yet"));
}

// SIGHUP applies a new configuration without a restart: here a second drop folder and another
// collector (as when the region moves its collector); a broken file changes nothing.
TEST_F(AgentDaemonTest, SighupReloadsConfiguration) {
  const std::string before = ReadWholeFile(config_);
  std::string broken = before;
  broken.replace(broken.find("certificate: "), 13, "certificate: missing-");
  WriteFile(config_, broken);
  ASSERT_EQ(kill(agent_->pid(), SIGHUP), 0);
  auto failed = agent_->WaitForLogLine("event=reload_failed");
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_THAT(*failed, HasSubstr("missing-"));
  Drop("nog-steeds.csv", WaitingCsv(11));
  ASSERT_TRUE(AwaitCollector(11)) << agent_->Log();

  auto port = FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  auto second = RunningCollector::Start(region_.CollectorConfig("second.db", *port),
                                        region_.dir() + "/second.log");
  ASSERT_TRUE(second.ok()) << second.status();
  std::string moved = before;
  moved.replace(moved.find(absl::StrCat("127.0.0.1:", grpc_port_)),
                absl::StrCat("127.0.0.1:", grpc_port_).size(), absl::StrCat("127.0.0.1:", *port));
  moved.replace(
      moved.find("drop_folders: [{path: drop, settle_seconds: 1}]"), 47,
      "drop_folders: [{path: drop, settle_seconds: 1}, {path: drop2, settle_seconds: 1}]");
  const std::string drop2 = region_.dir() + "/drop2";
  std::filesystem::create_directories(drop2);
  WriteFile(config_, moved);
  ASSERT_EQ(kill(agent_->pid(), SIGHUP), 0);
  auto reloaded = agent_->WaitForLogLine("event=reloaded");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status() << agent_->Log();

  WriteFile(drop2 + "/.tweede.csv.tmp", WaitingCsv(21));
  std::filesystem::rename(drop2 + "/.tweede.csv.tmp", drop2 + "/tweede.csv");
  ASSERT_TRUE(AwaitSample([&] { return (*second)->Metrics(); }, kWaitingSeries, 21))
      << agent_->Log();
  EXPECT_TRUE(std::filesystem::exists(drop2 + "/done/tweede.csv"));
  // The first collector kept what it had and got nothing after the move.
  auto first = collector_->Metrics();
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(SampleValue(*first, kWaitingSeries), Optional(11.0));
}

// Certificates are read again on SIGHUP: a certificate the collector does not trust makes the
// next delivery fail (and wait in the spool), the region's own makes it go through.
TEST_F(AgentDaemonTest, SighupRotatesTheCertificate) {
  // With the catalogue known, files are taken whatever the collector says afterwards.
  ASSERT_TRUE(agent_->WaitForLogLine("event=catalogue_loaded").ok()) << agent_->Log();
  TempDir foreign;
  const std::string foreign_ca = foreign.Sub("ca");
  auto init =
      RunCommand({VroegctlBinary(), "pki", "init", "--dir", foreign_ca, "--region", "elders"});
  ASSERT_TRUE(init.ok() && init->exit_code == 0);
  auto issue =
      RunCommand({VroegctlBinary(), "pki", "issue", "--dir", foreign_ca, "--identity", kProvider});
  ASSERT_TRUE(issue.ok() && issue->exit_code == 0);
  const std::string stem = region_.Issue(kProvider);
  const std::string before = ReadWholeFile(config_);
  std::string rotated = before;
  for (const char* suffix : {".crt", ".key"}) {
    const std::string from = stem + suffix;
    rotated.replace(rotated.find(from), from.size(),
                    absl::StrCat(foreign_ca, "/provider-98990012", suffix));
  }
  WriteFile(config_, rotated);
  ASSERT_EQ(kill(agent_->pid(), SIGHUP), 0);
  ASSERT_TRUE(agent_->WaitForLogLine("event=reloaded").ok()) << agent_->Log();

  Drop("vreemd.csv", WaitingCsv(31));
  ASSERT_TRUE(AwaitSample([this] { return AgentMetrics(); }, "vroeg_agent_spool_submissions", 1))
      << agent_->Log();
  ASSERT_TRUE(agent_->WaitForLogLine("event=submission_retry").ok()) << agent_->Log();

  WriteFile(config_, before);
  ASSERT_EQ(kill(agent_->pid(), SIGHUP), 0);
  ASSERT_TRUE(AwaitCollector(31)) << agent_->Log();
  EXPECT_EQ(std::filesystem::exists(drop_ + "/done/vreemd.csv"), true);
}

// Settings that belong to the running process are named, and the rest is applied.
TEST_F(AgentDaemonTest, SighupNamesSettingsThatNeedARestart) {
  std::string text = ReadWholeFile(config_);
  text.replace(text.find("spool: {path: spool}"), 20, "spool: {path: spool, max_bytes: 5000000}");
  WriteFile(config_, text);
  ASSERT_EQ(kill(agent_->pid(), SIGHUP), 0);
  auto warning = agent_->WaitForLogLine("event=reload_needs_restart");
  ASSERT_TRUE(warning.ok()) << warning.status() << agent_->Log();
  EXPECT_THAT(*warning, HasSubstr("settings=spool.max_bytes"));
  EXPECT_TRUE(agent_->WaitForLogLine("event=reloaded").ok()) << agent_->Log();
}

// The daemon holds the spool; `submit` with the same configuration says what to do instead.
TEST_F(AgentDaemonTest, SubmitWhileTheDaemonRunsPointsAtTheDropFolder) {
  const std::string file = region_.dir() + "/handmatig.csv";
  WriteFile(file, WaitingCsv(5));
  auto submit = RunCommand({AgentBinary(), "submit", "--config", config_, file});
  ASSERT_TRUE(submit.ok()) << submit.status();
  EXPECT_EQ(submit->exit_code, 2) << submit->out << submit->err;
  EXPECT_THAT(submit->err, HasSubstr("is in use by another process"));
  EXPECT_THAT(submit->err, HasSubstr("copy the files into one of its drop folders instead"));
}

TEST_F(AgentDaemonTest, StopsCleanlyOnSigterm) {
  auto code = agent_->Stop(SIGTERM);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  EXPECT_THAT(agent_->Log(), HasSubstr("event=stopped pending=0"));
}

}  // namespace
}  // namespace vroeg::testing
