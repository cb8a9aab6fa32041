// ClientTrust remembers chains it found good; what it remembers must never outlive what makes
// them good: the leaf's validity and this trust (CA and CRL) itself.

#include "server/client_trust.h"

#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/certificate_factory.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_region.h"

namespace vroeg::testing {
namespace {

constexpr char kProvider[] = "urn:vroeg:provider:98990012";

class ClientTrustTest : public ::testing::Test {
 protected:
  ClientTrustTest() {
    CertificateSpec spec;
    spec.uris = {kProvider};
    spec.valid_from = -absl::Hours(1);
    spec.valid_until = absl::Hours(1);
    spec.serial = 4242;
    const std::string stem = region_.dir() + "/short-lived";
    EXPECT_TRUE(WriteCertificate(region_.ca_dir(), spec, stem).ok());
    chain_ = ReadWholeFile(stem + ".crt");
    ca_ = ReadWholeFile(region_.ca_dir() + "/ca.crt");
  }

  TestRegion region_;
  std::string chain_;
  std::string ca_;
  const absl::Time now_ = absl::Now();
};

TEST_F(ClientTrustTest, AChainFoundGoodIsAnsweredAgainOnlyWithinItsValidity) {
  auto trust = ClientTrust::Create(ca_, std::nullopt);
  ASSERT_TRUE(trust.ok()) << trust.status();
  absl::string_view reason;
  auto first = (*trust)->Verify(chain_, now_, &reason);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->reporter.Urn(), kProvider);
  auto again = (*trust)->Verify(chain_, now_ + absl::Minutes(30), &reason);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->serial_hex, first->serial_hex);

  auto later = (*trust)->Verify(chain_, now_ + absl::Hours(2), &reason);
  EXPECT_EQ(later.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(reason, "expired");
  auto earlier = (*trust)->Verify(chain_, now_ - absl::Hours(2), &reason);
  EXPECT_EQ(earlier.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(reason, "not_yet_valid");
  // Good again once back within its validity.
  EXPECT_TRUE((*trust)->Verify(chain_, now_, &reason).ok());
}

TEST_F(ClientTrustTest, ATrustWithTheCertificateRevokedRefusesWhatTheOldOneRemembers) {
  auto before = ClientTrust::Create(ca_, std::nullopt);
  ASSERT_TRUE(before.ok()) << before.status();
  absl::string_view reason;
  auto verified = (*before)->Verify(chain_, now_, &reason);
  ASSERT_TRUE(verified.ok()) << verified.status();

  RevocationList crl;
  crl.revoked_serials_hex.insert(verified->serial_hex);
  auto after = ClientTrust::Create(ca_, crl);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ((*after)->Verify(chain_, now_, &reason).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(reason, "revoked");
}

TEST_F(ClientTrustTest, AnotherChainIsNotTakenForARememberedOne) {
  auto trust = ClientTrust::Create(ca_, std::nullopt);
  ASSERT_TRUE(trust.ok()) << trust.status();
  absl::string_view reason;
  ASSERT_TRUE((*trust)->Verify(chain_, now_, &reason).ok());
  std::string tampered = chain_;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE((*trust)->Verify(tampered, now_, &reason).ok());
}

}  // namespace
}  // namespace vroeg::testing
