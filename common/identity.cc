#include "common/identity.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vroeg {
namespace {

constexpr absl::string_view kUrnPrefix = "urn:vroeg:";

constexpr std::array<std::pair<type::v1::ReporterKind, absl::string_view>, 5> kKinds = {{
    {type::v1::REPORTER_KIND_PROVIDER, "provider"},
    {type::v1::REPORTER_KIND_CERTIFIED_INSTITUTION, "certified_institution"},
    {type::v1::REPORTER_KIND_MUNICIPALITY, "municipality"},
    {type::v1::REPORTER_KIND_REGION, "region"},
    {type::v1::REPORTER_KIND_SUPERVISOR, "supervisor"},
}};

bool AllDigits(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c); });
}

// Region and supervisor ids are names chosen by configuration: keep them to a safe label set.
absl::Status ValidateName(absl::string_view id) {
  if (id.empty() || id.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("name '", id, "' must be 1 to 64 characters long"));
  }
  for (char c : id) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_')) {
      return absl::InvalidArgumentError(
          absl::StrCat("name '", id, "' may contain only lower-case letters, digits, '-' and '_'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string ReporterId::Urn() const { return absl::StrCat(kUrnPrefix, KindName(kind), ":", id); }

absl::string_view KindName(type::v1::ReporterKind kind) {
  for (const auto& [k, name] : kKinds) {
    if (k == kind) return name;
  }
  return "unspecified";
}

absl::StatusOr<type::v1::ReporterKind> ParseKind(absl::string_view name) {
  for (const auto& [k, n] : kKinds) {
    if (n == name) return k;
  }
  std::vector<absl::string_view> names;
  for (const auto& [k, n] : kKinds) names.push_back(n);
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown reporter kind '", name, "'; expected one of ", absl::StrJoin(names, ", ")));
}

absl::Status ValidateAgbCode(absl::string_view code) {
  if (code.size() != 8 || !AllDigits(code)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", code, "' is not an AGB code: expected exactly 8 digits"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormaliseMunicipalityCode(absl::string_view code) {
  absl::string_view digits = code;
  if (code.size() == 6 && (absl::StartsWith(code, "GM") || absl::StartsWith(code, "gm"))) {
    digits = code.substr(2);
  }
  if (digits.size() != 4 || !AllDigits(digits)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", code, "' is not a CBS municipality code: expected GM followed by 4 digits"));
  }
  return absl::StrCat("GM", digits);
}

absl::StatusOr<std::string> NormaliseReporterId(type::v1::ReporterKind kind, absl::string_view id) {
  switch (kind) {
    case type::v1::REPORTER_KIND_PROVIDER:
    case type::v1::REPORTER_KIND_CERTIFIED_INSTITUTION:
      if (absl::Status s = ValidateAgbCode(id); !s.ok()) return s;
      return std::string(id);
    case type::v1::REPORTER_KIND_MUNICIPALITY:
      return NormaliseMunicipalityCode(id);
    case type::v1::REPORTER_KIND_REGION:
    case type::v1::REPORTER_KIND_SUPERVISOR:
      if (absl::Status s = ValidateName(id); !s.ok()) return s;
      return std::string(id);
    default:
      return absl::InvalidArgumentError("reporter kind is unspecified");
  }
}

absl::StatusOr<ReporterId> ParseReporterUrn(absl::string_view urn) {
  if (!absl::StartsWith(urn, kUrnPrefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", urn, "' is not a reporter identity: expected urn:vroeg:<kind>:<id>"));
  }
  absl::string_view rest = urn.substr(kUrnPrefix.size());
  size_t colon = rest.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", urn, "' has no id: expected urn:vroeg:<kind>:<id>"));
  }
  auto kind = ParseKind(rest.substr(0, colon));
  if (!kind.ok()) return kind.status();
  auto id = NormaliseReporterId(*kind, rest.substr(colon + 1));
  if (!id.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("'", urn, "': ", id.status().message()));
  }
  return ReporterId{*kind, *std::move(id)};
}

}  // namespace vroeg
