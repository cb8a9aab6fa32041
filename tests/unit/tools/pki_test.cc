#include "tools/pki/pki.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/certificate.h"
#include "common/clock.h"
#include "common/openssl_ptr.h"
#include "common/revocation_list.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace vroeg::pki {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using ::vroeg::testing::FileMode;
using ::vroeg::testing::IsOk;
using ::vroeg::testing::IsOkAndHolds;
using ::vroeg::testing::ReadWholeFile;
using ::vroeg::testing::StatusIs;
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

CrlPtr LoadCrl(const std::string& path) {
  std::string pem = ReadWholeFile(path);
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return CrlPtr(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
}

// The CRL's entries as serial (lower-case hex) to reason code, -1 for an entry without one.
std::map<std::string, long> CrlReasons(const std::string& path) {
  std::map<std::string, long> reasons;
  CrlPtr crl = LoadCrl(path);
  if (crl == nullptr) {
    ADD_FAILURE() << "cannot read the CRL " << path;
    return reasons;
  }
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    BignumPtr bn(ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(entry), nullptr));
    char* hex = BN_bn2hex(bn.get());
    std::string serial = absl::AsciiStrToLower(hex);
    OPENSSL_free(hex);
    EnumeratedPtr code(static_cast<ASN1_ENUMERATED*>(
        X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr)));
    reasons[serial] = code == nullptr ? -1 : ASN1_ENUMERATED_get(code.get());
  }
  return reasons;
}

// The full path of `program` found on PATH, or nullopt.
std::optional<std::string> FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", program);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// Runs `args` (no shell) with stdout and stderr in `output_path`; returns the exit code.
int RunCommand(std::vector<std::string> args, const std::string& output_path) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid;
  int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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

  // Issues a client certificate and returns its serial; empty (and a failure) if that fails.
  std::string IssueClient(const std::string& urn, const std::string& name = "") {
    IssueOptions o = Client(urn);
    o.name = name;
    absl::StatusOr<IssuedCertificate> issued = Issue(o, clock_);
    EXPECT_THAT(issued, IsOk());
    return issued.ok() ? issued->serial_hex : "";
  }

  RevokeOptions RevokeSerial(const std::string& serial,
                             RevocationReason reason = RevocationReason::kUnspecified) const {
    RevokeOptions o;
    o.ca_dir = ca_dir_;
    o.serial = serial;
    o.reason = reason;
    return o;
  }

  RevokeOptions RevokeIdentity(const std::string& identity) const {
    RevokeOptions o;
    o.ca_dir = ca_dir_;
    o.identity = identity;
    return o;
  }

  absl::StatusOr<RevocationList> ReadCrl() const {
    return ReadRevocationListFile(CaFile("crl.pem"), ReadWholeFile(CaFile("ca.crt")));
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
  EXPECT_EQ(FileMode(CaFile("crl.pem")), 0644);
  EXPECT_EQ(ReadWholeFile(CaFile("index.tsv")),
            "serial\tidentity\tnot_after\tcertificate\trevoked_at\treason\n");

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
  EXPECT_EQ(CountEntries(ca_dir_), 4u);  // No temporary files.
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
                                   "\t", issued->certificate_path, "\t\t"));
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
  EXPECT_EQ(CountEntries(ca_dir_), 4u);
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
  // ca.key, ca.crt, index.tsv, crl.pem and the pair; no temporary files left behind.
  EXPECT_EQ(CountEntries(ca_dir_), 6u);
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

TEST_F(PkiTest, InitCaWritesEmptySignedCrl) {
  absl::StatusOr<RevocationList> crl = ReadCrl();
  ASSERT_THAT(crl, IsOk());
  EXPECT_EQ(crl->issuer, "CN=Vroeg CA flevoland,O=Vroeg");
  EXPECT_EQ(crl->number, 1);
  EXPECT_EQ(crl->this_update, start_);
  EXPECT_EQ(crl->next_update, start_ + absl::Hours(24 * 30));
  EXPECT_THAT(crl->revoked_serials_hex, IsEmpty());

  CrlPtr raw = LoadCrl(CaFile("crl.pem"));
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(X509_CRL_get_version(raw.get()), X509_CRL_VERSION_2);
  EXPECT_EQ(X509_CRL_get_signature_nid(raw.get()), NID_ecdsa_with_SHA256);
  EXPECT_GE(X509_CRL_get_ext_by_NID(raw.get(), NID_authority_key_identifier, -1), 0);
}

TEST_F(PkiTest, InitCaTakesCrlDays) {
  TempDir other;
  CaOptions o{other.Sub("ca"), "flevoland"};
  o.crl_days = 7;
  ASSERT_THAT(InitCa(o, clock_), IsOk());
  auto crl = ReadRevocationListFile(other.Sub("ca/crl.pem"), ReadWholeFile(other.Sub("ca/ca.crt")));
  ASSERT_THAT(crl, IsOk());
  EXPECT_EQ(crl->next_update, start_ + absl::Hours(24 * 7));

  for (int days : {0, kMaxCrlDays + 1}) {
    CaOptions bad{other.Sub("bad"), "flevoland"};
    bad.crl_days = days;
    EXPECT_THAT(InitCa(bad, clock_),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("CRL")));
  }
}

TEST_F(PkiTest, RevokeBySerialMarksIndexAndListsItInCrl) {
  std::string revoked = IssueClient("urn:vroeg:provider:12345678");
  std::string kept = IssueClient("urn:vroeg:provider:87654321");
  clock_.Advance(absl::Hours(1));

  // As `openssl x509 -serial` prints it: upper case; the colon form is accepted too.
  std::string pasted = absl::AsciiStrToUpper(revoked);
  pasted.insert(2, ":");
  auto result = Revoke(RevokeSerial(pasted, RevocationReason::kKeyCompromise), clock_);
  ASSERT_THAT(result, IsOk());
  ASSERT_THAT(result->revoked, SizeIs(1));
  EXPECT_EQ(result->revoked[0].serial_hex, revoked);
  EXPECT_EQ(result->revoked[0].identity, "urn:vroeg:provider:12345678");
  EXPECT_THAT(result->revoked[0].revoked_at, Optional(start_ + absl::Hours(1)));
  EXPECT_EQ(result->revoked[0].reason, RevocationReason::kKeyCompromise);
  EXPECT_THAT(result->already_revoked, IsEmpty());
  ASSERT_TRUE(result->crl.has_value());
  EXPECT_EQ(result->crl->path, CaFile("crl.pem"));
  EXPECT_EQ(result->crl->number, 2);
  EXPECT_EQ(result->crl->revoked_count, 1u);
  EXPECT_EQ(result->crl->this_update, start_ + absl::Hours(1));
  EXPECT_EQ(result->crl->next_update, start_ + absl::Hours(1) + absl::Hours(24 * 30));

  std::vector<std::string> lines = IndexLines(ca_dir_);
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_THAT(
      lines[1],
      EndsWith(absl::StrCat(
          "\t", absl::FormatTime(absl::RFC3339_sec, start_ + absl::Hours(1), absl::UTCTimeZone()),
          "\tkeyCompromise")));
  EXPECT_THAT(lines[2], EndsWith("\t\t"));

  auto crl = ReadCrl();
  ASSERT_THAT(crl, IsOk());
  EXPECT_EQ(crl->number, 2);
  EXPECT_THAT(crl->revoked_serials_hex, UnorderedElementsAre(revoked));
  EXPECT_EQ(crl->revoked_serials_hex.count(kept), 0u);
  EXPECT_THAT(CrlReasons(CaFile("crl.pem")), ElementsAre(::testing::Pair(revoked, 1)));

  auto index = ReadIndex(ca_dir_);
  ASSERT_THAT(index, IsOk());
  ASSERT_THAT(*index, SizeIs(2));
  EXPECT_EQ(StateAt((*index)[0], clock_.Now()), CertificateState::kRevoked);
  EXPECT_EQ(StateAt((*index)[1], clock_.Now()), CertificateState::kValid);
}

TEST_F(PkiTest, RevokeByIdentityRevokesEveryCertificateOfIt) {
  std::string first = IssueClient("urn:vroeg:municipality:GM0171");
  std::string second = IssueClient("urn:vroeg:municipality:GM0171", "almere-2");
  std::string other = IssueClient("urn:vroeg:municipality:GM0034");

  // The bare municipality code is normalised as when issuing.
  auto result = Revoke(RevokeIdentity("urn:vroeg:municipality:0171"), clock_);
  ASSERT_THAT(result, IsOk());
  ASSERT_THAT(result->revoked, SizeIs(2));
  EXPECT_EQ(result->revoked[0].serial_hex, first);
  EXPECT_EQ(result->revoked[1].serial_hex, second);
  auto crl = ReadCrl();
  ASSERT_THAT(crl, IsOk());
  EXPECT_THAT(crl->revoked_serials_hex, UnorderedElementsAre(first, second));
  // Without a reason the entries carry no reason code, as RFC 5280 asks.
  EXPECT_THAT(CrlReasons(CaFile("crl.pem")),
              UnorderedElementsAre(::testing::Pair(first, -1), ::testing::Pair(second, -1)));
  EXPECT_THAT(IndexLines(ca_dir_)[1], EndsWith("\tunspecified"));
}

TEST_F(PkiTest, RevokesServerCertificateByName) {
  auto issued = Issue(Server({"collector.example.nl"}, {}), clock_);
  ASSERT_THAT(issued, IsOk());
  auto result = Revoke(RevokeIdentity("Collector.Example.NL"), clock_);
  ASSERT_THAT(result, IsOk());
  ASSERT_THAT(result->revoked, SizeIs(1));
  EXPECT_TRUE(result->revoked[0].IsServer());
  EXPECT_EQ(result->revoked[0].serial_hex, issued->serial_hex);
}

TEST_F(PkiTest, ReasonsBecomeRfc5280ReasonCodes) {
  std::map<std::string, long> expected;
  const std::vector<std::pair<RevocationReason, long>> reasons = {
      {RevocationReason::kKeyCompromise, 1},
      {RevocationReason::kAffiliationChanged, 3},
      {RevocationReason::kSuperseded, 4},
      {RevocationReason::kCessationOfOperation, 5},
  };
  int n = 0;
  for (const auto& [reason, code] : reasons) {
    std::string serial = IssueClient("urn:vroeg:provider:12345678", absl::StrCat("p", ++n));
    ASSERT_THAT(Revoke(RevokeSerial(serial, reason), clock_), IsOk());
    expected[serial] = code;
  }
  EXPECT_EQ(CrlReasons(CaFile("crl.pem")), expected);

  auto index = ReadIndex(ca_dir_);
  ASSERT_THAT(index, IsOk());
  ASSERT_THAT(*index, SizeIs(reasons.size()));
  for (size_t i = 0; i < reasons.size(); ++i) {
    EXPECT_EQ((*index)[i].reason, reasons[i].first);
  }
}

TEST_F(PkiTest, ReasonNamesRoundTrip) {
  for (RevocationReason reason :
       {RevocationReason::kUnspecified, RevocationReason::kKeyCompromise,
        RevocationReason::kAffiliationChanged, RevocationReason::kSuperseded,
        RevocationReason::kCessationOfOperation}) {
    EXPECT_THAT(ParseRevocationReason(RevocationReasonName(reason)), IsOkAndHolds(reason));
  }
  EXPECT_EQ(RevocationReasonName(RevocationReason::kKeyCompromise), "keyCompromise");
  EXPECT_THAT(ParseRevocationReason("stolen"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("keyCompromise")));
}

TEST_F(PkiTest, RevokingAgainChangesNothing) {
  std::string serial = IssueClient("urn:vroeg:provider:12345678");
  ASSERT_THAT(Revoke(RevokeSerial(serial, RevocationReason::kSuperseded), clock_), IsOk());
  std::string index = ReadWholeFile(CaFile("index.tsv"));
  std::string crl = ReadWholeFile(CaFile("crl.pem"));

  clock_.Advance(absl::Hours(24));
  for (const RevokeOptions& again : {RevokeSerial(serial, RevocationReason::kKeyCompromise),
                                     RevokeIdentity("urn:vroeg:provider:12345678")}) {
    auto result = Revoke(again, clock_);
    ASSERT_THAT(result, IsOk());
    EXPECT_THAT(result->revoked, IsEmpty());
    ASSERT_THAT(result->already_revoked, SizeIs(1));
    EXPECT_EQ(result->already_revoked[0].serial_hex, serial);
    EXPECT_EQ(result->already_revoked[0].reason, RevocationReason::kSuperseded);
    EXPECT_THAT(result->already_revoked[0].revoked_at, Optional(start_));
    EXPECT_FALSE(result->crl.has_value());
  }
  EXPECT_EQ(ReadWholeFile(CaFile("index.tsv")), index);
  EXPECT_EQ(ReadWholeFile(CaFile("crl.pem")), crl);
}

TEST_F(PkiTest, RevokeByIdentitySkipsCertificatesAlreadyRevoked) {
  std::string old_serial = IssueClient("urn:vroeg:provider:12345678");
  ASSERT_THAT(Revoke(RevokeSerial(old_serial, RevocationReason::kSuperseded), clock_), IsOk());
  std::string new_serial = IssueClient("urn:vroeg:provider:12345678", "renewed");

  auto result = Revoke(RevokeIdentity("urn:vroeg:provider:12345678"), clock_);
  ASSERT_THAT(result, IsOk());
  ASSERT_THAT(result->revoked, SizeIs(1));
  EXPECT_EQ(result->revoked[0].serial_hex, new_serial);
  ASSERT_THAT(result->already_revoked, SizeIs(1));
  EXPECT_EQ(result->already_revoked[0].serial_hex, old_serial);
  EXPECT_EQ(CrlReasons(CaFile("crl.pem")),
            (std::map<std::string, long>{{old_serial, 4}, {new_serial, -1}}));
}

TEST_F(PkiTest, UnknownSerialOrIdentityIsNamedWithHowToList) {
  IssueClient("urn:vroeg:provider:12345678");
  std::string index = ReadWholeFile(CaFile("index.tsv"));
  std::string crl = ReadWholeFile(CaFile("crl.pem"));
  EXPECT_THAT(Revoke(RevokeSerial("abcdef0123"), clock_),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("serial abcdef0123"),
                             HasSubstr(absl::StrCat("vroegctl pki list --dir ", ca_dir_)))));
  EXPECT_THAT(Revoke(RevokeIdentity("urn:vroeg:provider:87654321"), clock_),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("urn:vroeg:provider:87654321"),
                             HasSubstr(absl::StrCat("vroegctl pki list --dir ", ca_dir_)))));
  EXPECT_EQ(ReadWholeFile(CaFile("index.tsv")), index);
  EXPECT_EQ(ReadWholeFile(CaFile("crl.pem")), crl);
}

TEST_F(PkiTest, BadRevokeOptionsAreRefused) {
  std::string serial = IssueClient("urn:vroeg:provider:12345678");
  RevokeOptions both = RevokeSerial(serial);
  both.identity = "urn:vroeg:provider:12345678";
  RevokeOptions zero_days = RevokeSerial(serial);
  zero_days.crl_days = 0;
  for (const RevokeOptions& o :
       {both, RevokeSerial(""), RevokeSerial("12g4"), RevokeSerial(std::string(41, 'a')),
        RevokeIdentity("urn:vroeg:provider:123"), zero_days}) {
    EXPECT_THAT(Revoke(o, clock_), StatusIs(absl::StatusCode::kInvalidArgument))
        << o.serial << " " << o.identity;
  }
  RevokeOptions no_ca = RevokeSerial(serial);
  no_ca.ca_dir = temp_.Sub("nothing-here");
  EXPECT_THAT(Revoke(no_ca, clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("vroegctl pki init")));
  EXPECT_THAT(ReadCrl()->revoked_serials_hex, IsEmpty());
}

TEST_F(PkiTest, CrlNumberIncreasesOnEveryWrite) {
  CrlOptions o;
  o.ca_dir = ca_dir_;
  for (int64_t expected : {2, 3}) {
    clock_.Advance(absl::Hours(24));
    auto crl = WriteCrl(o, clock_);
    ASSERT_THAT(crl, IsOk());
    EXPECT_EQ(crl->number, expected);
    EXPECT_EQ(crl->this_update, clock_.Now());
    EXPECT_EQ(crl->revoked_count, 0u);
    EXPECT_EQ(ReadCrl()->number, expected);
  }
  std::string serial = IssueClient("urn:vroeg:provider:12345678");
  auto revoked = Revoke(RevokeSerial(serial), clock_);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(revoked->crl->number, 4);

  o.validity_days = 7;
  auto renewed = WriteCrl(o, clock_);
  ASSERT_THAT(renewed, IsOk());
  EXPECT_EQ(renewed->number, 5);
  EXPECT_EQ(renewed->revoked_count, 1u);
  EXPECT_EQ(renewed->next_update, clock_.Now() + absl::Hours(24 * 7));
  auto crl = ReadCrl();
  ASSERT_THAT(crl, IsOk());
  EXPECT_THAT(crl->revoked_serials_hex, UnorderedElementsAre(serial));
  EXPECT_EQ(CountEntries(ca_dir_), 6u);  // No temporary files.

  o.validity_days = kMaxCrlDays + 1;
  EXPECT_THAT(WriteCrl(o, clock_), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PkiTest, CrlVerifiesWithOpensslCommand) {
  std::optional<std::string> openssl = FindOnPath("openssl");
  if (!openssl) GTEST_SKIP() << "the openssl command is not on PATH";
  std::string serial = IssueClient("urn:vroeg:provider:12345678");
  ASSERT_THAT(Revoke(RevokeSerial(serial, RevocationReason::kKeyCompromise), clock_), IsOk());
  std::string output = temp_.Sub("openssl.txt");
  EXPECT_EQ(
      RunCommand({*openssl, "crl", "-in", CaFile("crl.pem"), "-CAfile", CaFile("ca.crt"), "-noout"},
                 output),
      0)
      << ReadWholeFile(output);
  EXPECT_THAT(ReadWholeFile(output), HasSubstr("verify OK"));

  // OpenSSL 3.0 exits with 0 even then, so only its report tells.
  TempDir other;
  ASSERT_THAT(InitCa(CaOptions{other.path(), "flevoland"}, clock_), IsOk());
  RunCommand({*openssl, "crl", "-in", CaFile("crl.pem"), "-CAfile", other.Sub("ca.crt"), "-noout"},
             output);
  EXPECT_THAT(ReadWholeFile(output), Not(HasSubstr("verify OK")));
}

TEST_F(PkiTest, DamagedCrlStopsRevocationBeforeAnythingChanges) {
  std::string serial = IssueClient("urn:vroeg:provider:12345678");
  std::string index = ReadWholeFile(CaFile("index.tsv"));
  TempDir other;
  ASSERT_THAT(InitCa(CaOptions{other.path(), "flevoland"}, clock_), IsOk());
  // A CRL of another CA with the same name: its signature does not verify with this CA.
  std::filesystem::copy_file(other.Sub("crl.pem"), CaFile("crl.pem"),
                             std::filesystem::copy_options::overwrite_existing);
  auto result = Revoke(RevokeSerial(serial), clock_);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr("move"), HasSubstr("vroegctl pki crl --dir"))));
  EXPECT_EQ(ReadWholeFile(CaFile("index.tsv")), index);

  // Moved aside, numbering starts again.
  std::filesystem::remove(CaFile("crl.pem"));
  auto revoked = Revoke(RevokeSerial(serial), clock_);
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(revoked->crl->number, 1);
}

TEST_F(PkiTest, OldFourColumnIndexIsStillRead) {
  auto first = Issue(Client("urn:vroeg:provider:12345678"), clock_);
  ASSERT_THAT(first, IsOk());
  std::string not_after =
      absl::FormatTime(absl::RFC3339_sec, first->not_after, absl::UTCTimeZone());
  vroeg::testing::WriteFile(CaFile("index.tsv"),
                            absl::StrCat("serial\tidentity\tnot_after\tcertificate\n",
                                         first->serial_hex, "\turn:vroeg:provider:12345678\t",
                                         not_after, "\t", first->certificate_path, "\n"));
  auto index = ReadIndex(ca_dir_);
  ASSERT_THAT(index, IsOk());
  ASSERT_THAT(*index, SizeIs(1));
  EXPECT_EQ((*index)[0].serial_hex, first->serial_hex);
  EXPECT_EQ((*index)[0].identity, "urn:vroeg:provider:12345678");
  EXPECT_EQ((*index)[0].not_after, first->not_after);
  EXPECT_EQ((*index)[0].certificate_path, first->certificate_path);
  EXPECT_EQ((*index)[0].revoked_at, std::nullopt);

  // Issuing and revoking rewrite it in the current format, keeping the old line.
  std::string second = IssueClient("urn:vroeg:provider:87654321");
  ASSERT_THAT(Revoke(RevokeSerial(first->serial_hex), clock_), IsOk());
  std::vector<std::string> lines = IndexLines(ca_dir_);
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_EQ(lines[0], "serial\tidentity\tnot_after\tcertificate\trevoked_at\treason");
  EXPECT_EQ(lines[1], absl::StrCat(first->serial_hex, "\turn:vroeg:provider:12345678\t", not_after,
                                   "\t", first->certificate_path, "\t",
                                   absl::FormatTime(absl::RFC3339_sec, start_, absl::UTCTimeZone()),
                                   "\tunspecified"));
  EXPECT_THAT(lines[2], HasSubstr(second));
}

TEST_F(PkiTest, MalformedIndexIsRefusedWithItsLine) {
  std::string serial = IssueClient("urn:vroeg:provider:12345678");
  std::string index = ReadWholeFile(CaFile("index.tsv"));
  for (const std::string& bad :
       {std::string("zz\turn:vroeg:provider:1\t2027-01-01T00:00:00Z\tx\n"),
        std::string("ab\tid\tnot a time\tx\n"), std::string("ab\tid\t2027-01-01T00:00:00Z\n"),
        std::string("ab\tid\t2027-01-01T00:00:00Z\tx\t\tsuperseded\n"),
        std::string("ab\tid\t2027-01-01T00:00:00Z\tx\tyesterday\t\n"),
        std::string("ab\tid\t2027-01-01T00:00:00Z\tx\t2026-01-01T00:00:00Z\tstolen\n")}) {
    vroeg::testing::WriteFile(CaFile("index.tsv"), index + bad);
    EXPECT_THAT(ReadIndex(ca_dir_),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         AllOf(HasSubstr("index.tsv' line 3"), HasSubstr("correct or remove"))))
        << bad;
    EXPECT_THAT(Revoke(RevokeSerial(serial), clock_),
                StatusIs(absl::StatusCode::kFailedPrecondition));
    EXPECT_THAT(Issue(Client("urn:vroeg:provider:87654321"), clock_),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  // Issue checked the index before writing anything.
  EXPECT_FALSE(std::filesystem::exists(CaFile("provider-87654321.key")));
}

TEST_F(PkiTest, MissingIndexStopsRevocationButNotIssue) {
  std::string serial = IssueClient("urn:vroeg:provider:12345678");
  std::filesystem::remove(CaFile("index.tsv"));
  // An empty index would drop every earlier revocation from the CRL.
  EXPECT_THAT(Revoke(RevokeSerial(serial), clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("backup")));
  EXPECT_THAT(WriteCrl(CrlOptions{ca_dir_}, clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ReadIndex(ca_dir_), StatusIs(absl::StatusCode::kFailedPrecondition));
  IssueClient("urn:vroeg:provider:87654321");
  EXPECT_THAT(IndexLines(ca_dir_), SizeIs(2));
}

TEST_F(PkiTest, StateAtPrefersRevokedOverExpired) {
  IndexEntry entry;
  entry.not_after = start_ + absl::Hours(24);
  EXPECT_EQ(StateAt(entry, start_), CertificateState::kValid);
  EXPECT_EQ(StateAt(entry, start_ + absl::Hours(24)), CertificateState::kExpired);
  entry.revoked_at = start_;
  EXPECT_EQ(StateAt(entry, start_), CertificateState::kRevoked);
  EXPECT_EQ(StateAt(entry, start_ + absl::Hours(48)), CertificateState::kRevoked);
}

TEST_F(PkiTest, ConcurrentIssuersAndRevokersKeepEveryLine) {
  std::string revoked = IssueClient("urn:vroeg:provider:10000000");
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([this, i] {
      IssueOptions o = Client(absl::StrCat("urn:vroeg:provider:1000000", i + 1));
      EXPECT_THAT(Issue(o, clock_), IsOk());
    });
  }
  threads.emplace_back([&] { EXPECT_THAT(Revoke(RevokeSerial(revoked), clock_), IsOk()); });
  for (std::thread& thread : threads) thread.join();
  auto index = ReadIndex(ca_dir_);
  ASSERT_THAT(index, IsOk());
  EXPECT_THAT(*index, SizeIs(7));
  EXPECT_THAT(ReadCrl()->revoked_serials_hex, UnorderedElementsAre(revoked));
}

}  // namespace
}  // namespace vroeg::pki
