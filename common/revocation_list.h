#ifndef VROEG_COMMON_REVOCATION_LIST_H_
#define VROEG_COMMON_REVOCATION_LIST_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vroeg {

// The parts of an X.509 certificate revocation list (CRL) that a collector acts on.
struct RevocationList {
  // The issuer's distinguished name in RFC 2253 form, as CertificateInfo::subject spells it,
  // e.g. "CN=Vroeg CA flevoland,O=Vroeg".
  std::string issuer;
  absl::Time this_update;
  // absl::InfiniteFuture() when the CRL names no next update.
  absl::Time next_update;
  // The CRL Number extension; 0 when the CRL has none. `vroegctl pki` raises it on every write.
  int64_t number = 0;
  // Serials of the revoked certificates, formatted like CertificateInfo::serial_hex (lower-case
  // hex), so that a peer's serial can be looked up directly.
  absl::flat_hash_set<std::string> revoked_serials_hex;
};

// Parses the first PEM CRL in `crl_pem` and verifies its signature with the certificate in
// `ca_pem` (a single CA certificate or a bundle) whose subject is the CRL's issuer; anything
// after the CRL is ignored.
// Time is not checked: a CRL past its next_update still parses, and the caller decides how
// loudly to warn, because refusing it would re-admit every revoked certificate.
// Errors: INVALID_ARGUMENT when `crl_pem` holds no CRL or a malformed one, `ca_pem` holds no
// certificate, no CA certificate matches the issuer, that CA may not sign CRLs, or the
// signature does not verify (the CRL was altered or signed by another key). The message says
// which.
// Thread-safety: a pure function, safe to call concurrently.
absl::StatusOr<RevocationList> ParseRevocationListPem(absl::string_view crl_pem,
                                                      absl::string_view ca_pem);

// Reads the file at `path` and parses it as ParseRevocationListPem does. Every message names
// the file. Errors: NOT_FOUND when the file does not exist; the codes of ParseRevocationListPem;
// other codes from the file system (e.g. PERMISSION_DENIED).
// Thread-safety: a pure function, safe to call concurrently.
absl::StatusOr<RevocationList> ReadRevocationListFile(const std::string& path,
                                                      absl::string_view ca_pem);

}  // namespace vroeg

#endif  // VROEG_COMMON_REVOCATION_LIST_H_
