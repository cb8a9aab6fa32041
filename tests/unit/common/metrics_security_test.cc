#include "common/metrics_security.h"

#include <sys/stat.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace vroeg {
namespace {

using ::testing::HasSubstr;
using vroeg::testing::IsOk;
using vroeg::testing::StatusIs;
using vroeg::testing::TempDir;

// printf %s 'secret' | sha256sum
constexpr char kSecretDigest[] = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";

config::v1::MetricsSecurity FullSecurity() {
  config::v1::MetricsSecurity security;
  security.mutable_tls()->set_certificate("metrics.crt");
  security.mutable_tls()->set_private_key("metrics.key");
  security.mutable_basic_auth()->set_username("prometheus");
  security.mutable_basic_auth()->set_password_file("metrics.password");
  return security;
}

TEST(IsLoopbackHostTest, AcceptsOnlyAddressesOfThisMachineAlone) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LocalHost"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "10.0.0.1", "128.0.0.1", "::", "[::]", "[::1", "", "*",
                           "vroeg.example", "localhost.example"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

TEST(CheckMetricsSecurityTest, LoopbackNeedsNothing) {
  EXPECT_THAT(CheckMetricsSecurity("127.0.0.1:9464", {}), IsOk());
  EXPECT_THAT(CheckMetricsSecurity("[::1]:9464", {}), IsOk());
  EXPECT_THAT(CheckMetricsSecurity("localhost:0", {}), IsOk());
}

TEST(CheckMetricsSecurityTest, OtherAddressesNeedTlsAndBasicAuth) {
  for (const char* listen : {"0.0.0.0:9464", "10.1.2.3:9464", "[::]:9464", "vroeg.example:9464"}) {
    EXPECT_THAT(CheckMetricsSecurity(listen, {}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat(
                             "metrics_listen: ", listen,
                             " is reachable from other machines, and metrics name reporters and "
                             "their figures; set metrics_security.tls and "
                             "metrics_security.basic_auth, or bind 127.0.0.1 and scrape "
                             "locally"))))
        << listen;
    EXPECT_THAT(CheckMetricsSecurity(listen, FullSecurity()), IsOk()) << listen;
  }
}

TEST(CheckMetricsSecurityTest, TlsAndBasicAuthGoTogetherOnEveryAddress) {
  for (const char* listen : {"127.0.0.1:9464", "0.0.0.0:9464"}) {
    config::v1::MetricsSecurity tls_only = FullSecurity();
    tls_only.clear_basic_auth();
    config::v1::MetricsSecurity auth_only = FullSecurity();
    auth_only.clear_tls();
    for (const auto& security : {tls_only, auth_only}) {
      EXPECT_THAT(CheckMetricsSecurity(listen, security),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           "metrics_security: tls and basic_auth go together, so that passwords "
                           "never cross the network in clear text; set both, or neither"))
          << listen;
    }
  }
}

TEST(CheckMetricsSecurityTest, EveryFieldIsRequired) {
  config::v1::MetricsSecurity security = FullSecurity();
  security.mutable_tls()->clear_private_key();
  EXPECT_THAT(
      CheckMetricsSecurity("127.0.0.1:9464", security),
      StatusIs(absl::StatusCode::kInvalidArgument, "metrics_security.tls.private_key is required"));
  security = FullSecurity();
  security.mutable_basic_auth()->clear_password_file();
  EXPECT_THAT(CheckMetricsSecurity("0.0.0.0:9464", security),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "metrics_security.basic_auth.password_file is required"));
  security = FullSecurity();
  security.mutable_basic_auth()->set_username("prom:etheus");
  EXPECT_THAT(CheckMetricsSecurity("127.0.0.1:9464", security),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must not contain ':'")));
}

class BasicAuthCredentialsTest : public ::testing::Test {
 protected:
  BasicAuthCredentialsTest() {
    auth_.set_username("prometheus");
    auth_.set_password_file("metrics.password");
  }

  TempDir dir_;
  config::v1::MetricsBasicAuth auth_;
};

TEST_F(BasicAuthCredentialsTest, MatchesOnlyTheConfiguredUserAndPassword) {
  // As sha256sum prints it, with the trailing newline.
  dir_.WriteFile("metrics.password", absl::StrCat(kSecretDigest, "\n"));
  auto credentials = BasicAuthCredentials::Load(auth_, dir_.path());
  ASSERT_THAT(credentials, IsOk());
  EXPECT_TRUE(credentials->Matches("prometheus", "secret"));
  EXPECT_FALSE(credentials->Matches("prometheus", "Secret"));
  EXPECT_FALSE(credentials->Matches("prometheus", ""));
  EXPECT_FALSE(credentials->Matches("grafana", "secret"));
  EXPECT_FALSE(credentials->Matches("", ""));
}

TEST_F(BasicAuthCredentialsTest, UpperCaseDigestIsAccepted) {
  dir_.WriteFile("metrics.password", absl::AsciiStrToUpper(kSecretDigest));
  auto credentials = BasicAuthCredentials::Load(auth_, dir_.path());
  ASSERT_THAT(credentials, IsOk());
  EXPECT_TRUE(credentials->Matches("prometheus", "secret"));
}

TEST_F(BasicAuthCredentialsTest, FileReadableByOthersIsRefused) {
  const std::string path = dir_.WriteFile("metrics.password", kSecretDigest, 0640);
  EXPECT_THAT(BasicAuthCredentials::Load(auth_, dir_.path()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       absl::StrCat("metrics_security.basic_auth.password_file: ", path,
                                    " is readable by other users; run: chmod 600 ", path)));
}

TEST_F(BasicAuthCredentialsTest, MissingFileNamesTheKey) {
  EXPECT_THAT(BasicAuthCredentials::Load(auth_, dir_.path()),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("metrics_security.basic_auth.password_file: cannot read")));
}

TEST_F(BasicAuthCredentialsTest, PlainPasswordInsteadOfDigestIsRefusedWithTheRecipe) {
  for (const std::string& content :
       {std::string("secret\n"), std::string(kSecretDigest).substr(1),
        absl::StrCat("z", std::string(kSecretDigest).substr(1)), std::string()}) {
    const std::string path = dir_.WriteFile("metrics.password", content);
    EXPECT_THAT(
        BasicAuthCredentials::Load(auth_, dir_.path()),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 absl::StrCat("metrics_security.basic_auth.password_file: ", path,
                              " does not hold a SHA-256 hex digest (64 hex digits); make it "
                              "with: printf %s 'password' | sha256sum | cut -d' ' -f1 > ",
                              path)))
        << content;
  }
}

TEST(ReadSecretFileTest, OwnerOnlyFileIsRead) {
  TempDir dir;
  const std::string path = dir.WriteFile("key.pem", "key", 0400);
  auto content = ReadSecretFile("metrics_security.tls.private_key", path);
  ASSERT_THAT(content, IsOk());
  EXPECT_EQ(*content, "key");
  ASSERT_EQ(::chmod(path.c_str(), 0604), 0);
  EXPECT_THAT(ReadSecretFile("metrics_security.tls.private_key", path),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("metrics_security.tls.private_key: ")));
}

}  // namespace
}  // namespace vroeg
