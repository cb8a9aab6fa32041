#include "server/authorizer.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vroeg {
namespace {

constexpr absl::string_view kRules[] = {
    "supervisor_submits", "other_reporter",     "region_not_member",  "region_names_no_reporter",
    "region_outside_own", "indicator_for_kind", "other_municipality", "export_not_allowed"};

bool HasMunicipality(const config::v1::Region& region, absl::string_view code) {
  return std::any_of(region.municipalities().begin(), region.municipalities().end(),
                     [&](const config::v1::RegionMember& m) { return m.code() == code; });
}

}  // namespace

Authorizer::Authorizer(std::shared_ptr<const Catalogue> catalogue, config::v1::Region region,
                       std::vector<config::v1::Region> member_regions,
                       prometheus::Registry* registry)
    : catalogue_(std::move(catalogue)),
      region_(std::move(region)),
      member_regions_(std::move(member_regions)) {
  refusals_ = &prometheus::BuildCounter()
                   .Name("vroeg_authorization_refusals_total")
                   .Help("Calls refused with PERMISSION_DENIED, by the rule that refused them.")
                   .Register(*registry);
  for (absl::string_view rule : kRules) refusals_->Add({{"rule", std::string(rule)}});
}

absl::Status Authorizer::Deny(absl::string_view rule, const ReporterId& caller,
                              absl::string_view explanation) const {
  refusals_->Add({{"rule", std::string(rule)}}).Increment();
  return absl::PermissionDeniedError(
      absl::StrCat(caller.Urn(), " is not allowed this: ", explanation, " (rule ", rule, ")"));
}

absl::Status Authorizer::AuthorizeExport(const ReporterId& caller,
                                         const std::vector<std::string>& export_readers) const {
  if (caller.kind == type::v1::REPORTER_KIND_SUPERVISOR) return absl::OkStatus();
  if (caller.kind == type::v1::REPORTER_KIND_REGION &&
      std::find(export_readers.begin(), export_readers.end(), caller.Urn()) !=
          export_readers.end()) {
    return absl::OkStatus();
  }
  return Deny("export_not_allowed", caller,
              absl::StrCat("exports are for the supervisor and the region operators that the "
                           "collector of ",
                           region_.code(), " lists under export_readers"));
}

absl::StatusOr<SubmissionScope> Authorizer::AuthorizeSubmission(
    const ReporterId& caller, const api::v1::SubmitRequest& request) const {
  if (caller.kind == type::v1::REPORTER_KIND_SUPERVISOR) {
    return Deny("supervisor_submits", caller,
                "a supervisor certificate reads exports and submits nothing");
  }
  std::optional<ReporterId> named;
  if (!request.reporter().empty()) {
    auto parsed = ParseReporterUrn(request.reporter());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("reporter: ", parsed.status().message()));
    }
    named = *std::move(parsed);
  }

  if (caller.kind != type::v1::REPORTER_KIND_REGION) {
    if (named.has_value() && *named != caller) {
      return Deny("other_reporter", caller,
                  absl::StrCat("a ", KindName(caller.kind),
                               " submits only its own figures, not "
                               "those of ",
                               named->Urn()));
    }
    if (absl::Status s = CheckObservations(caller, caller, request, nullptr); !s.ok()) return s;
    return SubmissionScope{caller, &region_};
  }

  auto member = std::find_if(member_regions_.begin(), member_regions_.end(),
                             [&](const config::v1::Region& r) { return r.code() == caller.id; });
  if (member == member_regions_.end()) {
    return Deny("region_not_member", caller,
                absl::StrCat("region ", caller.id, " may not forward to the collector of ",
                             region_.code(), ", which does not list it under member_regions"));
  }
  if (!named.has_value() || named->kind == type::v1::REPORTER_KIND_REGION ||
      named->kind == type::v1::REPORTER_KIND_SUPERVISOR) {
    return Deny("region_names_no_reporter", caller,
                "a region certificate forwards the figures of a provider, certified institution "
                "or municipality of its region; set reporter to that reporter's URN");
  }
  if (named->kind == type::v1::REPORTER_KIND_MUNICIPALITY && !HasMunicipality(*member, named->id)) {
    return Deny("region_outside_own", caller,
                absl::StrCat(named->Urn(), " is not a municipality of region ", caller.id));
  }
  if (absl::Status s = CheckObservations(caller, *named, request, &*member); !s.ok()) return s;
  return SubmissionScope{*named, &*member};
}

absl::Status Authorizer::CheckObservations(const ReporterId& caller, const ReporterId& reporter,
                                           const api::v1::SubmitRequest& request,
                                           const config::v1::Region* forwarding_region) const {
  for (int i = 0; i < request.observations_size(); ++i) {
    const api::v1::Observation& observation = request.observations(i);
    const std::string where = absl::StrCat("observation ", i + 1);
    const auto* indicator = catalogue_->FindIndicator(observation.indicator());
    if (indicator != nullptr) {
      const auto& kinds = indicator->reporter_kinds();
      if (std::find(kinds.begin(), kinds.end(), reporter.kind) == kinds.end()) {
        std::vector<std::string> names;
        for (int kind : kinds) {
          names.emplace_back(KindName(static_cast<type::v1::ReporterKind>(kind)));
        }
        return Deny(
            "indicator_for_kind", caller,
            absl::StrCat(where, ": the catalogue lets only ", absl::StrJoin(names, ", "),
                         " report ", indicator->code(), ", not a ", KindName(reporter.kind)));
      }
    }
    if (observation.municipality().empty()) continue;
    // A code that does not parse is left to validation, which explains the format.
    auto code = NormaliseMunicipalityCode(observation.municipality());
    if (!code.ok()) continue;
    if (reporter.kind == type::v1::REPORTER_KIND_MUNICIPALITY && *code != reporter.id) {
      return Deny("other_municipality", caller,
                  absl::StrCat(where, ": municipality ", reporter.id,
                               " reports only for itself, "
                               "not for ",
                               *code));
    }
    // A municipality that may lie in any region (the one that paid a provider's revenue) does
    // not place the figure in a region, so it says nothing about whose reporter this is.
    const bool locates = indicator == nullptr || !indicator->municipality_any_region();
    if (forwarding_region != nullptr && locates && !HasMunicipality(*forwarding_region, *code)) {
      return Deny("region_outside_own", caller,
                  absl::StrCat(where, ": municipality ", *code, " is not part of region ",
                               forwarding_region->code()));
    }
  }
  return absl::OkStatus();
}

}  // namespace vroeg
