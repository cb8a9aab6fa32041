// The binaries as an operator meets them: help, versions, configuration checks, usage errors.
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/test_region.h"

namespace vroeg::testing {
namespace {

using ::testing::HasSubstr;

CommandResult Exec(const std::vector<std::string>& argv) {
  auto result = RunCommand(argv);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : CommandResult{};
}

TEST(CliTest, EveryCommandHasHelp) {
  for (const auto& argv :
       std::vector<std::vector<std::string>>{{CollectorBinary(), "--help"},
                                             {AgentBinary(), "--help"},
                                             {AgentBinary(), "submit", "--help"},
                                             {AgentBinary(), "check", "--help"},
                                             {VroegctlBinary(), "--help"},
                                             {VroegctlBinary(), "pki", "--help"},
                                             {VroegctlBinary(), "pki", "init", "--help"}}) {
    CommandResult result = Exec(argv);
    EXPECT_EQ(result.exit_code, 0) << argv[0] << " " << argv.back() << result.err;
    EXPECT_THAT(result.out, HasSubstr("Usage:")) << argv[0];
  }
}

TEST(CliTest, VersionsAreReported) {
  EXPECT_THAT(Exec({CollectorBinary(), "--version"}).out, HasSubstr("vroeg-collector 0."));
  EXPECT_THAT(Exec({AgentBinary(), "--version"}).out, HasSubstr("vroeg-agent 0."));
}

TEST(CliTest, UsageErrorsExitWithTwoAndPointToHelp) {
  CommandResult no_command = Exec({AgentBinary()});
  EXPECT_EQ(no_command.exit_code, 2);
  EXPECT_THAT(no_command.err, HasSubstr("vroeg-agent: error: "));
  EXPECT_THAT(no_command.err, HasSubstr("Run 'vroeg-agent --help' for usage."));
  CommandResult unknown_flag = Exec({CollectorBinary(), "--frobnicate"});
  EXPECT_EQ(unknown_flag.exit_code, 2);
  EXPECT_THAT(unknown_flag.err, HasSubstr("vroeg-collector: error: "));
  EXPECT_EQ(Exec({AgentBinary(), "check"}).exit_code, 2);
}

TEST(CliTest, ShippedCollectorExampleIsValid) {
  CommandResult result = Exec({CollectorBinary(), "--validate-config", "--config",
                               SourceDir() + "/deploy/config/collector.yaml"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("collector.yaml: configuration is valid"));
}

TEST(CliTest, ShippedAgentExampleIsValid) {
  CommandResult result = Exec({AgentBinary(), "run", "--validate-config", "--config",
                               SourceDir() + "/deploy/config/agent.yaml"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("agent.yaml: configuration is valid"));
}

TEST(CliTest, AgentConfigErrorsNameTheKey) {
  TempDir dir;
  const std::string config = dir.Sub("agent.yaml");
  WriteFile(config,
            "collector: 127.0.0.1:7443\ntls: {certificate: a, private_key: b, ca_certificate: "
            "c}\ndrop_folders: [{settle_seconds: 3}]\n");
  CommandResult result = Exec({AgentBinary(), "run", "--validate-config", "--config", config});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "vroeg-agent: error: " + config + ": drop_folders[0].path is required\n");
}

TEST(CliTest, ValidateConfigNamesTheBadKeyWithItsLine) {
  TempDir dir;
  const std::string config = dir.Sub("collector.yaml");
  WriteFile(config, "region: {code: flevoland}\nlisen: 127.0.0.1:7443\n");
  CommandResult result = Exec({CollectorBinary(), "--validate-config", "--config", config});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "vroeg-collector: error: " + config +
                            ":2:1: lisen: unknown key (did you mean 'listen'?)\n");
}

TEST(CliTest, ValidateConfigExplainsMissingSettings) {
  TempDir dir;
  const std::string config = dir.Sub("collector.yaml");
  WriteFile(config, "listen: 127.0.0.1:7443\n");
  CommandResult result = Exec({CollectorBinary(), "--validate-config", "--config", config});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            "vroeg-collector: error: " + config + ": region.code is required, e.g. flevoland\n");

  WriteFile(config, "region: {code: flevoland, municipalities: [{code: GM12}]}\n");
  result = Exec({CollectorBinary(), "--validate-config", "--config", config});
  EXPECT_THAT(result.err, HasSubstr("region.municipalities[0].code: 'GM12' is not a CBS "
                                    "municipality code"));

  WriteFile(config, "region: {code: flevoland}\nlisten: localhost\n");
  result = Exec({CollectorBinary(), "--validate-config", "--config", config});
  EXPECT_THAT(result.err, HasSubstr("listen: 'localhost' is not host:port"));
}

TEST(CliTest, MissingConfigFileIsNamed) {
  CommandResult result = Exec({CollectorBinary(), "--config", "/nonexistent/collector.yaml"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("cannot read /nonexistent/collector.yaml"));
}

TEST(CliTest, CollectorRefusesAGroupReadableKey) {
  TestRegion region;
  const std::string key = region.ca_dir() + "/server.key";
  ASSERT_EQ(chmod(key.c_str(), 0640), 0);
  CommandResult result = Exec({CollectorBinary(), "--config", region.CollectorConfig()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("is readable by other users; run: chmod 600 " + key));
}

TEST(CliTest, BusyMetricsPortIsReportedWithTheSetting) {
  TestRegion region;
  auto first = RunningCollector::Start(region.CollectorConfig(), region.dir() + "/first.log");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string config = region.dir() + "/busy.yaml";
  WriteFile(config, absl::StrCat("region: {code: flevoland}\nlisten: 127.0.0.1:0\n",
                                 "metrics_listen: 127.0.0.1:", (*first)->metrics_port(),
                                 "\ncatalogue: ", SourceDir(),
                                 "/deploy/catalogue/catalogue.yaml\nstorage: {sqlite: {path: "
                                 "busy.db}}\ntls: {certificate: ca/server.crt, private_key: "
                                 "ca/server.key, ca_certificate: ca/ca.crt}\n"));
  CommandResult result = Exec({CollectorBinary(), "--config", config});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("metrics_listen: cannot listen on 127.0.0.1:",
                                                 (*first)->metrics_port())));
}

TEST(CliTest, AgentCheckValidatesOfflineAgainstACatalogueFile) {
  TempDir dir;
  const std::string good = dir.Sub("good.csv");
  const std::string bad = dir.Sub("bad.csv");
  WriteFile(good,
            "period_start;period_end;care_form;municipality;wachtenden;wachttijd_intake_weken\n"
            "01-09-2026;30-09-2026;verblijf;0034;12;5,5\n");
  WriteFile(bad,
            "period_start,period_end,care_form,municipality,indicator,value\n"
            "2026-09-01,2026-09-30,verblijf,,wachtenden,-1\n");
  const std::string catalogue = SourceDir() + "/deploy/catalogue/catalogue.yaml";
  CommandResult result = Exec({AgentBinary(), "check", "--catalogue", catalogue, "--reporter",
                               "urn:vroeg:provider:12345678", good, bad});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, good + ": valid: 2 observations\n" + bad +
                            ": rejected: 1 problem, nothing sent:\n"
                            "  row 2, column value: -1 is below the minimum 0 for wachtenden\n");
  EXPECT_EQ(Exec({AgentBinary(), "check", "--catalogue", catalogue, "--reporter",
                  "urn:vroeg:provider:12345678", good})
                .exit_code,
            0);
  CommandResult bad_reporter = Exec({AgentBinary(), "check", "--catalogue", catalogue, "--reporter",
                                     "urn:vroeg:provider:12", good});
  EXPECT_EQ(bad_reporter.exit_code, 2);
  EXPECT_THAT(bad_reporter.err, HasSubstr("--reporter: 'urn:vroeg:provider:12': '12' is not an "
                                          "AGB code: expected exactly 8 digits"));
}

// The generated demo data is what the live demo sends: every file must pass the same checks
// the collector applies.
TEST(CliTest, DemoDataPassesTheAgentsChecks) {
  TempDir dir;
  CommandResult generated = Exec({VROEG_DEMO_DATA_BIN, "--out", dir.Sub("data"), "--months", "6"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  auto tsv = RunCommand({"/bin/cat", dir.Sub("data/reporters.tsv")});
  ASSERT_TRUE(tsv.ok());
  int reporters = 0;
  for (absl::string_view line : absl::StrSplit(tsv->out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    if (fields[0] == "kind") continue;
    ++reporters;
    std::vector<std::string> argv = {
        AgentBinary(), "check",
        "--catalogue", SourceDir() + "/deploy/catalogue/catalogue.yaml",
        "--reporter",  "urn:vroeg:" + fields[0] + ":" + fields[1]};
    for (const auto& entry : std::filesystem::directory_iterator(dir.Sub("data/" + fields[3]))) {
      argv.push_back(entry.path().string());
    }
    CommandResult checked = Exec(argv);
    EXPECT_EQ(checked.exit_code, 0) << fields[3] << ":\n" << checked.out << checked.err;
  }
  EXPECT_GE(reporters, 19);
}

}  // namespace
}  // namespace vroeg::testing
