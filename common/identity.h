#ifndef VROEG_COMMON_IDENTITY_H_
#define VROEG_COMMON_IDENTITY_H_

#include <compare>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vroeg/api/v1/observation.pb.h"

namespace vroeg {

// A reporter identity, as carried in a certificate's URI SAN: urn:vroeg:<kind>:<id>.
struct ReporterId {
  type::v1::ReporterKind kind = type::v1::REPORTER_KIND_UNSPECIFIED;
  std::string id;

  // urn:vroeg:<kind>:<id>
  std::string Urn() const;
  auto operator<=>(const ReporterId&) const = default;
};

// The lower-case kind name used in URNs and labels: "provider", "certified_institution",
// "municipality", "region", "supervisor".
absl::string_view KindName(type::v1::ReporterKind kind);

// Parses a kind name; INVALID_ARGUMENT names the accepted values.
absl::StatusOr<type::v1::ReporterKind> ParseKind(absl::string_view name);

// Parses and validates urn:vroeg:<kind>:<id>; the id must fit the kind (AGB code for providers
// and certified institutions, CBS code for municipalities; a bare 4-digit municipality code is
// normalised to GM + 4 digits). Errors are INVALID_ARGUMENT with the rule that failed.
absl::StatusOr<ReporterId> ParseReporterUrn(absl::string_view urn);

// Validates an id for a kind, returning its normal form.
absl::StatusOr<std::string> NormaliseReporterId(type::v1::ReporterKind kind, absl::string_view id);

// An AGB code (Vektis) is exactly 8 digits; no prefix is checked.
absl::Status ValidateAgbCode(absl::string_view code);

// CBS municipality code: "GM" + 4 digits, or 4 bare digits, returned as GM + 4 digits.
absl::StatusOr<std::string> NormaliseMunicipalityCode(absl::string_view code);

}  // namespace vroeg

#endif  // VROEG_COMMON_IDENTITY_H_
