#include "common/reporter_certificate.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vroeg {

absl::StatusOr<ReporterId> ReporterFromCertificatePem(absl::string_view pem) {
  auto info = ParseCertificatePem(pem);
  if (!info.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate unreadable: ", info.status().message()));
  }
  return ReporterFromCertificate(*info);
}

absl::StatusOr<ReporterId> ReporterFromCertificate(const CertificateInfo& info,
                                                   absl::string_view* reason) {
  std::vector<std::string> urns;
  for (const std::string& uri : info.uri_sans) {
    if (absl::StartsWith(uri, "urn:vroeg:")) urns.push_back(uri);
  }
  absl::string_view label;
  absl::Status status;
  if (urns.empty()) {
    label = "no_identity";
    status = absl::UnauthenticatedError(absl::StrCat(
        "certificate '", info.subject,
        "' carries no urn:vroeg:<kind>:<id> URI SAN; issue one with vroegctl pki issue"));
  } else if (urns.size() > 1) {
    label = "several_identities";
    status = absl::UnauthenticatedError(
        absl::StrCat("certificate '", info.subject, "' names more than one reporter (",
                     absl::StrJoin(urns, ", "), "); a certificate must name exactly one"));
  } else {
    auto reporter = ParseReporterUrn(urns[0]);
    if (reporter.ok()) return reporter;
    label = "malformed_identity";
    status = absl::UnauthenticatedError(
        absl::StrCat("certificate identity is malformed: ", reporter.status().message()));
  }
  if (reason != nullptr) *reason = label;
  return status;
}

}  // namespace vroeg
