#ifndef VROEG_SERVER_AUTHORIZER_H_
#define VROEG_SERVER_AUTHORIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/catalogue.h"
#include "common/identity.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"
#include "vroeg/api/v1/submission.pb.h"
#include "vroeg/config/v1/collector.pb.h"

namespace vroeg {

// Whose figures a submission holds and against which region they are checked.
struct SubmissionScope {
  // The caller itself, or for a region certificate the reporter it forwards for.
  ReporterId reporter;
  // The region whose municipalities the observations must belong to.
  const config::v1::Region* region = nullptr;
};

// Decides what an authenticated identity may submit, from its certificate and the catalogue:
//   - a supervisor submits nothing;
//   - providers, certified institutions and municipalities submit only for themselves, only
//     indicators the catalogue allows for their kind, and a municipality only for its own code;
//   - a region certificate only forwards, for reporters of its own region, and only to a
//     collector that lists the region under member_regions (the national collector). A
//     municipality reporter must be a member of the forwarding region, and so must every
//     observation's municipality, except for indicators with municipality_any_region (a
//     provider's revenue from a municipality elsewhere), whose municipality places nothing.
// and what an identity may export: the supervisor always; a region operator only when the
// collector's configuration names it under export_readers; nobody else.
// Every refusal is PERMISSION_DENIED with a message that names the identity and the rule, and is
// counted in vroeg_authorization_refusals_total{rule}. Thread-safe.
class Authorizer {
 public:
  // `region` is this collector's own; `registry` must outlive the Authorizer.
  Authorizer(std::shared_ptr<const Catalogue> catalogue, config::v1::Region region,
             std::vector<config::v1::Region> member_regions, prometheus::Registry* registry);

  absl::StatusOr<SubmissionScope> AuthorizeSubmission(const ReporterId& caller,
                                                      const api::v1::SubmitRequest& request) const;

  // OK when `caller` may use the ExportService; `export_readers` are the normalised URNs of the
  // configuration's export_readers. Refusals count under rule "export_not_allowed".
  absl::Status AuthorizeExport(const ReporterId& caller,
                               const std::vector<std::string>& export_readers) const;

 private:
  absl::Status Deny(absl::string_view rule, const ReporterId& caller,
                    absl::string_view explanation) const;
  absl::Status CheckObservations(const ReporterId& caller, const ReporterId& reporter,
                                 const api::v1::SubmitRequest& request,
                                 const config::v1::Region* forwarding_region) const;

  std::shared_ptr<const Catalogue> catalogue_;
  config::v1::Region region_;
  std::vector<config::v1::Region> member_regions_;
  prometheus::Family<prometheus::Counter>* refusals_;
};

}  // namespace vroeg

#endif  // VROEG_SERVER_AUTHORIZER_H_
