#include "common/tls.h"

#include <sys/stat.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace vroeg {
namespace {

using vroeg::testing::IsOk;
using vroeg::testing::StatusIs;
using vroeg::testing::TempDir;

// LoadTlsMaterial only reads the files; their contents need not be real PEM.
constexpr char kCertificate[] = "-----BEGIN CERTIFICATE-----\nagent\n-----END CERTIFICATE-----\n";
constexpr char kKey[] = "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n";
constexpr char kCa[] = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n";

class LoadTlsMaterialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.WriteFile("tls/agent.pem", kCertificate, 0644);
    dir_.WriteFile("tls/agent.key", kKey, 0600);
    dir_.WriteFile("tls/ca.pem", kCa, 0644);
    tls_.set_certificate("tls/agent.pem");
    tls_.set_private_key("tls/agent.key");
    tls_.set_ca_certificate("tls/ca.pem");
  }

  TempDir dir_;
  config::v1::Tls tls_;
};

TEST_F(LoadTlsMaterialTest, ReadsRelativePathsAgainstTheBaseDirectory) {
  auto material = LoadTlsMaterial(tls_, dir_.path());
  ASSERT_THAT(material, IsOk());
  EXPECT_EQ(material->certificate_pem, kCertificate);
  EXPECT_EQ(material->private_key_pem, kKey);
  EXPECT_EQ(material->ca_certificate_pem, kCa);
}

TEST_F(LoadTlsMaterialTest, AbsolutePathsIgnoreTheBaseDirectory) {
  tls_.set_certificate(dir_.Sub("tls/agent.pem"));
  tls_.set_private_key(dir_.Sub("tls/agent.key"));
  tls_.set_ca_certificate(dir_.Sub("tls/ca.pem"));
  auto material = LoadTlsMaterial(tls_, "/nonexistent/base");
  ASSERT_THAT(material, IsOk());
  EXPECT_EQ(material->certificate_pem, kCertificate);
  EXPECT_EQ(material->private_key_pem, kKey);
}

TEST_F(LoadTlsMaterialTest, OwnerReadOnlyKeyIsAccepted) {
  ASSERT_EQ(::chmod(dir_.Sub("tls/agent.key").c_str(), 0400), 0);
  EXPECT_THAT(LoadTlsMaterial(tls_, dir_.path()), IsOk());
}

TEST_F(LoadTlsMaterialTest, MissingSettingNamesTheKey) {
  config::v1::Tls tls = tls_;
  tls.clear_certificate();
  EXPECT_THAT(LoadTlsMaterial(tls, dir_.path()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "tls.certificate is required: mutual TLS is the only way in"));
  tls = tls_;
  tls.clear_private_key();
  EXPECT_THAT(LoadTlsMaterial(tls, dir_.path()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "tls.private_key is required: mutual TLS is the only way in"));
  tls = tls_;
  tls.clear_ca_certificate();
  EXPECT_THAT(LoadTlsMaterial(tls, dir_.path()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "tls.ca_certificate is required: mutual TLS is the only way in"));
  EXPECT_THAT(LoadTlsMaterial(config::v1::Tls(), dir_.path()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "tls.certificate is required: mutual TLS is the only way in"));
}

TEST_F(LoadTlsMaterialTest, MissingFileNamesKeyAndResolvedPath) {
  config::v1::Tls tls = tls_;
  tls.set_certificate("tls/absent.pem");
  EXPECT_THAT(LoadTlsMaterial(tls, dir_.path()),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("tls.certificate: cannot read ", dir_.path(),
                                    "/tls/absent.pem: No such file or directory")));
  tls = tls_;
  tls.set_private_key("absent.key");
  EXPECT_THAT(LoadTlsMaterial(tls, dir_.path()),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("tls.private_key: cannot read ", dir_.path(),
                                    "/absent.key: No such file or directory")));
  tls = tls_;
  tls.set_ca_certificate(dir_.Sub("ca/absent.pem"));
  EXPECT_THAT(LoadTlsMaterial(tls, dir_.path()),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("tls.ca_certificate: cannot read ", dir_.path(),
                                    "/ca/absent.pem: No such file or directory")));
}

class KeyModeTest : public LoadTlsMaterialTest, public ::testing::WithParamInterface<mode_t> {};

TEST_P(KeyModeTest, KeyReadableByOthersIsRefusedWithTheFix) {
  const std::string key_path = dir_.Sub("tls/agent.key");
  ASSERT_EQ(::chmod(key_path.c_str(), GetParam()), 0);
  EXPECT_THAT(LoadTlsMaterial(tls_, dir_.path()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("tls.private_key: ", key_path,
                                    " is readable by other users; run: chmod 600 ", key_path)));
}

INSTANTIATE_TEST_SUITE_P(GroupOrOthers, KeyModeTest,
                         ::testing::Values(0644, 0640, 0604, 0660, 0610, 0601, 0666),
                         [](const ::testing::TestParamInfo<mode_t>& param_info) {
                           return absl::StrFormat("Mode%04o", param_info.param);
                         });

TEST(ResolvePathTest, RelativePathsJoinTheBaseDirectory) {
  EXPECT_EQ(ResolvePath("/etc/vroeg", "tls/agent.pem"), "/etc/vroeg/tls/agent.pem");
  EXPECT_EQ(ResolvePath("config", "agent.pem"), "config/agent.pem");
}

TEST(ResolvePathTest, AbsoluteOrEmptyPathsAndEmptyBaseAreLeftAlone) {
  EXPECT_EQ(ResolvePath("/etc/vroeg", "/var/lib/vroeg/agent.pem"), "/var/lib/vroeg/agent.pem");
  EXPECT_EQ(ResolvePath("", "tls/agent.pem"), "tls/agent.pem");
  EXPECT_EQ(ResolvePath("/etc/vroeg", ""), "");
}

}  // namespace
}  // namespace vroeg
