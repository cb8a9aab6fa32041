#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/collector.h"

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

}  // namespace
}  // namespace vroeg
