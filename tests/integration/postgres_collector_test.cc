// The real vroeg-collector on a real PostgreSQL server (storage: postgres, with a password file),
// fed by the real vroeg-agent: what it acknowledged is in the database and is served again after
// a restart.
#include <csignal>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/storage/postgres_store.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"
#include "tests/support/test_region.h"

namespace vroeg::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

constexpr char kProvider[] = "urn:vroeg:provider:98990012";
constexpr char kPassword[] = "collector-db-password";

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

class PostgresCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = PostgresServer::Start({.password = kPassword});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(server_->CreateDatabase("vroeg").ok());
    WriteFile(region_.dir() + "/postgres.password", std::string(kPassword) + "\n", 0600);
    config_ = region_.CollectorConfigWithStorage(absl::StrCat(
        "{postgres: {host: ", server_->socket_dir(), ", port: ", server_->port(),
        ", dbname: vroeg, user: ", server_->user(), ", password_file: postgres.password}}"));
    // Without a database file to sit next to, the audit log defaults to /var/lib/vroeg.
    std::ofstream(config_, std::ios::app) << "audit_log: collector.audit.log\n";
  }

  absl::StatusOr<std::unique_ptr<RunningCollector>> StartCollector() {
    return RunningCollector::Start(config_, region_.dir() + "/collector.log");
  }

  CommandResult Agent(int port, const std::string& file) {
    auto result = RunCommand(
        {AgentBinary(), "submit", "--config", region_.AgentConfig(kProvider, port), file});
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : CommandResult{};
  }

  TestRegion region_;
  std::unique_ptr<PostgresServer> server_;
  std::string config_;
};

TEST_F(PostgresCollectorTest, AcceptsFromARealAgentAndServesItAgainAfterARestart) {
  const std::string file = region_.dir() + "/good.csv";
  WriteFile(file, kGoodCsv);
  {
    auto collector = StartCollector();
    ASSERT_TRUE(collector.ok()) << collector.status();
    const std::string log = (*collector)->process().Log();
    EXPECT_THAT(log, HasSubstr("event=storage_opened backend=postgres"));
    EXPECT_THAT(log, HasSubstr(absl::StrCat("port=", server_->port(), " dbname=vroeg")));
    EXPECT_THAT(log, HasSubstr("synchronous_commit=on"));
    EXPECT_THAT(log, Not(HasSubstr(kPassword)));

    CommandResult result = Agent((*collector)->grpc_port(), file);
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_THAT(result.out, HasSubstr("good.csv: accepted: 5 observations stored (0 corrections)"));
    EXPECT_EQ(ObservationsStored(region_, (*collector)->grpc_port(), kProvider), 5u);

    auto code = (*collector)->process().Stop(SIGTERM);
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0) << (*collector)->process().Log();
  }

  // What the collector acknowledged is in the database, read without the collector.
  {
    PostgresStoreOptions options;
    options.connection = server_->Connection("vroeg");
    options.password_file = region_.dir() + "/postgres.password";
    auto store = PostgresStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    auto history = (*store)->History({kProvider, "wachtenden", "verblijf", "GM0034"}, "2026-09-01",
                                     "2026-09-30");
    ASSERT_TRUE(history.ok()) << history.status();
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ((*history)[0].value, 12);
    EXPECT_TRUE((*history)[0].current);
  }

  auto restarted = StartCollector();
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  EXPECT_THAT((*restarted)->process().Log(), HasSubstr("event=state_rebuilt series=5"));
  auto metrics = (*restarted)->Metrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(SampleValue(*metrics, kWaitingSeries), Optional(12.0));
  EXPECT_EQ(ObservationsStored(region_, (*restarted)->grpc_port(), kProvider), 5u);
  CommandResult again = Agent((*restarted)->grpc_port(), file);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("already accepted earlier as submission f-"));
  EXPECT_EQ(ObservationsStored(region_, (*restarted)->grpc_port(), kProvider), 5u);
}

TEST_F(PostgresCollectorTest, UnreachableDatabaseStopsTheStartWithTheReason) {
  ASSERT_TRUE(server_->Stop().ok());
  auto collector = StartCollector();
  ASSERT_FALSE(collector.ok());
  EXPECT_THAT(collector.status().message(), HasSubstr("storage.postgres: cannot connect to "
                                                      "PostgreSQL (host="));
  EXPECT_THAT(collector.status().message(), Not(HasSubstr(kPassword)));
}

}  // namespace
}  // namespace vroeg::testing
