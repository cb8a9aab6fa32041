#include "common/revocation_list.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/certificate.h"
#include "common/clock.h"
#include "common/openssl_ptr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tools/pki/pki.h"

namespace vroeg {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;
using ::vroeg::testing::IsOk;
using ::vroeg::testing::ReadWholeFile;
using ::vroeg::testing::StatusIs;
using ::vroeg::testing::TempDir;

// Changes one byte of the first revoked serial inside the signed part of `crl_pem`, as someone
// quietly un-revoking a certificate would, and returns the result as PEM.
std::string AlterRevokedSerial(const std::string& crl_pem) {
  BioPtr in(BIO_new_mem_buf(crl_pem.data(), static_cast<int>(crl_pem.size())));
  CrlPtr crl(PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr));
  if (crl == nullptr || sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())) == 0) {
    ADD_FAILURE() << "the CRL lists nothing to alter";
    return crl_pem;
  }
  const ASN1_INTEGER* serial =
      X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl.get()), 0));
  std::string serial_bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                           static_cast<size_t>(ASN1_STRING_length(serial)));
  unsigned char* der = nullptr;
  int length = i2d_X509_CRL(crl.get(), &der);
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  size_t at = bytes.find(serial_bytes);
  if (at == std::string::npos) {
    ADD_FAILURE() << "serial not found in the CRL's encoding";
    return crl_pem;
  }
  bytes[at + serial_bytes.size() - 1] ^= 0x01;

  const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
  CrlPtr altered(d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size())));
  BioPtr out(BIO_new(BIO_s_mem()));
  if (altered == nullptr || PEM_write_bio_X509_CRL(out.get(), altered.get()) != 1) {
    ADD_FAILURE() << "cannot re-encode the altered CRL";
    return crl_pem;
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// A copy of the CA certificate in `ca_dir`, same name and key, but whose keyUsage lacks cRLSign.
std::string CaCertificateWithoutCrlSign(const std::string& ca_dir) {
  std::string cert_pem = ReadWholeFile(ca_dir + "/ca.crt");
  std::string key_pem = ReadWholeFile(ca_dir + "/ca.key");
  BioPtr cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  X509Ptr ca(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  X509Ptr cert(X509_new());
  if (ca == nullptr || key == nullptr || cert == nullptr) {
    ADD_FAILURE() << "cannot read the CA in " << ca_dir;
    return "";
  }
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 2);
  X509_set_subject_name(cert.get(), X509_get_subject_name(ca.get()));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
  X509_set1_notBefore(cert.get(), X509_get0_notBefore(ca.get()));
  X509_set1_notAfter(cert.get(), X509_get0_notAfter(ca.get()));
  X509_set_pubkey(cert.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "critical,keyCertSign"}}) {
    ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
    X509_add_ext(cert.get(), ext.get(), -1);
  }
  X509_sign(cert.get(), key.get(), EVP_sha256());
  BioPtr out(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(out.get(), cert.get());
  char* data = nullptr;
  long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

class RevocationListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(pki::InitCa(pki::CaOptions{ca_.path(), "flevoland"}, clock_), IsOk());
    ca_pem_ = ReadWholeFile(ca_.Sub("ca.crt"));
  }

  std::string IssueClient(const std::string& urn) {
    pki::IssueOptions o;
    o.ca_dir = ca_.path();
    o.identity = urn;
    absl::StatusOr<pki::IssuedCertificate> issued = pki::Issue(o, clock_);
    EXPECT_THAT(issued, IsOk());
    return issued.ok() ? issued->certificate_path : "";
  }

  void Revoke(const std::string& urn) {
    pki::RevokeOptions o;
    o.ca_dir = ca_.path();
    o.identity = urn;
    EXPECT_THAT(pki::Revoke(o, clock_), IsOk());
  }

  std::string CrlPem() const { return ReadWholeFile(ca_.Sub("crl.pem")); }

  // Whole seconds, as CRLs store times.
  absl::Time start_ = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  FakeClock clock_{start_};
  TempDir ca_;
  std::string ca_pem_;
};

TEST_F(RevocationListTest, ParsesEmptyCrlOfNewCa) {
  absl::StatusOr<RevocationList> list = ParseRevocationListPem(CrlPem(), ca_pem_);
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->issuer, "CN=Vroeg CA flevoland,O=Vroeg");
  EXPECT_EQ(list->this_update, start_);
  EXPECT_EQ(list->next_update, start_ + absl::Hours(24 * 30));
  EXPECT_EQ(list->number, 1);
  EXPECT_THAT(list->revoked_serials_hex, IsEmpty());
}

TEST_F(RevocationListTest, RevokedSerialsMatchCertificateInfo) {
  std::string revoked_path = IssueClient("urn:vroeg:provider:12345678");
  std::string kept_path = IssueClient("urn:vroeg:provider:87654321");
  clock_.Advance(absl::Hours(2));
  Revoke("urn:vroeg:provider:12345678");

  absl::StatusOr<RevocationList> list = ParseRevocationListPem(CrlPem(), ca_pem_);
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->number, 2);
  EXPECT_EQ(list->this_update, start_ + absl::Hours(2));
  auto revoked = ParseCertificatePem(ReadWholeFile(revoked_path));
  auto kept = ParseCertificatePem(ReadWholeFile(kept_path));
  ASSERT_THAT(revoked, IsOk());
  ASSERT_THAT(kept, IsOk());
  EXPECT_THAT(list->revoked_serials_hex, UnorderedElementsAre(revoked->serial_hex));
  EXPECT_FALSE(list->revoked_serials_hex.contains(kept->serial_hex));
  // The issuer is spelled as a certificate's issuer, so the two compare directly.
  EXPECT_EQ(list->issuer, revoked->issuer);
}

TEST_F(RevocationListTest, ExpiredCrlStillParses) {
  clock_.Advance(absl::Hours(24 * 31));
  absl::StatusOr<RevocationList> list = ParseRevocationListPem(CrlPem(), ca_pem_);
  ASSERT_THAT(list, IsOk());
  EXPECT_LT(list->next_update, clock_.Now());
}

TEST_F(RevocationListTest, CrlOfAnotherCaIsRefused) {
  TempDir other;
  ASSERT_THAT(pki::InitCa(pki::CaOptions{other.path(), "utrecht"}, clock_), IsOk());
  EXPECT_THAT(ParseRevocationListPem(ReadWholeFile(other.Sub("crl.pem")), ca_pem_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("issued by 'CN=Vroeg CA utrecht,O=Vroeg'"),
                             HasSubstr("'CN=Vroeg CA flevoland,O=Vroeg'"))));
}

TEST_F(RevocationListTest, CrlOfAnotherCaWithTheSameNameIsRefused) {
  TempDir other;
  ASSERT_THAT(pki::InitCa(pki::CaOptions{other.path(), "flevoland"}, clock_), IsOk());
  EXPECT_THAT(ParseRevocationListPem(ReadWholeFile(other.Sub("crl.pem")), ca_pem_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not verify")));
}

TEST_F(RevocationListTest, AlteredCrlIsRefused) {
  IssueClient("urn:vroeg:provider:12345678");
  Revoke("urn:vroeg:provider:12345678");
  std::string altered = AlterRevokedSerial(CrlPem());
  ASSERT_NE(altered, CrlPem());
  EXPECT_THAT(ParseRevocationListPem(altered, ca_pem_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("does not verify"), HasSubstr("altered"))));
}

TEST_F(RevocationListTest, CaThatMayNotSignCrlsIsRefused) {
  std::string ca_pem = CaCertificateWithoutCrlSign(ca_.path());
  EXPECT_THAT(ParseRevocationListPem(CrlPem(), ca_pem),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cRLSign")));
}

TEST_F(RevocationListTest, FindsTheIssuerInABundle) {
  TempDir other;
  ASSERT_THAT(pki::InitCa(pki::CaOptions{other.path(), "utrecht"}, clock_), IsOk());
  std::string bundle = ReadWholeFile(other.Sub("ca.crt")) + ca_pem_;
  EXPECT_THAT(ParseRevocationListPem(CrlPem(), bundle), IsOk());
}

TEST_F(RevocationListTest, RefusesWhatIsNotACrl) {
  EXPECT_THAT(ParseRevocationListPem(ca_pem_, ca_pem_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("BEGIN X509 CRL")));
  EXPECT_THAT(ParseRevocationListPem("", ca_pem_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a PEM CRL")));
  EXPECT_THAT(
      ParseRevocationListPem("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", ca_pem_),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("malformed PEM CRL")));
}

TEST_F(RevocationListTest, RefusesCaWithoutCertificate) {
  EXPECT_THAT(ParseRevocationListPem(CrlPem(), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no CA certificate")));
  EXPECT_THAT(ParseRevocationListPem(CrlPem(), CrlPem()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no CA certificate")));
}

TEST_F(RevocationListTest, ReadFileNamesThePath) {
  absl::StatusOr<RevocationList> list = ReadRevocationListFile(ca_.Sub("crl.pem"), ca_pem_);
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->number, 1);

  std::string missing = ca_.Sub("missing.pem");
  EXPECT_THAT(ReadRevocationListFile(missing, ca_pem_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(missing)));
  std::string wrong = ca_.Sub("ca.crt");
  EXPECT_THAT(ReadRevocationListFile(wrong, ca_pem_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith(absl::StrCat("CRL file '", wrong, "': not a PEM CRL"))));
}

}  // namespace
}  // namespace vroeg
