#include "common/revocation_list.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <ctime>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"
#include "common/yaml_proto.h"

namespace vroeg {
namespace {

absl::StatusOr<BioPtr> MemoryBio(absl::string_view data, absl::string_view what) {
  if (data.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is too large"));
  }
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("cannot allocate a memory BIO");
  return bio;
}

std::string NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 2253, keeping UTF-8 readable, exactly as CertificateInfo spells names.
  if (bio == nullptr ||
      X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    TakeOpenSslError();
    return "(unprintable name)";
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<absl::Time> ToTime(const ASN1_TIME* t, absl::string_view field) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("the CRL has a malformed ", field, " time"));
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

absl::StatusOr<std::vector<X509Ptr>> ReadCaCertificates(absl::string_view ca_pem) {
  VROEG_ASSIGN_OR_RETURN(BioPtr bio, MemoryBio(ca_pem, "the CA certificate file"));
  std::vector<X509Ptr> certs;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassword, nullptr));
    if (cert != nullptr) {
      certs.push_back(std::move(cert));
      continue;
    }
    if (!IsEndOfPem()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the CA certificates are malformed: ", TakeOpenSslError()));
    }
    ERR_clear_error();
    if (certs.empty()) {
      return absl::InvalidArgumentError(
          "no CA certificate to check the CRL with: the CA file holds no "
          "'-----BEGIN CERTIFICATE-----' block");
    }
    return certs;
  }
}

// Checks that a CA certificate in `cas` signed `crl`. Only certificates named as the issuer are
// tried, so that the error can tell a CRL of another CA apart from an altered one.
absl::Status VerifySignature(X509_CRL* crl, const std::vector<X509Ptr>& cas) {
  const X509_NAME* issuer = X509_CRL_get_issuer(crl);
  std::vector<std::string> subjects;
  bool issuer_found = false;
  for (const X509Ptr& ca : cas) {
    if (X509_NAME_cmp(X509_get_subject_name(ca.get()), issuer) != 0) {
      subjects.push_back(absl::StrCat("'", NameToString(X509_get_subject_name(ca.get())), "'"));
      continue;
    }
    issuer_found = true;
    if (X509_CRL_verify(crl, X509_get0_pubkey(ca.get())) == 1) {
      if ((X509_get_key_usage(ca.get()) & KU_CRL_SIGN) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("the CA certificate '", NameToString(issuer),
                         "' may not sign CRLs (its keyUsage lacks cRLSign); recreate the CA with "
                         "`vroegctl pki init`"));
      }
      return absl::OkStatus();
    }
    TakeOpenSslError();
  }
  if (!issuer_found) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the CRL was issued by '", NameToString(issuer), "', not by the CA (",
        absl::StrJoin(subjects, ", "),
        "); use the crl.pem from the directory of the CA that issued the client certificates"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "the CRL's signature does not verify with the CA certificate '", NameToString(issuer),
      "': the file was altered or signed by another key; write a fresh one with "
      "`vroegctl pki crl`"));
}

absl::StatusOr<int64_t> CrlNumber(const X509_CRL* crl) {
  int critical = -1;
  IntegerPtr number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, &critical, nullptr)));
  if (number == nullptr) {
    // -1: there is no CRL Number; anything else means it is malformed or repeated.
    if (critical == -1) return 0;
    return absl::InvalidArgumentError("the CRL has a malformed or repeated CRL Number");
  }
  int64_t value = 0;
  if (ASN1_INTEGER_get_int64(&value, number.get()) != 1 || value < 0) {
    TakeOpenSslError();
    return absl::InvalidArgumentError(
        "the CRL Number is negative or larger than this program can handle");
  }
  return value;
}

absl::StatusOr<std::string> SerialHex(const ASN1_INTEGER* serial) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (bn == nullptr) {
    return absl::InvalidArgumentError("the CRL lists a malformed serial number");
  }
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return absl::ResourceExhaustedError("cannot format a serial number");
  std::string out = absl::AsciiStrToLower(hex);
  OPENSSL_free(hex);
  return out;
}

}  // namespace

absl::StatusOr<RevocationList> ParseRevocationListPem(absl::string_view crl_pem,
                                                      absl::string_view ca_pem) {
  ERR_clear_error();
  VROEG_ASSIGN_OR_RETURN(BioPtr bio, MemoryBio(crl_pem, "the CRL"));
  CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, NoPassword, nullptr));
  if (crl == nullptr) {
    if (IsEndOfPem()) {
      ERR_clear_error();
      return absl::InvalidArgumentError("not a PEM CRL: no '-----BEGIN X509 CRL-----' block found");
    }
    return absl::InvalidArgumentError(absl::StrCat("malformed PEM CRL: ", TakeOpenSslError()));
  }
  VROEG_ASSIGN_OR_RETURN(std::vector<X509Ptr> cas, ReadCaCertificates(ca_pem));
  VROEG_RETURN_IF_ERROR(VerifySignature(crl.get(), cas));

  RevocationList list;
  list.issuer = NameToString(X509_CRL_get_issuer(crl.get()));
  VROEG_ASSIGN_OR_RETURN(list.this_update,
                         ToTime(X509_CRL_get0_lastUpdate(crl.get()), "thisUpdate"));
  list.next_update = absl::InfiniteFuture();
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get()); next != nullptr) {
    VROEG_ASSIGN_OR_RETURN(list.next_update, ToTime(next, "nextUpdate"));
  }
  VROEG_ASSIGN_OR_RETURN(list.number, CrlNumber(crl.get()));
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    VROEG_ASSIGN_OR_RETURN(
        std::string serial,
        SerialHex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
    list.revoked_serials_hex.insert(std::move(serial));
  }
  return list;
}

absl::StatusOr<RevocationList> ReadRevocationListFile(const std::string& path,
                                                      absl::string_view ca_pem) {
  VROEG_ASSIGN_OR_RETURN(std::string crl_pem, ReadFileToString(path));
  absl::StatusOr<RevocationList> list = ParseRevocationListPem(crl_pem, ca_pem);
  if (!list.ok()) {
    return absl::Status(list.status().code(),
                        absl::StrCat("CRL file '", path, "': ", list.status().message()));
  }
  return list;
}

}  // namespace vroeg
