#include <functional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/collector.h"
#include "tests/support/temp_dir.h"

namespace vroeg {
namespace {

config::v1::CollectorConfig Minimal() {
  config::v1::CollectorConfig config;
  config.mutable_region()->set_code("flevoland");
  config.mutable_tls()->set_certificate("server.crt");
  config.mutable_tls()->set_private_key("server.key");
  config.mutable_tls()->set_ca_certificate("ca.crt");
  config.mutable_storage()->mutable_sqlite()->set_path("/srv/vroeg/flevoland.db");
  return config;
}

TEST(CollectorSettingsTest, SecurityDefaultsAreFilledIn) {
  config::v1::CollectorConfig config = Minimal();
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  EXPECT_EQ(config.audit_log(), "/srv/vroeg/flevoland.audit.log");
  EXPECT_EQ(config.limits().max_message_bytes(), 32u << 20);
  EXPECT_EQ(config.limits().max_observations_per_submission(), 200000u);
  EXPECT_EQ(config.limits().submissions_per_minute(), 600u);
  EXPECT_EQ(config.limits().burst(), 1000u);
  EXPECT_EQ(config.tls().reload_interval_seconds(), 60u);
}

TEST(CollectorSettingsTest, GivenValuesStay) {
  config::v1::CollectorConfig config = Minimal();
  config.set_audit_log("/var/log/vroeg/audit.log");
  config.mutable_limits()->set_burst(5);
  config.mutable_tls()->set_reload_interval_seconds(1);
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  EXPECT_EQ(config.audit_log(), "/var/log/vroeg/audit.log");
  EXPECT_EQ(config.limits().burst(), 5u);
  EXPECT_EQ(config.tls().reload_interval_seconds(), 1u);
}

TEST(CollectorSettingsTest, AMessageLimitOutsideItsRangeIsRefused) {
  for (uint32_t bytes : {100u, (1u << 30) + 1}) {
    config::v1::CollectorConfig config = Minimal();
    config.mutable_limits()->set_max_message_bytes(bytes);
    absl::Status status = ApplyCollectorDefaults(&config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bytes;
    EXPECT_EQ(status.message(),
              "limits.max_message_bytes must be between 1024 and 1073741824 (1 GiB)");
  }
}

config::v1::Upstream MinimalUpstream() {
  config::v1::Upstream upstream;
  upstream.set_collector("vroeg.nza.example:7443");
  upstream.mutable_tls()->set_certificate("region.crt");
  upstream.mutable_tls()->set_private_key("region.key");
  upstream.mutable_tls()->set_ca_certificate("national-ca.crt");
  return upstream;
}

TEST(CollectorSettingsTest, UpstreamDefaultsAreFilledIn) {
  config::v1::CollectorConfig config = Minimal();
  *config.mutable_upstream() = MinimalUpstream();
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  EXPECT_EQ(config.upstream().spool().path(), "/srv/vroeg/flevoland.upstream-spool");
  EXPECT_EQ(config.upstream().spool().max_bytes(), uint64_t{1} << 30);
  EXPECT_EQ(config.upstream().timeout_seconds(), 30u);
  EXPECT_EQ(config.upstream().retry().initial_milliseconds(), 500u);
  EXPECT_EQ(config.upstream().retry().max_seconds(), 300u);

  config = Minimal();
  config.mutable_storage()->clear_sqlite();
  config.mutable_storage()->mutable_postgres()->set_host("db.example");
  *config.mutable_upstream() = MinimalUpstream();
  config.mutable_upstream()->mutable_spool()->set_max_bytes(4096);
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  EXPECT_EQ(config.upstream().spool().path(), "/var/lib/vroeg/collector.upstream-spool");
  EXPECT_EQ(config.upstream().spool().max_bytes(), 4096u);

  config = Minimal();
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  EXPECT_FALSE(config.has_upstream()) << "nothing is forwarded unless configured";
}

TEST(CollectorSettingsTest, BadUpstreamSettingsAreRefusedNamingTheKey) {
  const std::vector<std::pair<std::function<void(config::v1::Upstream*)>, std::string>> cases = {
      {[](config::v1::Upstream* u) { u->clear_collector(); },
       "upstream.collector is required: the national collector's host:port, e.g. "
       "vroeg.nza.example:7443"},
      {[](config::v1::Upstream* u) { u->set_collector("vroeg.nza.example"); },
       "upstream.collector"},
      {[](config::v1::Upstream* u) { u->mutable_tls()->clear_private_key(); },
       "upstream.tls.certificate, upstream.tls.private_key and upstream.tls.ca_certificate are "
       "required"},
      {[](config::v1::Upstream* u) {
         u->mutable_retry()->set_initial_milliseconds(5000);
         u->mutable_retry()->set_max_seconds(1);
       },
       "upstream.retry.initial_milliseconds is longer than upstream.retry.max_seconds"},
  };
  for (const auto& [change, message] : cases) {
    config::v1::CollectorConfig config = Minimal();
    *config.mutable_upstream() = MinimalUpstream();
    change(config.mutable_upstream());
    absl::Status status = ApplyCollectorDefaults(&config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_THAT(std::string(status.message()), ::testing::StartsWith(message));
  }
}

TEST(CollectorSettingsTest, MemberRegionsAreCheckedAndNormalised) {
  config::v1::CollectorConfig config = Minimal();
  auto* gooi = config.add_member_regions();
  gooi->set_code("gooi-en-vechtstreek");
  gooi->add_municipalities()->set_code("0406");
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  EXPECT_EQ(config.member_regions(0).municipalities(0).code(), "GM0406");

  config.add_member_regions()->set_code("Utrecht Stad");
  absl::Status status = ApplyCollectorDefaults(&config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::StartsWith("member_regions[1].code: "));

  config.mutable_member_regions(1)->set_code("utrecht");
  config.mutable_member_regions(1)->add_municipalities()->set_code("GM03");
  status = ApplyCollectorDefaults(&config);
  EXPECT_THAT(std::string(status.message()),
              ::testing::StartsWith("member_regions[1].municipalities[0].code: "));
}

TEST(CollectorSettingsTest, ExportReadersMustBeRegionIdentities) {
  config::v1::CollectorConfig config = Minimal();
  config.add_export_readers("urn:vroeg:region:flevoland");
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  EXPECT_EQ(config.export_readers(0), "urn:vroeg:region:flevoland");

  config.add_export_readers("urn:vroeg:provider:12345678");
  absl::Status status = ApplyCollectorDefaults(&config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              ::testing::StartsWith("export_readers[1]: urn:vroeg:provider:12345678 is not a "
                                    "region identity"));

  config.set_export_readers(1, "flevoland");
  status = ApplyCollectorDefaults(&config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::StartsWith("export_readers[1]: "));
}

TEST(CollectorSettingsTest, EarlyWarningDefaultsAreFilledIn) {
  config::v1::CollectorConfig config = Minimal();
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  const config::v1::EarlyWarning& ew = config.early_warning();
  EXPECT_EQ(ew.waiting_norm().intake_weeks(), 4);
  EXPECT_EQ(ew.waiting_norm().treatment_weeks(), 10);
  EXPECT_EQ(ew.occupancy_high_ratio(), 0.95);
  EXPECT_EQ(ew.trend_periods(), 3u);
  EXPECT_EQ(ew.history_periods(), 13u);
  EXPECT_EQ(ew.scope_youth_revenue_euros(), 2000000);
  EXPECT_THAT(ew.designated_providers(), ::testing::IsEmpty());
  EXPECT_EQ(ew.grace().day_days(), 1u);
  EXPECT_EQ(ew.grace().week_days(), 3u);
  EXPECT_EQ(ew.grace().month_days(), 10u);
  EXPECT_EQ(ew.grace().quarter_days(), 45u);
  EXPECT_EQ(ew.grace().year_days(), 152u);
  EXPECT_THAT(ew.expected_reporters(), ::testing::IsEmpty());
  EXPECT_EQ(ew.reporter_expiry_days(), 400u);
  EXPECT_EQ(ew.max_exposed_series(), 250000u);
  EXPECT_THAT(ew.cbs_bands().solvency(), ::testing::ElementsAre(0, 0.10, 0.20, 0.35));
  EXPECT_THAT(ew.cbs_bands().current_ratio(), ::testing::ElementsAre(0.3, 0.7, 1.3));
  EXPECT_THAT(ew.cbs_bands().profitability(), ::testing::ElementsAre(0, 0.02, 0.04));
}

TEST(CollectorSettingsTest, EarlyWarningValuesGivenStayZeroIncluded) {
  config::v1::CollectorConfig config = Minimal();
  auto* ew = config.mutable_early_warning();
  ew->mutable_waiting_norm()->set_intake_weeks(0);
  ew->set_occupancy_high_ratio(0);
  ew->set_scope_youth_revenue_euros(0);
  ew->mutable_grace()->set_week_days(0);
  ew->set_max_exposed_series(0);
  ew->set_trend_periods(1);
  ew->set_history_periods(2);
  ew->mutable_cbs_bands()->add_current_ratio(1);
  ew->add_designated_providers("12345678");
  ew->add_expected_reporters("urn:vroeg:municipality:0034");
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  EXPECT_EQ(ew->waiting_norm().intake_weeks(), 0);
  EXPECT_EQ(ew->waiting_norm().treatment_weeks(), 10);
  EXPECT_EQ(ew->occupancy_high_ratio(), 0);
  EXPECT_EQ(ew->scope_youth_revenue_euros(), 0);
  EXPECT_EQ(ew->grace().week_days(), 0u);
  EXPECT_EQ(ew->grace().month_days(), 10u);
  EXPECT_EQ(ew->max_exposed_series(), 0u);
  EXPECT_EQ(ew->trend_periods(), 1u);
  EXPECT_EQ(ew->history_periods(), 2u);
  EXPECT_THAT(ew->cbs_bands().current_ratio(), ::testing::ElementsAre(1));
  EXPECT_THAT(ew->cbs_bands().solvency(), ::testing::ElementsAre(0, 0.10, 0.20, 0.35));
  // URNs are normalised like certificate identities.
  EXPECT_THAT(ew->expected_reporters(), ::testing::ElementsAre("urn:vroeg:municipality:GM0034"));
}

TEST(CollectorSettingsTest, SqliteIsTheDefaultBackend) {
  config::v1::CollectorConfig config = Minimal();
  config.clear_storage();
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  EXPECT_EQ(config.storage().sqlite().path(), "/var/lib/vroeg/collector.db");
  EXPECT_FALSE(config.storage().has_postgres());
  EXPECT_EQ(config.audit_log(), "/var/lib/vroeg/collector.audit.log");
}

TEST(CollectorSettingsTest, PostgresDefaultsAreFilledIn) {
  config::v1::CollectorConfig config = Minimal();
  config.clear_storage();
  config.mutable_storage()->mutable_postgres();
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  const config::v1::PostgresStorage& postgres = config.storage().postgres();
  EXPECT_EQ(postgres.host(), "/var/run/postgresql");
  EXPECT_EQ(postgres.port(), 5432u);
  EXPECT_EQ(postgres.dbname(), "vroeg");
  EXPECT_EQ(postgres.user(), "vroeg");
  EXPECT_EQ(postgres.sslmode(), "prefer");
  EXPECT_EQ(postgres.pool_size(), 4u);
  EXPECT_EQ(postgres.password_file(), "");
  EXPECT_EQ(postgres.sslrootcert(), "");
  // No SQLite file is made up next to a PostgreSQL database.
  EXPECT_FALSE(config.storage().has_sqlite());
  EXPECT_EQ(config.audit_log(), "/var/lib/vroeg/collector.audit.log");
}

TEST(CollectorSettingsTest, PostgresValuesGivenStay) {
  config::v1::CollectorConfig config = Minimal();
  config.clear_storage();
  auto* postgres = config.mutable_storage()->mutable_postgres();
  postgres->set_host("db.flevoland.example");
  postgres->set_port(6432);
  postgres->set_dbname("vroeg_flevoland");
  postgres->set_user("collector");
  postgres->set_password_file("/etc/vroeg/postgres.password");
  postgres->set_sslmode("verify-full");
  postgres->set_sslrootcert("/etc/vroeg/tls/db-ca.crt");
  postgres->set_pool_size(64);
  const config::v1::PostgresStorage given = *postgres;
  ASSERT_TRUE(ApplyCollectorDefaults(&config).ok());
  EXPECT_EQ(config.storage().postgres().SerializeAsString(), given.SerializeAsString());
}

TEST(CollectorSettingsTest, BadStorageSettingsAreRefusedNamingTheKey) {
  struct Case {
    const char* name;
    std::function<void(config::v1::Storage*)> change;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"both backends",
       [](auto* storage) {
         storage->mutable_sqlite()->set_path("collector.db");
         storage->mutable_postgres()->set_host("localhost");
       },
       "storage: set either storage.sqlite or storage.postgres, not both"},
      {"port out of range", [](auto* storage) { storage->mutable_postgres()->set_port(65536); },
       "storage.postgres.port: 65536 must be between 1 and 65535"},
      {"unknown sslmode", [](auto* storage) { storage->mutable_postgres()->set_sslmode("yes"); },
       "storage.postgres.sslmode: 'yes' must be one of disable, allow, prefer, require, "
       "verify-ca, verify-full"},
      {"pool too large", [](auto* storage) { storage->mutable_postgres()->set_pool_size(65); },
       "storage.postgres.pool_size: 65 must be between 1 and 64"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    config::v1::CollectorConfig config = Minimal();
    config.clear_storage();
    c.change(config.mutable_storage());
    absl::Status status = ApplyCollectorDefaults(&config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), c.message);
  }
}

// What an operator writes: the YAML, as the collector reads it.
class CollectorSettingsFileTest : public ::testing::Test {
 protected:
  absl::StatusOr<CollectorSettings> Load(const std::string& storage) {
    return LoadCollectorSettings(
        dir_.WriteFile("collector.yaml",
                       "region: {code: flevoland}\n"
                       "tls: {certificate: s.crt, private_key: s.key, ca_certificate: ca.crt}\n" +
                           storage));
  }
  testing::TempDir dir_;
};

TEST_F(CollectorSettingsFileTest, PostgresKeysAreRead) {
  absl::StatusOr<CollectorSettings> settings =
      Load("storage:\n  postgres:\n    host: 127.0.0.1\n    password_file: postgres.password\n");
  ASSERT_TRUE(settings.ok()) << settings.status();
  const config::v1::PostgresStorage& postgres = settings->config.storage().postgres();
  EXPECT_EQ(postgres.host(), "127.0.0.1");
  EXPECT_EQ(postgres.password_file(), "postgres.password");
  EXPECT_EQ(postgres.dbname(), "vroeg");
  EXPECT_FALSE(settings->config.storage().has_sqlite());

  settings = Load("storage: {postgres: {}}\n");
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->config.storage().postgres().host(), "/var/run/postgresql");
}

TEST_F(CollectorSettingsFileTest, APasswordInTheFileItselfIsRefused) {
  absl::StatusOr<CollectorSettings> settings =
      Load("storage: {postgres: {host: db.example, password: geheim}}\n");
  ASSERT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(settings.status().message()),
              ::testing::HasSubstr("storage.postgres.password: unknown key"));
}

TEST_F(CollectorSettingsFileTest, BothBackendsAreRefused) {
  absl::StatusOr<CollectorSettings> settings =
      Load("storage: {sqlite: {path: collector.db}, postgres: {host: db.example}}\n");
  ASSERT_EQ(settings.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(settings.status().message()),
              ::testing::HasSubstr("set either storage.sqlite or storage.postgres, not both"));
}

struct BadEarlyWarning {
  const char* name;
  std::function<void(config::v1::EarlyWarning*)> change;
  const char* message;
};

TEST(CollectorSettingsTest, BadEarlyWarningSettingsAreRefusedNamingTheKey) {
  const std::vector<BadEarlyWarning> cases = {
      {"negative intake norm", [](auto* ew) { ew->mutable_waiting_norm()->set_intake_weeks(-1); },
       "early_warning.waiting_norm.intake_weeks: -1 must be a number of at least 0"},
      {"negative treatment norm",
       [](auto* ew) { ew->mutable_waiting_norm()->set_treatment_weeks(-0.5); },
       "early_warning.waiting_norm.treatment_weeks: -0.5 must be a number of at least 0"},
      {"occupancy above 1", [](auto* ew) { ew->set_occupancy_high_ratio(1.5); },
       "early_warning.occupancy_high_ratio: 1.5 must be between 0 and 1"},
      {"trend as long as history", [](auto* ew) { ew->set_trend_periods(13); },
       "early_warning.trend_periods: 13 must be at least 1 and below "
       "early_warning.history_periods (13)"},
      {"no trend", [](auto* ew) { ew->set_trend_periods(0); },
       "early_warning.trend_periods: 0 must be at least 1 and below "
       "early_warning.history_periods (13)"},
      {"history of one", [](auto* ew) { ew->set_history_periods(1); },
       "early_warning.history_periods: 1 must be between 2 and 260"},
      {"history too long", [](auto* ew) { ew->set_history_periods(261); },
       "early_warning.history_periods: 261 must be between 2 and 260"},
      {"negative scope", [](auto* ew) { ew->set_scope_youth_revenue_euros(-1); },
       "early_warning.scope_youth_revenue_euros: -1 must be a number of at least 0"},
      {"bad AGB code",
       [](auto* ew) {
         ew->add_designated_providers("12345678");
         ew->add_designated_providers("1234567");
       },
       "early_warning.designated_providers[1]: '1234567' is not an AGB code: expected exactly 8 "
       "digits"},
      {"bad URN", [](auto* ew) { ew->add_expected_reporters("provider:12345678"); },
       "early_warning.expected_reporters[0]: 'provider:12345678' is not a reporter identity: "
       "expected urn:vroeg:<kind>:<id>"},
      {"supervisor expected",
       [](auto* ew) { ew->add_expected_reporters("urn:vroeg:supervisor:nza"); },
       "early_warning.expected_reporters[0]: a supervisor submits nothing, so it is never "
       "expected to report"},
      {"no expiry", [](auto* ew) { ew->set_reporter_expiry_days(0); },
       "early_warning.reporter_expiry_days: must be at least 1"},
      {"unsorted bounds",
       [](auto* ew) {
         ew->mutable_cbs_bands()->add_solvency(0.2);
         ew->mutable_cbs_bands()->add_solvency(0.1);
       },
       "early_warning.cbs_bands.solvency: [0.2, 0.1] must be finite numbers in strictly "
       "ascending order"},
      {"repeated bound",
       [](auto* ew) {
         ew->mutable_cbs_bands()->add_profitability(0.02);
         ew->mutable_cbs_bands()->add_profitability(0.02);
       },
       "early_warning.cbs_bands.profitability: [0.02, 0.02] must be finite numbers in strictly "
       "ascending order"},
  };
  for (const BadEarlyWarning& c : cases) {
    SCOPED_TRACE(c.name);
    config::v1::CollectorConfig config = Minimal();
    c.change(config.mutable_early_warning());
    absl::Status status = ApplyCollectorDefaults(&config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), c.message);
  }
}

}  // namespace
}  // namespace vroeg
