#include "common/reporter_certificate.h"

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/openssl_ptr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace vroeg {

void PrintTo(const ReporterId& id, std::ostream* os) { *os << id.Urn(); }

namespace {

namespace api = ::vroeg::api::v1;
namespace types = ::vroeg::type::v1;

using ::testing::StartsWith;
using vroeg::testing::IsOkAndHolds;
using vroeg::testing::StatusIs;

struct San {
  int type;  // GEN_URI or GEN_DNS
  std::string value;
};

// A throwaway self-signed certificate for CN=<common_name> with the given subjectAltNames (none
// at all when `sans` is empty), as PEM. Fails the test and returns "" when OpenSSL refuses.
std::string SelfSignedPem(const std::string& common_name, const std::vector<San>& sans) {
  KeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (key == nullptr || cert == nullptr) {
    ADD_FAILURE() << "cannot create key or certificate";
    return "";
  }
  bool ok = X509_set_version(cert.get(), 2) == 1 &&
            ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 4242) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600) != nullptr;
  X509_NAME* name = X509_get_subject_name(cert.get());
  ok = ok &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                  -1, 0) == 1 &&
       X509_set_issuer_name(cert.get(), name) == 1 && X509_set_pubkey(cert.get(), key.get()) == 1;
  if (ok && !sans.empty()) {
    GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
    for (const San& san : sans) {
      GENERAL_NAME* general_name = GENERAL_NAME_new();
      ASN1_IA5STRING* text = ASN1_IA5STRING_new();
      ASN1_STRING_set(text, san.value.data(), static_cast<int>(san.value.size()));
      GENERAL_NAME_set0_value(general_name, san.type, text);
      sk_GENERAL_NAME_push(names.get(), general_name);
    }
    ok = X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) ==
         1;
  }
  ok = ok && X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  BioPtr bio(BIO_new(BIO_s_mem()));
  ok = ok && bio != nullptr && PEM_write_bio_X509(bio.get(), cert.get()) == 1;
  if (!ok) {
    ADD_FAILURE() << "OpenSSL could not build the test certificate";
    return "";
  }
  BUF_MEM* memory = nullptr;
  BIO_get_mem_ptr(bio.get(), &memory);
  return std::string(memory->data, memory->length);
}

std::string PrivateKeyPem() {
  KeyPtr key(EVP_EC_gen("P-256"));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (key == nullptr || bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ADD_FAILURE() << "cannot create a private key";
    return "";
  }
  BUF_MEM* memory = nullptr;
  BIO_get_mem_ptr(bio.get(), &memory);
  return std::string(memory->data, memory->length);
}

San Uri(const std::string& value) { return {GEN_URI, value}; }
San Dns(const std::string& value) { return {GEN_DNS, value}; }

constexpr absl::StatusCode kUnauthenticated = absl::StatusCode::kUnauthenticated;

TEST(ReporterFromCertificatePemTest, OneVroegUrnIsTheReporter) {
  EXPECT_THAT(
      ReporterFromCertificatePem(SelfSignedPem("agent", {Uri("urn:vroeg:provider:12345678")})),
      IsOkAndHolds(ReporterId{types::REPORTER_KIND_PROVIDER, "12345678"}));
}

TEST(ReporterFromCertificatePemTest, OtherSansAreIgnored) {
  EXPECT_THAT(ReporterFromCertificatePem(
                  SelfSignedPem("agent", {Dns("agent.example.nl"), Uri("https://example.nl/agent"),
                                          Uri("urn:vroeg:certified_institution:87654321")})),
              IsOkAndHolds(ReporterId{types::REPORTER_KIND_CERTIFIED_INSTITUTION, "87654321"}));
}

TEST(ReporterFromCertificatePemTest, MunicipalityCodeIsNormalised) {
  EXPECT_THAT(
      ReporterFromCertificatePem(SelfSignedPem("almere", {Uri("urn:vroeg:municipality:0034")})),
      IsOkAndHolds(ReporterId{types::REPORTER_KIND_MUNICIPALITY, "GM0034"}));
}

TEST(ReporterFromCertificatePemTest, NoSubjectAltNameAtAll) {
  EXPECT_THAT(ReporterFromCertificatePem(SelfSignedPem("agent", {})),
              StatusIs(kUnauthenticated,
                       "certificate 'CN=agent' carries no urn:vroeg:<kind>:<id> URI SAN; issue "
                       "one with vroegctl pki issue"));
}

TEST(ReporterFromCertificatePemTest, NoVroegUrn) {
  EXPECT_THAT(
      ReporterFromCertificatePem(SelfSignedPem(
          "collector.example.nl", {Dns("collector.example.nl"), Uri("urn:other:provider:12345678"),
                                   Uri("URN:VROEG:provider:12345678")})),
      StatusIs(kUnauthenticated,
               "certificate 'CN=collector.example.nl' carries no urn:vroeg:<kind>:<id> "
               "URI SAN; issue one with vroegctl pki issue"));
}

TEST(ReporterFromCertificatePemTest, MoreThanOneVroegUrn) {
  EXPECT_THAT(ReporterFromCertificatePem(SelfSignedPem(
                  "agent", {Uri("urn:vroeg:provider:12345678"), Dns("agent.example.nl"),
                            Uri("urn:vroeg:provider:87654321")})),
              StatusIs(kUnauthenticated,
                       "certificate 'CN=agent' names more than one reporter "
                       "(urn:vroeg:provider:12345678, urn:vroeg:provider:87654321); a "
                       "certificate must name exactly one"));
}

TEST(ReporterFromCertificatePemTest, TheSameUrnTwiceIsStillTwo) {
  EXPECT_THAT(
      ReporterFromCertificatePem(SelfSignedPem(
          "agent", {Uri("urn:vroeg:provider:12345678"), Uri("urn:vroeg:provider:12345678")})),
      StatusIs(kUnauthenticated, ::testing::HasSubstr("names more than one reporter")));
}

TEST(ReporterFromCertificatePemTest, MalformedUrn) {
  EXPECT_THAT(
      ReporterFromCertificatePem(SelfSignedPem("agent", {Uri("urn:vroeg:provider:123")})),
      StatusIs(kUnauthenticated,
               "certificate identity is malformed: 'urn:vroeg:provider:123': '123' is not an AGB "
               "code: expected exactly 8 digits"));
  EXPECT_THAT(
      ReporterFromCertificatePem(SelfSignedPem("agent", {Uri("urn:vroeg:hospital:12345678")})),
      StatusIs(kUnauthenticated,
               "certificate identity is malformed: unknown reporter kind 'hospital'; expected one "
               "of provider, certified_institution, municipality, region, supervisor"));
}

TEST(ReporterFromCertificatePemTest, EmbeddedNulDoesNotSmuggleAnIdentity) {
  const std::string smuggled("urn:vroeg:provider:12345678\0.evil", 33);
  EXPECT_THAT(ReporterFromCertificatePem(SelfSignedPem("agent", {Uri(smuggled)})),
              StatusIs(kUnauthenticated, StartsWith("certificate identity is malformed: ")));
}

TEST(ReporterFromCertificatePemTest, NotACertificate) {
  for (const std::string& pem :
       {std::string(), std::string("garbage"),
        std::string("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
                    "-----END CERTIFICATE-----\n"),
        PrivateKeyPem()}) {
    EXPECT_THAT(ReporterFromCertificatePem(pem),
                StatusIs(kUnauthenticated, StartsWith("client certificate unreadable: ")))
        << pem;
  }
}

}  // namespace
}  // namespace vroeg
