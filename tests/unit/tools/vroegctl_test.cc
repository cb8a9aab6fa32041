// Runs the built vroegctl binary as a user would and checks exit codes, output and files.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace vroeg {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
using ::vroeg::testing::FileMode;
using ::vroeg::testing::ReadWholeFile;
using ::vroeg::testing::TempDir;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs vroegctl with `args` directly (no shell), capturing its output in files under `dir`.
RunResult RunVroegctl(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), VROEGCTL_PATH);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::string out_path = dir.Sub("stdout.txt");
  std::string err_path = dir.Sub("stderr.txt");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  RunResult result;
  pid_t pid;
  int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run " << argv[0] << ": error " << spawned;
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadWholeFile(out_path);
  result.err = ReadWholeFile(err_path);
  return result;
}

TEST(VroegctlTest, PrintsVersion) {
  TempDir temp;
  RunResult r = RunVroegctl(temp, {"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, absl::StrCat("vroegctl ", VROEG_VERSION, "\n"));
}

TEST(VroegctlTest, InitsCaAndIssuesCertificates) {
  TempDir temp;
  std::string ca = temp.Sub("ca");
  RunResult init = RunVroegctl(temp, {"pki", "init", "--dir", ca, "--region", "flevoland"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_THAT(init.out, StartsWith("created CA for region flevoland serial "));
  EXPECT_THAT(init.out, HasSubstr(ca + "/ca.crt"));
  EXPECT_EQ(init.err, "");
  EXPECT_EQ(FileMode(ca + "/ca.key"), 0600);
  EXPECT_EQ(FileMode(ca + "/ca.crt"), 0644);

  RunResult again = RunVroegctl(temp, {"pki", "init", "--dir", ca, "--region", "flevoland"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, StartsWith("vroegctl: error: "));
  EXPECT_THAT(again.err, HasSubstr("--force"));

  RunResult client =
      RunVroegctl(temp, {"pki", "issue", "--dir", ca, "--identity", "urn:vroeg:provider:12345678"});
  ASSERT_EQ(client.exit_code, 0) << client.err;
  EXPECT_THAT(client.out,
              MatchesRegex("issued urn:vroeg:provider:12345678 serial [0-9a-f]{32} valid until "
                           "[0-9]{4}-[0-9]{2}-[0-9]{2}: .*\n"));
  EXPECT_THAT(client.out, HasSubstr(absl::StrCat(ca, "/provider-12345678.crt, ", ca,
                                                 "/provider-12345678.key")));
  EXPECT_EQ(FileMode(ca + "/provider-12345678.key"), 0600);

  std::string out = temp.Sub("collector");
  RunResult server =
      RunVroegctl(temp, {"pki", "issue", "--dir", ca, "--server", "--dns", "collector.example.nl",
                         "--ip", "192.0.2.10", "--out", out, "--days", "30"});
  ASSERT_EQ(server.exit_code, 0) << server.err;
  EXPECT_THAT(server.out, StartsWith("issued server certificate for collector.example.nl serial "));
  EXPECT_TRUE(std::filesystem::exists(out + "/server.crt"));
  EXPECT_EQ(FileMode(out + "/server.key"), 0600);

  RunResult wildcard =
      RunVroegctl(temp, {"pki", "issue", "--dir", ca, "--server", "--dns", "*.example.nl"});
  EXPECT_EQ(wildcard.exit_code, 1);
  EXPECT_THAT(wildcard.err, StartsWith("vroegctl: error: "));
  EXPECT_THAT(wildcard.err, HasSubstr("wildcard"));
}

TEST(VroegctlTest, UsageErrorsExitWithTwo) {
  TempDir temp;
  std::vector<std::vector<std::string>> usage_errors = {
      {},
      {"pki"},
      {"pki", "init", "--region", "flevoland"},
      {"pki", "issue", "--dir", temp.path()},
      {"pki", "issue", "--dir", temp.path(), "--identity", "urn:vroeg:provider:12345678",
       "--server"},
      {"pki", "issue", "--dir", temp.path(), "--dns", "collector.example.nl"},
      {"pki", "issue", "--dir", temp.path(), "--server", "--dns", "a", "--days", "0"},
      {"no-such-command"},
  };
  for (const auto& args : usage_errors) {
    RunResult r = RunVroegctl(temp, args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << "\n" << r.err;
    EXPECT_NE(r.err, "");
  }
}

TEST(VroegctlTest, IssueHelpDescribesOptions) {
  TempDir temp;
  RunResult r = RunVroegctl(temp, {"pki", "issue", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* text : {"Issue a client certificate for an agent or a server certificate",
                           "--dir", "--identity", "urn:vroeg:<kind>:<id>", "--server", "--dns",
                           "--ip", "--out", "--name", "--days", "--force", "Examples:"}) {
    EXPECT_THAT(r.out, HasSubstr(text));
  }
}

}  // namespace
}  // namespace vroeg
