#ifndef VROEG_TESTS_SUPPORT_CERTIFICATE_FACTORY_H_
#define VROEG_TESTS_SUPPORT_CERTIFICATE_FACTORY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace vroeg::testing {

// A client certificate as `vroegctl pki issue` would never make it: every field that the
// collector checks can be set wrong. Made with OpenSSL directly.
struct CertificateSpec {
  std::vector<std::string> uris;
  std::vector<std::string> dns_names;
  // Validity, relative to now.
  absl::Duration valid_from = -absl::Minutes(5);
  absl::Duration valid_until = absl::Hours(24);
  // OpenSSL extension values; empty leaves the extension out.
  std::string extended_key_usage = "clientAuth";
  std::string key_usage = "critical,digitalSignature";
  std::string basic_constraints = "critical,CA:FALSE";
  long serial = 1000;
};

// Signs a certificate for `spec` with the CA in `ca_dir` (ca.key, ca.crt as vroegctl pki init
// makes them) and writes <stem>.crt and <stem>.key (mode 0600).
absl::Status WriteCertificate(const std::string& ca_dir, const CertificateSpec& spec,
                              const std::string& stem);

}  // namespace vroeg::testing

#endif  // VROEG_TESTS_SUPPORT_CERTIFICATE_FACTORY_H_
