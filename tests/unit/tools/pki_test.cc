#include "tools/pki/pki.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/certificate.h"
#include "common/clock.h"
#include "common/openssl_ptr.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace vroeg::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::vroeg::testing::FileMode;
using ::vroeg::testing::ReadWholeFile;
using ::vroeg::testing::TempDir;

template <auto kFree>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    kFree(p);
  }
};

X509Ptr LoadCertificate(const std::string& path) {
  std::string pem = ReadWholeFile(path);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

KeyPtr LoadKey(const std::string& path) {
  std::string pem = ReadWholeFile(path);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return KeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// Verifies `leaf` against `ca` for a TLS purpose at `when`; returns the verification error.
int Verify(X509* ca, X509* leaf, int purpose, absl::Time when) {
  X509StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca);
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(when));
  if (X509_verify_cert(ctx.get()) == 1) return X509_V_OK;
  return X509_STORE_CTX_get_error(ctx.get());
}

std::vector<std::string> IndexLines(const std::string& ca_dir) {
  return absl::StrSplit(ReadWholeFile((std::filesystem::path(ca_dir) / kIndexFile).string()), '\n',
                        absl::SkipEmpty());
}

size_t CountEntries(const std::string& dir) {
  std::error_code error;
  auto entries = std::filesystem::directory_iterator(dir, error);
  return error ? 0 : static_cast<size_t>(std::distance(begin(entries), end(entries)));
}

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCa(CaOptions{ca_dir_, "flevoland"}, clock_).ok()); }

  IssueOptions Client(const std::string& urn) const {
    IssueOptions o;
    o.ca_dir = ca_dir_;
    o.identity = urn;
    return o;
  }

  IssueOptions Server(std::vector<std::string> dns, std::vector<std::string> ips) const {
    IssueOptions o;
    o.ca_dir = ca_dir_;
    o.server = true;
    o.dns_names = std::move(dns);
    o.ip_addresses = std::move(ips);
    return o;
  }

  std::string CaFile(const std::string& name) const {
    return (std::filesystem::path(ca_dir_) / name).string();
  }

  // Certificates keep whole seconds; a fixed, whole-second time makes expiries exact.
  absl::Time start_ = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  FakeClock clock_{start_};
  TempDir temp_;
  std::string ca_dir_ = temp_.Sub("ca");
};

TEST_F(PkiTest, InitCaCreatesPrivateKeyAndPublicCertificate) {
  EXPECT_EQ(FileMode(ca_dir_), 0700);
  EXPECT_EQ(FileMode(CaFile("ca.key")), 0600);
  EXPECT_EQ(FileMode(CaFile("ca.crt")), 0644);
  EXPECT_EQ(ReadWholeFile(CaFile("index.tsv")), "serial\tidentity\tnot_after\tcertificate\n");

  auto certs = ReadCertificateFile(CaFile("ca.crt"));
  ASSERT_TRUE(certs.ok()) << certs.status();
  ASSERT_THAT(*certs, SizeIs(1));
  const CertificateInfo& ca = certs->front();
  EXPECT_TRUE(ca.is_ca);
  EXPECT_EQ(ca.subject, "CN=Vroeg CA flevoland,O=Vroeg");
  EXPECT_EQ(ca.issuer, ca.subject);
  EXPECT_EQ(ca.not_before, start_ - absl::Minutes(5));
  EXPECT_EQ(ca.not_after, start_ + absl::Hours(24 * 3650));
  EXPECT_THAT(ca.uri_sans, IsEmpty());
  EXPECT_THAT(ca.serial_hex, SizeIs(32));

  X509Ptr cert = LoadCertificate(CaFile("ca.crt"));
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_NE(X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN, 0u);
  EXPECT_NE(X509_get_key_usage(cert.get()) & KU_CRL_SIGN, 0u);
  EXPECT_EQ(X509_get_pathlen(cert.get()), 0);
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  KeyPtr key = LoadKey(CaFile("ca.key"));
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_id(key.get()), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 256);
}

TEST_F(PkiTest, SecondInitCaNeedsForce) {
  std::string old_pem = ReadWholeFile(CaFile("ca.crt"));
  absl::Status again = InitCa(CaOptions{ca_dir_, "flevoland"}, clock_);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists) << again;
  EXPECT_THAT(again.message(), HasSubstr("--force"));
  EXPECT_EQ(ReadWholeFile(CaFile("ca.crt")), old_pem);

  CaOptions forced{ca_dir_, "flevoland"};
  forced.force = true;
  ASSERT_TRUE(InitCa(forced, clock_).ok());
  EXPECT_NE(ReadWholeFile(CaFile("ca.crt")), old_pem);
  EXPECT_EQ(FileMode(CaFile("ca.key")), 0600);
  EXPECT_EQ(CountEntries(ca_dir_), 3u);  // No temporary files.
}

TEST_F(PkiTest, InitCaRejectsBadRegionAndValidity) {
  TempDir other;
  for (const std::string& region :
       std::vector<std::string>{"", "Flevoland", "noord holland", std::string(56, 'a')}) {
    absl::Status status = InitCa(CaOptions{other.Sub("ca"), region}, clock_);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << region << ": " << status;
  }
  CaOptions zero_days{other.Sub("ca"), "flevoland"};
  zero_days.validity_days = 0;
  EXPECT_EQ(InitCa(zero_days, clock_).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(other.Sub("ca")));
}

TEST_F(PkiTest, KeysArePrivateEvenWithPermissiveUmask) {
  mode_t old_umask = ::umask(0);
  TempDir other;
  absl::Status init = InitCa(CaOptions{other.Sub("ca"), "flevoland"}, clock_);
  IssueOptions o = Client("urn:vroeg:provider:12345678");
  o.ca_dir = other.Sub("ca");
  auto issued = Issue(o, clock_);
  ::umask(old_umask);
  ASSERT_TRUE(init.ok()) << init;
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(FileMode(other.Sub("ca/ca.key")), 0600);
  EXPECT_EQ(FileMode(issued->key_path), 0600);
  EXPECT_EQ(FileMode(issued->certificate_path), 0644);
}

TEST_F(PkiTest, IssuesClientCertificateForReporter) {
  auto issued = Issue(Client("urn:vroeg:provider:12345678"), clock_);
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->identity, "urn:vroeg:provider:12345678");
  EXPECT_EQ(issued->certificate_path, CaFile("provider-12345678.crt"));
  EXPECT_EQ(issued->key_path, CaFile("provider-12345678.key"));
  EXPECT_EQ(issued->not_after, start_ + absl::Hours(24 * 397));
  EXPECT_EQ(FileMode(issued->key_path), 0600);
  EXPECT_EQ(FileMode(issued->certificate_path), 0644);

  X509Ptr ca = LoadCertificate(CaFile("ca.crt"));
  X509Ptr cert = LoadCertificate(issued->certificate_path);
  KeyPtr key = LoadKey(issued->key_path);
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(cert, nullptr);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(Verify(ca.get(), cert.get(), X509_PURPOSE_SSL_CLIENT, start_), X509_V_OK);
  EXPECT_NE(Verify(ca.get(), cert.get(), X509_PURPOSE_SSL_SERVER, start_), X509_V_OK);
  // Valid from five minutes before issue, to tolerate clocks running slow.
  EXPECT_EQ(Verify(ca.get(), cert.get(), X509_PURPOSE_SSL_CLIENT, start_ - absl::Minutes(4)),
            X509_V_OK);
  EXPECT_EQ(Verify(ca.get(), cert.get(), X509_PURPOSE_SSL_CLIENT, start_ + absl::Hours(24 * 398)),
            X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 256);
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
  EXPECT_NE(X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE, 0u);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_NE(X509_get0_authority_key_id(cert.get()), nullptr);

  auto info = ParseCertificatePem(ReadWholeFile(issued->certificate_path));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->uri_sans, ElementsAre("urn:vroeg:provider:12345678"));
  EXPECT_THAT(info->dns_sans, IsEmpty());
  EXPECT_THAT(info->ip_sans, IsEmpty());
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->subject, "CN=urn:vroeg:provider:12345678,O=Vroeg");
  EXPECT_EQ(info->issuer, "CN=Vroeg CA flevoland,O=Vroeg");
  EXPECT_EQ(info->serial_hex, issued->serial_hex);
  EXPECT_THAT(issued->serial_hex, SizeIs(32));
  EXPECT_EQ(info->not_before, start_ - absl::Minutes(5));
  EXPECT_EQ(info->not_after, issued->not_after);

  std::vector<std::string> lines = IndexLines(ca_dir_);
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_EQ(lines[1], absl::StrCat(issued->serial_hex, "\turn:vroeg:provider:12345678\t",
                                   absl::FormatTime(absl::RFC3339_sec, issued->not_after,
                                                    absl::UTCTimeZone()),
                                   "\t", issued->certificate_path));
}

TEST_F(PkiTest, SerialsDiffer) {
  auto first = Issue(Client("urn:vroeg:provider:12345678"), clock_);
  auto second = Issue(Client("urn:vroeg:certified_institution:87654321"), clock_);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(first->serial_hex, second->serial_hex);
  EXPECT_EQ(second->certificate_path, CaFile("certified_institution-87654321.crt"));
  EXPECT_THAT(IndexLines(ca_dir_), SizeIs(3));
}

TEST_F(PkiTest, BareMunicipalityCodeIsNormalised) {
  auto issued = Issue(Client("urn:vroeg:municipality:0171"), clock_);
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->identity, "urn:vroeg:municipality:GM0171");
  EXPECT_EQ(issued->certificate_path, CaFile("municipality-GM0171.crt"));
  auto info = ParseCertificatePem(ReadWholeFile(issued->certificate_path));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->uri_sans, ElementsAre("urn:vroeg:municipality:GM0171"));
}

TEST_F(PkiTest, BadIdentitiesAreRefused) {
  for (const char* urn : {"urn:vroeg:provider:1234", "urn:vroeg:alien:1", "provider:12345678",
                          "urn:vroeg:provider", "urn:vroeg:provider:12345678,URI:urn:x", ""}) {
    auto issued = Issue(Client(urn), clock_);
    EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument)
        << urn << ": " << issued.status();
  }
  EXPECT_THAT(IndexLines(ca_dir_), SizeIs(1));
  EXPECT_EQ(CountEntries(ca_dir_), 3u);
}

TEST_F(PkiTest, IssuesServerCertificateWithNames) {
  IssueOptions o = Server({"Collector.Example.nl", "localhost"}, {"192.0.2.10", "2001:DB8::1"});
  o.out_dir = temp_.Sub("server");
  auto issued = Issue(o, clock_);
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->identity, "collector.example.nl");
  EXPECT_EQ(issued->certificate_path, temp_.Sub("server/server.crt"));
  EXPECT_EQ(FileMode(temp_.Sub("server")), 0700);

  auto info = ParseCertificatePem(ReadWholeFile(issued->certificate_path));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->dns_sans, ElementsAre("collector.example.nl", "localhost"));
  EXPECT_THAT(info->ip_sans, ElementsAre("192.0.2.10", "2001:db8::1"));
  EXPECT_THAT(info->uri_sans, IsEmpty());
  EXPECT_EQ(info->subject, "CN=collector.example.nl,O=Vroeg");

  X509Ptr ca = LoadCertificate(CaFile("ca.crt"));
  X509Ptr cert = LoadCertificate(issued->certificate_path);
  KeyPtr key = LoadKey(issued->key_path);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(Verify(ca.get(), cert.get(), X509_PURPOSE_SSL_SERVER, start_), X509_V_OK);
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "collector.example.nl", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "other.example.nl", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "192.0.2.10", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "2001:db8::1", 0), 1);
}

TEST_F(PkiTest, ServerCertificateWithOnlyAnIpIsNamedByIt) {
  auto issued = Issue(Server({}, {"10.1.2.3"}), clock_);
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->identity, "10.1.2.3");
  EXPECT_EQ(issued->certificate_path, CaFile("server.crt"));
}

TEST_F(PkiTest, BadServerNamesAreRefused) {
  std::vector<IssueOptions> bad = {
      Server({"*.example.nl"}, {}),
      Server({"collector.*.nl"}, {}),
      Server({}, {}),
      Server({"-bad.example.nl"}, {}),
      Server({"a..b"}, {}),
      Server({"a,b.nl"}, {}),
      Server({}, {"300.1.1.1"}),
      Server({}, {"collector.example.nl"}),
  };
  IssueOptions both = Server({"collector.example.nl"}, {});
  both.identity = "urn:vroeg:provider:12345678";
  bad.push_back(both);
  IssueOptions client_with_dns = Client("urn:vroeg:provider:12345678");
  client_with_dns.dns_names = {"collector.example.nl"};
  bad.push_back(client_with_dns);
  for (const IssueOptions& o : bad) {
    auto issued = Issue(o, clock_);
    EXPECT_EQ(issued.status().code(), absl::StatusCode::kInvalidArgument)
        << (o.dns_names.empty() ? "" : o.dns_names[0]) << ": " << issued.status();
  }
  auto wildcard = Issue(Server({"*.example.nl"}, {}), clock_);
  EXPECT_THAT(wildcard.status().message(), HasSubstr("wildcard"));
}

TEST_F(PkiTest, BadFileNamesAreRefused) {
  for (const char* name : {"ca", "../escape", "a/b", ".hidden", "sp ace"}) {
    IssueOptions o = Client("urn:vroeg:provider:12345678");
    o.name = name;
    EXPECT_EQ(Issue(o, clock_).status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST_F(PkiTest, IssueWithoutCaFailsWithHint) {
  IssueOptions o = Client("urn:vroeg:provider:12345678");
  o.ca_dir = temp_.Sub("nothing-here");
  auto issued = Issue(o, clock_);
  EXPECT_EQ(issued.status().code(), absl::StatusCode::kFailedPrecondition) << issued.status();
  EXPECT_THAT(issued.status().message(),
              HasSubstr(absl::StrCat("vroegctl pki init --dir ", o.ca_dir)));
}

TEST_F(PkiTest, ExistingOutputNeedsForce) {
  auto first = Issue(Client("urn:vroeg:provider:12345678"), clock_);
  ASSERT_TRUE(first.ok()) << first.status();
  std::string old_key = ReadWholeFile(first->key_path);

  auto again = Issue(Client("urn:vroeg:provider:12345678"), clock_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  EXPECT_THAT(again.status().message(), HasSubstr("--force"));
  EXPECT_EQ(ReadWholeFile(first->key_path), old_key);
  EXPECT_THAT(IndexLines(ca_dir_), SizeIs(2));

  IssueOptions forced = Client("urn:vroeg:provider:12345678");
  forced.force = true;
  auto replaced = Issue(forced, clock_);
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_NE(ReadWholeFile(replaced->key_path), old_key);
  EXPECT_NE(replaced->serial_hex, first->serial_hex);
  EXPECT_EQ(FileMode(replaced->key_path), 0600);
  EXPECT_EQ(FileMode(replaced->certificate_path), 0644);
  X509Ptr cert = LoadCertificate(replaced->certificate_path);
  KeyPtr key = LoadKey(replaced->key_path);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_THAT(IndexLines(ca_dir_), SizeIs(3));
  // ca.key, ca.crt, index.tsv and the pair; no temporary files left behind.
  EXPECT_EQ(CountEntries(ca_dir_), 5u);
}

TEST_F(PkiTest, ReadableCaKeyIsRefused) {
  ASSERT_EQ(::chmod(CaFile("ca.key").c_str(), 0640), 0);
  auto issued = Issue(Client("urn:vroeg:provider:12345678"), clock_);
  EXPECT_EQ(issued.status().code(), absl::StatusCode::kFailedPrecondition) << issued.status();
  EXPECT_THAT(issued.status().message(), HasSubstr("chmod 600"));
}

TEST_F(PkiTest, MismatchedCaKeyIsRefused) {
  TempDir other;
  ASSERT_TRUE(InitCa(CaOptions{other.path(), "flevoland"}, clock_).ok());
  std::filesystem::copy_file(other.Sub("ca.key"), CaFile("ca.key"),
                             std::filesystem::copy_options::overwrite_existing);
  auto issued = Issue(Client("urn:vroeg:provider:12345678"), clock_);
  EXPECT_EQ(issued.status().code(), absl::StatusCode::kFailedPrecondition) << issued.status();
}

TEST_F(PkiTest, CertificateMayNotOutliveCa) {
  IssueOptions o = Client("urn:vroeg:provider:12345678");
  o.validity_days = 3651;
  EXPECT_EQ(Issue(o, clock_).status().code(), absl::StatusCode::kFailedPrecondition);

  clock_.Advance(absl::Hours(24 * 3651));
  EXPECT_EQ(Issue(Client("urn:vroeg:provider:12345678"), clock_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace vroeg::pki
