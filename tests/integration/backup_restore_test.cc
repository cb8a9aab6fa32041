// Backup and restore as docs/operations.md describes them, on both backends: a backup taken
// while the collector runs holds everything acknowledged before it, a collector started on the
// restored copy serves exactly that, and what was acknowledged after the backup is taken again
// when its reporter sends it again (and what was before is recognised as a repeat).
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_region.h"

namespace vroeg::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr char kProvider[] = "urn:vroeg:provider:98990012";

// Acknowledged before the backup: three observations.
constexpr char kBefore[] =
    "period_start,period_end,care_form,municipality,indicator,value\n"
    "2026-09-01,2026-09-30,verblijf,,wachtenden,12\n"
    "2026-09-07,2026-09-13,verblijf,,plaatsen_operationeel,20\n"
    "2026-09-07,2026-09-13,verblijf,,plaatsen_bezet,18\n";
// Acknowledged after it: a correction and a new period.
constexpr char kAfter[] =
    "period_start,period_end,care_form,municipality,indicator,value\n"
    "2026-09-01,2026-09-30,verblijf,,wachtenden,14\n"
    "2026-10-01,2026-10-31,verblijf,,wachtenden,15\n";

constexpr char kWaiting[] =
    "jeugdzorg_waiting_youths{region=\"flevoland\",reporter=\"98990012\","
    "reporter_kind=\"provider\",care_form=\"verblijf\"}";

// A client program of the installed PostgreSQL, the newest version there.
std::string PostgresProgram(const std::string& name) {
  std::vector<std::string> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    const fs::path program = entry.path() / "bin" / name;
    if (fs::exists(program)) found.push_back(program.string());
  }
  std::sort(found.begin(), found.end());
  return found.empty() ? name : found.back();
}

class BackupRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    before_ = region_.dir() + "/2026-09.csv";
    after_ = region_.dir() + "/2026-10.csv";
    WriteFile(before_, kBefore);
    WriteFile(after_, kAfter);
  }

  void Submit(int port, const std::string& file, const std::string& expected) {
    auto result = RunCommand(
        {AgentBinary(), "submit", "--config", region_.AgentConfig(kProvider, port), file});
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code, 0) << result->out << result->err;
    EXPECT_THAT(result->out, HasSubstr(expected));
  }

  // Fills a collector with `before_`, runs `backup` while it serves, then fills it with `after_`
  // and stops it.
  void FillAndBackUp(const std::string& config, const std::vector<std::string>& backup) {
    auto collector = RunningCollector::Start(config, region_.dir() + "/original.log");
    ASSERT_TRUE(collector.ok()) << collector.status();
    const int port = (*collector)->grpc_port();
    Submit(port, before_, "accepted: 3 observations stored");
    auto copied = RunCommand(backup);
    ASSERT_TRUE(copied.ok()) << copied.status();
    ASSERT_EQ(copied->exit_code, 0) << copied->out << copied->err;
    Submit(port, after_, "accepted: 2 observations stored (1 correction)");
    EXPECT_EQ(ObservationsStored(region_, port, kProvider), 5u);
    auto code = (*collector)->process().Stop(SIGTERM);
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0);
  }

  // Starts a collector on the restored copy: it serves what was acknowledged before the backup,
  // knows those submissions, and takes the later one again when it is sent again.
  void ExpectRestored(const std::string& config) {
    auto collector = RunningCollector::Start(config, region_.dir() + "/restored.log");
    ASSERT_TRUE(collector.ok()) << collector.status();
    const int port = (*collector)->grpc_port();
    EXPECT_EQ(ObservationsStored(region_, port, kProvider), 3u);
    auto metrics = (*collector)->Metrics();
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    EXPECT_THAT(SampleValue(*metrics, kWaiting), Optional(12.0));

    Submit(port, before_, "already accepted earlier");
    Submit(port, after_, "accepted: 2 observations stored (1 correction)");
    EXPECT_EQ(ObservationsStored(region_, port, kProvider), 5u);
    metrics = (*collector)->Metrics();
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    EXPECT_THAT(SampleValue(*metrics, kWaiting), Optional(15.0));
  }

  TestRegion region_;
  std::string before_;
  std::string after_;
};

TEST_F(BackupRestoreTest, SqliteOnlineBackupRestores) {
  const std::string original = region_.CollectorConfig("collector.db");
  // The sqlite3 shell's .backup copies a consistent snapshot while the collector keeps writing
  // (WAL mode); copying the file with cp would not. sqlite3 is the Debian package of that name.
  FillAndBackUp(original, {"/usr/bin/sqlite3", region_.dir() + "/collector.db",
                           absl::StrCat(".backup '", region_.dir(), "/backup.db'")});
  std::error_code error;
  fs::copy_file(region_.dir() + "/backup.db", region_.dir() + "/restored.db", error);
  ASSERT_FALSE(error) << error.message();
  ExpectRestored(region_.CollectorConfig("restored.db"));
}

TEST_F(BackupRestoreTest, PostgresDumpRestores) {
  auto server = PostgresServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->CreateDatabase("vroeg").ok());
  auto config = [&](const std::string& dbname) {
    std::string path = region_.CollectorConfigWithStorage(
        absl::StrCat("{postgres: {host: ", (*server)->socket_dir(), ", port: ", (*server)->port(),
                     ", dbname: ", dbname, ", user: ", (*server)->user(), "}}"));
    std::ofstream(path, std::ios::app) << "audit_log: " << dbname << ".audit.log\n";
    return path;
  };
  const std::vector<std::string> connection = {"-h", (*server)->socket_dir(),
                                               "-p", std::to_string((*server)->port()),
                                               "-U", (*server)->user()};
  const std::string dump = region_.dir() + "/vroeg.dump";
  std::vector<std::string> backup = {PostgresProgram("pg_dump"), "--format=custom", "-f", dump};
  backup.insert(backup.end(), connection.begin(), connection.end());
  backup.push_back("vroeg");
  FillAndBackUp(config("vroeg"), backup);

  ASSERT_TRUE((*server)->CreateDatabase("vroeg_restored").ok());
  std::vector<std::string> restore = {PostgresProgram("pg_restore"), "--no-owner", "-d",
                                      "vroeg_restored"};
  restore.insert(restore.end(), connection.begin(), connection.end());
  restore.push_back(dump);
  auto restored = RunCommand(restore);
  ASSERT_TRUE(restored.ok()) << restored.status();
  ASSERT_EQ(restored->exit_code, 0) << restored->out << restored->err;
  ExpectRestored(config("vroeg_restored"));
}

}  // namespace
}  // namespace vroeg::testing
