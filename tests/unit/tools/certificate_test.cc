#include "common/certificate.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tools/pki/pki.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::vroeg::testing::ReadWholeFile;
using ::vroeg::testing::TempDir;
using ::vroeg::testing::WriteFile;

class CertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki::InitCa(pki::CaOptions{temp_.path(), "flevoland"}, clock_).ok());
    pki::IssueOptions o;
    o.ca_dir = temp_.path();
    o.identity = "urn:vroeg:provider:12345678";
    auto issued = pki::Issue(o, clock_);
    ASSERT_TRUE(issued.ok()) << issued.status();
    ca_pem_ = ReadWholeFile(temp_.Sub("ca.crt"));
    leaf_pem_ = ReadWholeFile(issued->certificate_path);
    key_pem_ = ReadWholeFile(issued->key_path);
  }

  absl::Time start_ = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  FakeClock clock_{start_};
  TempDir temp_;
  std::string ca_pem_, leaf_pem_, key_pem_;
};

TEST_F(CertificateTest, ParsesFirstCertificate) {
  auto info = ParseCertificatePem(absl::StrCat(leaf_pem_, ca_pem_));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->subject, "CN=urn:vroeg:provider:12345678,O=Vroeg");
  EXPECT_EQ(info->issuer, "CN=Vroeg CA flevoland,O=Vroeg");
  EXPECT_THAT(info->uri_sans, ElementsAre("urn:vroeg:provider:12345678"));
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->not_before, start_ - absl::Minutes(5));
  EXPECT_EQ(info->not_after, start_ + absl::Hours(24 * 397));
  EXPECT_THAT(info->serial_hex, SizeIs(32));
}

TEST_F(CertificateTest, SkipsOtherPemBlocks) {
  auto info = ParseCertificatePem(absl::StrCat(key_pem_, ca_pem_));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->is_ca);
}

TEST_F(CertificateTest, GarbageIsInvalidArgument) {
  for (const std::string& pem :
       {std::string(), std::string("garbage"), key_pem_,
        std::string("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"),
        leaf_pem_.substr(0, leaf_pem_.size() / 2)}) {
    auto info = ParseCertificatePem(pem);
    EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument) << info.status();
    EXPECT_THAT(info.status().message(), HasSubstr("PEM certificate"));
  }
}

TEST_F(CertificateTest, ReadsEveryCertificateInAFile) {
  std::string path = temp_.Sub("bundle.pem");
  WriteFile(path, absl::StrCat(leaf_pem_, ca_pem_));
  auto certs = ReadCertificateFile(path);
  ASSERT_TRUE(certs.ok()) << certs.status();
  ASSERT_THAT(*certs, SizeIs(2));
  EXPECT_FALSE((*certs)[0].is_ca);
  EXPECT_TRUE((*certs)[1].is_ca);
}

TEST_F(CertificateTest, MissingFileIsNotFound) {
  std::string path = temp_.Sub("absent.crt");
  auto certs = ReadCertificateFile(path);
  EXPECT_EQ(certs.status().code(), absl::StatusCode::kNotFound) << certs.status();
  EXPECT_THAT(certs.status().message(), HasSubstr(path));
}

TEST_F(CertificateTest, BadFileIsInvalidArgumentNamingIt) {
  std::string path = temp_.Sub("bad.crt");
  WriteFile(path, "not a certificate\n");
  auto certs = ReadCertificateFile(path);
  EXPECT_EQ(certs.status().code(), absl::StatusCode::kInvalidArgument) << certs.status();
  EXPECT_THAT(certs.status().message(), HasSubstr(path));

  // A good certificate followed by a damaged one is refused rather than silently truncated.
  WriteFile(path, absl::StrCat(ca_pem_, leaf_pem_.substr(0, leaf_pem_.size() - 40)));
  EXPECT_EQ(ReadCertificateFile(path).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vroeg
