// Runs the built vroegctl binary as a user would and checks exit codes, output and files.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <utility>
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

TEST(VroegctlTest, RevokesListsAndRenewsTheCrl) {
  TempDir temp;
  std::string ca = temp.Sub("ca");
  ASSERT_EQ(RunVroegctl(temp, {"pki", "init", "--dir", ca, "--region", "flevoland"}).exit_code, 0);
  EXPECT_EQ(FileMode(ca + "/crl.pem"), 0644);
  ASSERT_EQ(
      RunVroegctl(temp, {"pki", "issue", "--dir", ca, "--identity", "urn:vroeg:provider:12345678"})
          .exit_code,
      0);
  ASSERT_EQ(RunVroegctl(temp, {"pki", "issue", "--dir", ca, "--server", "--dns",
                               "collector.example.nl", "--out", temp.Sub("collector")})
                .exit_code,
            0);

  RunResult revoke =
      RunVroegctl(temp, {"pki", "revoke", "--dir", ca, "--identity", "urn:vroeg:provider:12345678",
                         "--reason", "keyCompromise"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_THAT(revoke.out,
              MatchesRegex("revoked urn:vroeg:provider:12345678 serial [0-9a-f]{32} "
                           "\\(keyCompromise\\)\n"
                           "CRL 2 written to .*/crl.pem with 1 revoked certificate, next update "
                           "[0-9]{4}-[0-9]{2}-[0-9]{2}; collectors pick it up within their reload "
                           "interval\n"));
  EXPECT_THAT(revoke.out, HasSubstr(ca + "/crl.pem"));

  RunResult again = RunVroegctl(
      temp, {"pki", "revoke", "--dir", ca, "--identity", "urn:vroeg:provider:12345678"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, MatchesRegex("urn:vroeg:provider:12345678 serial [0-9a-f]{32} was already "
                                      "revoked on [0-9-]{10} \\(keyCompromise\\); left "
                                      "unchanged\n"));

  RunResult unknown = RunVroegctl(temp, {"pki", "revoke", "--dir", ca, "--serial", "abc123"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, StartsWith("vroegctl: error: no certificate with serial abc123"));
  EXPECT_THAT(unknown.err, HasSubstr("vroegctl pki list --dir " + ca));

  RunResult crl = RunVroegctl(temp, {"pki", "crl", "--dir", ca, "--crl-days", "7"});
  EXPECT_EQ(crl.exit_code, 0) << crl.err;
  EXPECT_THAT(crl.out,
              StartsWith(absl::StrCat("CRL 3 written to ", ca,
                                      "/crl.pem with 1 revoked certificate, next update")));

  RunResult list = RunVroegctl(temp, {"pki", "list", "--dir", ca});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  // Sorted by identity: the server's name sorts before urn:.
  EXPECT_THAT(list.out,
              MatchesRegex("SERIAL +IDENTITY +NOT AFTER +DAYS LEFT +STATUS\n"
                           "[0-9a-f]{32}  server collector\\.example\\.nl +[0-9-]{10} +39[67]  "
                           "valid\n"
                           "[0-9a-f]{32}  urn:vroeg:provider:12345678 +[0-9-]{10} +-  revoked "
                           "[0-9-]{10} \\(keyCompromise\\)\n"
                           "2 certificates: 1 valid, 0 expired, 1 revoked\n"));

  RunResult json = RunVroegctl(temp, {"pki", "list", "--dir", ca, "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out,
              MatchesRegex("\\[\n"
                           "  \\{\"serial\": \"[0-9a-f]{32}\", \"identity\": "
                           "\"collector\\.example\\.nl\", \"server\": true, \"not_after\": "
                           "\"[0-9T:+-]{25}\", \"days_left\": 39[67], \"status\": \"valid\", "
                           "\"revoked_at\": null, \"reason\": null, \"certificate\": "
                           "\".*/collector/server\\.crt\"\\},\n"
                           "  \\{\"serial\": \"[0-9a-f]{32}\", \"identity\": "
                           "\"urn:vroeg:provider:12345678\", \"server\": false, \"not_after\": "
                           "\"[0-9T:+-]{25}\", \"days_left\": 39[67], \"status\": \"revoked\", "
                           "\"revoked_at\": \"[0-9T:+-]{25}\", \"reason\": \"keyCompromise\", "
                           "\"certificate\": \".*/provider-12345678\\.crt\"\\}\n"
                           "\\]\n"));

  RunResult soon = RunVroegctl(temp, {"pki", "list", "--dir", ca, "--expiring-within", "30"});
  EXPECT_EQ(soon.exit_code, 0) << soon.err;
  EXPECT_EQ(soon.out, "0 of 1 valid certificate expire within 30 days\n");
  RunResult later =
      RunVroegctl(temp, {"pki", "list", "--dir", ca, "--expiring-within", "400", "--json"});
  EXPECT_EQ(later.exit_code, 0) << later.err;
  EXPECT_THAT(later.out, HasSubstr("collector.example.nl"));
  EXPECT_THAT(later.out, ::testing::Not(HasSubstr("urn:vroeg:provider:12345678")));

  RunResult empty_ca = RunVroegctl(temp, {"pki", "list", "--dir", temp.Sub("nothing")});
  EXPECT_EQ(empty_ca.exit_code, 1);
  EXPECT_THAT(empty_ca.err, HasSubstr("vroegctl pki init"));
}

TEST(VroegctlTest, RevocationUsageErrorsExitWithTwo) {
  TempDir temp;
  std::vector<std::vector<std::string>> usage_errors = {
      {"pki", "revoke", "--dir", temp.path()},
      {"pki", "revoke", "--serial", "ab"},
      {"pki", "revoke", "--dir", temp.path(), "--serial", "ab", "--identity",
       "urn:vroeg:provider:12345678"},
      {"pki", "revoke", "--dir", temp.path(), "--serial", "ab", "--reason", "stolen"},
      {"pki", "revoke", "--dir", temp.path(), "--serial", "ab", "--crl-days", "0"},
      {"pki", "crl"},
      {"pki", "crl", "--dir", temp.path(), "--crl-days", "366"},
      {"pki", "list"},
      {"pki", "list", "--dir", temp.path(), "--expiring-within", "-1"},
      {"pki", "init", "--dir", temp.Sub("ca"), "--region", "flevoland", "--crl-days", "0"},
  };
  for (const auto& args : usage_errors) {
    RunResult r = RunVroegctl(temp, args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << "\n" << r.err;
    EXPECT_NE(r.err, "");
  }
}

TEST(VroegctlTest, RevokeCrlAndListHelpDescribeOptions) {
  TempDir temp;
  const std::vector<std::pair<std::string, std::vector<std::string>>> commands = {
      {"revoke",
       {"Revoke certificates", "--dir", "--serial", "--identity", "--reason", "keyCompromise",
        "superseded", "cessationOfOperation", "affiliationChanged", "unspecified", "--crl-days",
        "crl.pem", "Examples:"}},
      {"crl", {"Re-sign the certificate revocation list", "--dir", "--crl-days", "Example:"}},
      {"list",
       {"List the certificates", "--dir", "--json", "--expiring-within", "DAYS", "Examples:"}},
      {"init", {"--crl-days", "crl.pem"}},
  };
  for (const auto& [command, texts] : commands) {
    RunResult r = RunVroegctl(temp, {"pki", command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command;
    for (const std::string& text : texts) EXPECT_THAT(r.out, HasSubstr(text)) << command;
  }
  RunResult pki = RunVroegctl(temp, {"pki", "--help"});
  for (const char* command : {"revoke", "crl", "list"}) EXPECT_THAT(pki.out, HasSubstr(command));
}

// ---- audit verify ----

// A log as the collector writes it. Kept verbatim: logs written by earlier versions must keep
// verifying, so a change that breaks this test breaks every audit log already kept.
const char* const kAuditLines[] = {
    R"({"seq":1,"time":"2025-03-03T09:00:00.000250Z","identity":"urn:vroeg:provider:12345678",)"
    R"("serial":"5a3c0e6f9d2b4a71","peer":"ipv4:192.0.2.7:50522","action":"submit",)"
    R"("object":"2025-03-a","details":{"observations":"1000"},"outcome":"accepted","code":"OK",)"
    R"("reason":"","prev":"0000000000000000000000000000000000000000000000000000000000000000",)"
    R"("hash":"ae2439d3b976f81e7d35c4cbfb0716401abebcfc81d2c186d5dd008724b0e2dd"})",
    R"({"seq":2,"time":"2025-03-03T09:00:02.000250Z","identity":"unauthenticated","serial":"",)"
    R"("peer":"ipv4:198.51.100.9:40000","action":"handshake","object":"","details":{},)"
    R"("outcome":"refused","code":"UNAUTHENTICATED","reason":"no client certificate",)"
    R"("prev":"ae2439d3b976f81e7d35c4cbfb0716401abebcfc81d2c186d5dd008724b0e2dd",)"
    R"("hash":"b051f59e75038ffc7e52558862a10ea610173d63f23a9ceee1553c3c7a75ae79"})",
    R"({"seq":3,"time":"2025-03-03T09:05:00.000250Z","identity":"urn:vroeg:supervisor:nza",)"
    R"("serial":"0b7e","peer":"ipv4:203.0.113.4:61000","action":"export",)"
    R"("object":"period 2025-Q1","details":{"observations":"2412"},"outcome":"read",)"
    R"("code":"OK","reason":"",)"
    R"("prev":"b051f59e75038ffc7e52558862a10ea610173d63f23a9ceee1553c3c7a75ae79",)"
    R"("hash":"51da74f86bdaf33f4808f35f718787d470733ac96038dc2143163c69df624745"})",
};
constexpr char kAuditHead2[] = "b051f59e75038ffc7e52558862a10ea610173d63f23a9ceee1553c3c7a75ae79";
constexpr char kAuditHead3[] = "51da74f86bdaf33f4808f35f718787d470733ac96038dc2143163c69df624745";

// Writes the given lines of kAuditLines (0-based) as the file `name` and returns its path.
std::string WriteAuditLog(const TempDir& temp, const std::string& name,
                          const std::vector<int>& lines) {
  std::string text;
  for (int line : lines) absl::StrAppend(&text, kAuditLines[line], "\n");
  return temp.WriteFile(name, text);
}

TEST(VroegctlTest, AuditVerifyReportsAnIntactLog) {
  TempDir temp;
  const std::string log = WriteAuditLog(temp, "audit.jsonl", {0, 1, 2});
  RunResult r = RunVroegctl(temp, {"audit", "verify", "--file", log});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, absl::StrCat("ok: 3 entries from 2025-03-03T09:00:00.000250Z to "
                                "2025-03-03T09:05:00.000250Z; head ",
                                kAuditHead3, "\n"));
  EXPECT_EQ(r.err, "");

  RunResult json = RunVroegctl(temp, {"audit", "verify", "--file", log, "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(
      json.out,
      absl::StrCat("{\"ok\":true,\"file\":\"", log,
                   "\",\"entries\":3,\"first_time\":\"2025-03-03T09:00:00.000250Z\","
                   "\"last_time\":\"2025-03-03T09:05:00.000250Z\",\"head_hash\":\"",
                   kAuditHead3, "\",\"expected_head_entry\":0,\"incomplete_tail_bytes\":0}\n"));

  // A head recorded before the last entry was added, given in capitals.
  RunResult grown =
      RunVroegctl(temp, {"audit", "verify", "--file", log, "--expect-head",
                         "B051F59E75038FFC7E52558862A10EA610173D63F23A9CEEE1553C3C7A75AE79",
                         "--expect-entries", "2"});
  EXPECT_EQ(grown.exit_code, 0) << grown.err;
  EXPECT_THAT(grown.out, HasSubstr("\nthe recorded head is entry 2; 1 entry was added after it\n"));
}

TEST(VroegctlTest, AuditVerifyNamesTheTamperedLine) {
  TempDir temp;
  std::string edited = kAuditLines[2];
  edited.replace(edited.find("\"2412\""), 6, "\"2413\"");
  const std::string edited_log = temp.WriteFile(
      "edited.jsonl", absl::StrCat(kAuditLines[0], "\n", kAuditLines[1], "\n", edited, "\n"));
  RunResult r = RunVroegctl(temp, {"audit", "verify", "--file", edited_log});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith(absl::StrCat("vroegctl: error: ", edited_log,
                                             ":3: hash mismatch: the entry was edited")));
  EXPECT_THAT(r.err, HasSubstr("\nThe log is not as the collector wrote it: keep this file "
                               "unchanged as evidence"));

  RunResult json = RunVroegctl(temp, {"audit", "verify", "--file", edited_log, "--json"});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_THAT(json.out,
              StartsWith(absl::StrCat("{\"ok\":false,\"file\":\"", edited_log, "\",\"error\":\"",
                                      edited_log, ":3: hash mismatch")));

  const std::string gap_log = WriteAuditLog(temp, "gap.jsonl", {0, 2});
  RunResult gap = RunVroegctl(temp, {"audit", "verify", "--file", gap_log});
  EXPECT_EQ(gap.exit_code, 1);
  EXPECT_THAT(gap.err,
              StartsWith(absl::StrCat("vroegctl: error: ", gap_log,
                                      ":2: sequence gap: expected entry 2, found entry 3")));

  const std::string swapped_log = WriteAuditLog(temp, "swapped.jsonl", {0, 2, 1});
  RunResult swapped = RunVroegctl(temp, {"audit", "verify", "--file", swapped_log});
  EXPECT_EQ(swapped.exit_code, 1);
  EXPECT_THAT(swapped.err, StartsWith(absl::StrCat("vroegctl: error: ", swapped_log,
                                                   ":2: sequence out of order")));
}

TEST(VroegctlTest, AuditVerifyFindsRemovedLastEntryOnlyAgainstARecordedHead) {
  TempDir temp;
  const std::string log = WriteAuditLog(temp, "audit.jsonl", {0, 1});
  RunResult plain = RunVroegctl(temp, {"audit", "verify", "--file", log});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.out, StartsWith("ok: 2 entries from "));

  RunResult count = RunVroegctl(temp, {"audit", "verify", "--file", log, "--expect-entries", "3"});
  EXPECT_EQ(count.exit_code, 1);
  EXPECT_THAT(count.err, StartsWith(absl::StrCat("vroegctl: error: ", log,
                                                 ":3: entry 3 is missing: the log ends after "
                                                 "entry 2")));

  RunResult head =
      RunVroegctl(temp, {"audit", "verify", "--file", log, "--expect-head", kAuditHead3});
  EXPECT_EQ(head.exit_code, 1);
  EXPECT_THAT(head.err,
              StartsWith(absl::StrCat("vroegctl: error: ", log,
                                      ":3: no entry has the recorded head hash ", kAuditHead3)));
}

TEST(VroegctlTest, AuditVerifyHelpAndUsageErrors) {
  TempDir temp;
  RunResult help = RunVroegctl(temp, {"audit", "verify", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* text : {"Prove that no entry of a collector's audit log was edited, removed",
                           "--file", "--expect-head", "--expect-entries", "--json", "Examples:"}) {
    EXPECT_THAT(help.out, HasSubstr(text));
  }
  RunResult top = RunVroegctl(temp, {"--help"});
  EXPECT_THAT(top.out, HasSubstr("audit verify"));

  const std::string log = WriteAuditLog(temp, "audit.jsonl", {0});
  const std::vector<std::vector<std::string>> usage_errors = {
      {"audit"},
      {"audit", "verify"},
      {"audit", "verify", "--file", log, "--expect-head", "3f9c"},
      {"audit", "verify", "--file", log, "--expect-entries", "0"},
  };
  for (const auto& args : usage_errors) {
    RunResult r = RunVroegctl(temp, args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << "\n" << r.err;
    EXPECT_NE(r.err, "");
  }
  RunResult missing = RunVroegctl(temp, {"audit", "verify", "--file", temp.Sub("missing.jsonl")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("missing.jsonl': No such file or directory"));
}

}  // namespace
}  // namespace vroeg
