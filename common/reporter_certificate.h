#ifndef VROEG_COMMON_REPORTER_CERTIFICATE_H_
#define VROEG_COMMON_REPORTER_CERTIFICATE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/certificate.h"
#include "common/identity.h"

namespace vroeg {

// The reporter a certificate speaks for: its single urn:vroeg: URI SAN. UNAUTHENTICATED when the
// PEM is not a certificate, has no such SAN, more than one, or a malformed one; the message
// says which, so the holder knows to ask the region for a proper certificate.
// Thread-safe (pure function).
absl::StatusOr<ReporterId> ReporterFromCertificatePem(absl::string_view pem);

// The same for a parsed certificate. On failure `reason`, when given, is set to a short fixed
// label for metrics: "no_identity", "several_identities" or "malformed_identity".
absl::StatusOr<ReporterId> ReporterFromCertificate(const CertificateInfo& info,
                                                   absl::string_view* reason = nullptr);

}  // namespace vroeg

#endif  // VROEG_COMMON_REPORTER_CERTIFICATE_H_
