#include "common/certificate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/openssl_error.h"
#include "common/openssl_ptr.h"
#include "common/status_macros.h"

namespace vroeg {
namespace {

absl::StatusOr<std::string> NameToString(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // RFC 2253 form, but keep UTF-8 readable instead of escaping every non-ASCII byte.
  if (bio == nullptr ||
      X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return absl::InternalError(absl::StrCat("cannot format name: ", TakeOpenSslError()));
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<absl::Time> ToTime(const ASN1_TIME* t) {
  struct tm tm;
  std::memset(&tm, 0, sizeof(tm));
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return absl::InvalidArgumentError("certificate has a malformed validity time");
  }
  return absl::FromTM(tm, absl::UTCTimeZone());
}

absl::StatusOr<std::string> SerialHex(const X509* cert) {
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (bn == nullptr) {
    return absl::InvalidArgumentError("certificate has a malformed serial number");
  }
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return absl::InternalError("cannot format serial number");
  std::string out = absl::AsciiStrToLower(hex);
  OPENSSL_free(hex);
  return out;
}

std::string Ia5ToString(const ASN1_IA5STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

absl::Status ReadSans(const X509* cert, CertificateInfo& info) {
  int critical = -1;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, nullptr)));
  if (names == nullptr) {
    // -1 means there is no subjectAltName at all, which is fine for a CA.
    if (critical == -1) return absl::OkStatus();
    return absl::InvalidArgumentError("certificate has a malformed or repeated subjectAltName");
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    switch (name->type) {
      case GEN_URI:
        info.uri_sans.push_back(Ia5ToString(name->d.uniformResourceIdentifier));
        break;
      case GEN_DNS:
        info.dns_sans.push_back(Ia5ToString(name->d.dNSName));
        break;
      case GEN_IPADD: {
        const ASN1_OCTET_STRING* ip = name->d.iPAddress;
        int length = ASN1_STRING_length(ip);
        int family = length == 4 ? AF_INET : length == 16 ? AF_INET6 : AF_UNSPEC;
        char text[INET6_ADDRSTRLEN];
        if (family == AF_UNSPEC ||
            inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof(text)) == nullptr) {
          return absl::InvalidArgumentError("certificate has a malformed IP address SAN");
        }
        info.ip_sans.push_back(text);
        break;
      }
      default:
        break;
    }
  }
  return absl::OkStatus();
}

// Parses up to `limit` certificates (0 = all). At least one is required.
absl::StatusOr<std::vector<CertificateInfo>> ParsePem(absl::string_view pem, size_t limit) {
  if (pem.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("PEM input is too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("cannot allocate a memory BIO");

  ERR_clear_error();
  std::vector<CertificateInfo> out;
  while (limit == 0 || out.size() < limit) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassword, nullptr));
    if (cert == nullptr) {
      if (IsEndOfPem()) {
        ERR_clear_error();
        if (!out.empty()) break;
        return absl::InvalidArgumentError(
            "not a PEM certificate: no '-----BEGIN CERTIFICATE-----' block found");
      }
      return absl::InvalidArgumentError(
          absl::StrCat("malformed PEM certificate: ", TakeOpenSslError()));
    }
    VROEG_ASSIGN_OR_RETURN(CertificateInfo info, DescribeCertificate(cert.get()));
    out.push_back(std::move(info));
  }
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT) {
      return absl::NotFoundError(absl::StrCat("certificate file '", path, "' does not exist"));
    }
    return absl::ErrnoToStatus(error, absl::StrCat("cannot open certificate file '", path, "'"));
  }
  std::string data;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return absl::ErrnoToStatus(error, absl::StrCat("cannot read certificate file '", path, "'"));
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

}  // namespace

absl::StatusOr<CertificateInfo> DescribeCertificate(const X509* cert) {
  CertificateInfo info;
  VROEG_ASSIGN_OR_RETURN(info.subject, NameToString(X509_get_subject_name(cert)));
  VROEG_ASSIGN_OR_RETURN(info.issuer, NameToString(X509_get_issuer_name(cert)));
  VROEG_ASSIGN_OR_RETURN(info.serial_hex, SerialHex(cert));
  VROEG_ASSIGN_OR_RETURN(info.not_before, ToTime(X509_get0_notBefore(cert)));
  VROEG_ASSIGN_OR_RETURN(info.not_after, ToTime(X509_get0_notAfter(cert)));
  VROEG_RETURN_IF_ERROR(ReadSans(cert, info));

  int critical = -1;
  BasicConstraintsPtr constraints(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert, NID_basic_constraints, &critical, nullptr)));
  if (constraints == nullptr && critical != -1) {
    return absl::InvalidArgumentError(
        "certificate has a malformed or repeated basicConstraints extension");
  }
  info.is_ca = constraints != nullptr && constraints->ca != 0;
  return info;
}

absl::StatusOr<CertificateInfo> ParseCertificatePem(absl::string_view pem) {
  VROEG_ASSIGN_OR_RETURN(std::vector<CertificateInfo> certs, ParsePem(pem, 1));
  return std::move(certs.front());
}

absl::StatusOr<std::vector<CertificateInfo>> ReadCertificateFile(const std::string& path) {
  VROEG_ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
  absl::StatusOr<std::vector<CertificateInfo>> certs = ParsePem(pem, 0);
  if (!certs.ok()) {
    return absl::Status(certs.status().code(),
                        absl::StrCat("'", path, "': ", certs.status().message()));
  }
  return certs;
}

}  // namespace vroeg
