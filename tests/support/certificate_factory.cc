#include "tests/support/certificate_factory.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/openssl_ptr.h"

namespace vroeg::testing {
namespace {

absl::Status Fail(absl::string_view what) {
  return absl::InternalError(absl::StrCat("cannot make test certificate: ", what));
}

absl::Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  if (value.empty()) return absl::OkStatus();
  ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) return Fail(value);
  return absl::OkStatus();
}

absl::Status WritePem(const std::string& path, mode_t mode,
                      const std::function<bool(BIO*)>& write) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return Fail(path);
  FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) {
    ::close(fd);
    return Fail(path);
  }
  BioPtr bio(BIO_new_fp(file, BIO_CLOSE));
  if (bio == nullptr) {
    std::fclose(file);
    return Fail(path);
  }
  if (!write(bio.get())) return Fail(path);
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteCertificate(const std::string& ca_dir, const CertificateSpec& spec,
                              const std::string& stem) {
  BioPtr ca_key_bio(BIO_new_file(absl::StrCat(ca_dir, "/ca.key").c_str(), "r"));
  BioPtr ca_cert_bio(BIO_new_file(absl::StrCat(ca_dir, "/ca.crt").c_str(), "r"));
  if (ca_key_bio == nullptr || ca_cert_bio == nullptr) return Fail("no CA in " + ca_dir);
  KeyPtr ca_key(PEM_read_bio_PrivateKey(ca_key_bio.get(), nullptr, nullptr, nullptr));
  X509Ptr ca_cert(PEM_read_bio_X509(ca_cert_bio.get(), nullptr, nullptr, nullptr));
  KeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr cert(X509_new());
  if (ca_key == nullptr || ca_cert == nullptr || key == nullptr || cert == nullptr) {
    return Fail("reading the CA or making a key");
  }
  const X509_NAME* issuer = X509_get_subject_name(ca_cert.get());
  NamePtr subject(X509_NAME_new());
  const std::string common_name = absl::StrCat("test ", spec.serial);
  bool ok =
      X509_set_version(cert.get(), 2) == 1 &&
      ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), absl::ToInt64Seconds(spec.valid_from)) !=
          nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), absl::ToInt64Seconds(spec.valid_until)) !=
          nullptr &&
      subject != nullptr &&
      X509_NAME_add_entry_by_txt(subject.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) == 1 &&
      X509_set_subject_name(cert.get(), subject.get()) == 1 &&
      X509_set_issuer_name(cert.get(), issuer) == 1 && X509_set_pubkey(cert.get(), key.get()) == 1;
  if (!ok) return Fail("setting fields");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert.get(), cert.get(), nullptr, nullptr, 0);
  std::vector<std::string> sans;
  for (const std::string& uri : spec.uris) sans.push_back("URI:" + uri);
  for (const std::string& dns : spec.dns_names) sans.push_back("DNS:" + dns);
  for (const auto& [nid, value] :
       std::vector<std::pair<int, std::string>>{{NID_basic_constraints, spec.basic_constraints},
                                                {NID_key_usage, spec.key_usage},
                                                {NID_ext_key_usage, spec.extended_key_usage},
                                                {NID_subject_alt_name, absl::StrJoin(sans, ",")}}) {
    if (absl::Status s = AddExtension(cert.get(), &ctx, nid, value); !s.ok()) return s;
  }
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) return Fail("signing");
  if (absl::Status s = WritePem(stem + ".key", 0600,
                                [&](BIO* bio) {
                                  return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr,
                                                                  0, nullptr, nullptr) == 1;
                                });
      !s.ok()) {
    return s;
  }
  return WritePem(stem + ".crt", 0644,
                  [&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()) == 1; });
}

}  // namespace vroeg::testing
