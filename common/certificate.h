#ifndef VROEG_COMMON_CERTIFICATE_H_
#define VROEG_COMMON_CERTIFICATE_H_

#include <openssl/x509.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vroeg {

// The fields of an X.509 certificate that Vroeg reads: who it names, when it is valid and
// whether it may sign other certificates. Parsing does not verify anything; chain and
// signature checks are the TLS stack's job.
struct CertificateInfo {
  // Distinguished names in RFC 2253 form, e.g. "CN=Vroeg CA flevoland,O=Vroeg".
  std::string subject;
  // The serial number as lower-case hex without leading zeros ("0" for zero).
  std::string serial_hex;
  absl::Time not_before;
  absl::Time not_after;
  // subjectAltName entries by type, in certificate order. IP addresses are in textual form
  // (dotted quad or RFC 5952 IPv6).
  std::vector<std::string> uri_sans;
  std::vector<std::string> dns_sans;
  std::vector<std::string> ip_sans;
  // True when basicConstraints says CA:TRUE.
  bool is_ca = false;
  std::string issuer;
};

// The fields of a certificate OpenSSL has already parsed. Errors: INVALID_ARGUMENT for a
// malformed field. Thread-safety: a pure function.
absl::StatusOr<CertificateInfo> DescribeCertificate(const X509* cert);

// Parses the first certificate in `pem`; anything after it is ignored.
// Errors: INVALID_ARGUMENT when `pem` holds no PEM certificate or the certificate is malformed.
// Thread-safety: a pure function, safe to call concurrently.
absl::StatusOr<CertificateInfo> ParseCertificatePem(absl::string_view pem);

// Reads every PEM certificate in the file at `path`, in file order (e.g. a chain or a bundle).
// Errors (messages name the file): NOT_FOUND when the file does not exist; INVALID_ARGUMENT when
// it holds no certificate or a malformed one; other codes from the file system (e.g.
// PERMISSION_DENIED).
// Thread-safety: a pure function, safe to call concurrently.
absl::StatusOr<std::vector<CertificateInfo>> ReadCertificateFile(const std::string& path);

}  // namespace vroeg

#endif  // VROEG_COMMON_CERTIFICATE_H_
