#ifndef VROEG_COMMON_CATALOGUE_H_
#define VROEG_COMMON_CATALOGUE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "vroeg/catalogue/v1/catalogue.pb.h"

namespace vroeg {

// The indicator catalogue, checked for integrity and indexed by code. Immutable after
// construction, hence safe to share between threads.
class Catalogue {
 public:
  // Checks that codes are unique and well formed, references (weight, not_above, ratios,
  // product-category care forms) resolve, metric names follow Prometheus conventions for their
  // unit, indicators sharing a metric agree on help and label names, and the municipality
  // rules agree (no municipality_any_region or metric.municipality_name where municipality_use
  // is FORBIDDEN). INVALID_ARGUMENT names the entry and the rule.
  static absl::StatusOr<std::shared_ptr<const Catalogue>> FromProto(catalogue::v1::Catalogue proto);

  // Loads a YAML catalogue file (schema: vroeg.catalogue.v1.Catalogue) and checks it as above.
  static absl::StatusOr<std::shared_ptr<const Catalogue>> LoadFile(const std::string& path);

  const catalogue::v1::Catalogue& proto() const { return proto_; }
  const std::string& version() const { return proto_.version(); }

  // nullptr when unknown.
  const catalogue::v1::Indicator* FindIndicator(absl::string_view code) const;
  const catalogue::v1::CareForm* FindCareForm(absl::string_view code) const;

  // The known indicator code nearest to `code` when it is probably a typo, else empty.
  std::string SuggestIndicator(absl::string_view code) const;

  // Comma-separated list of care-form codes, for messages.
  std::string CareFormList() const;

  // Factor from the indicator's unit to the Prometheus base unit of its metric
  // (weeks are exposed in seconds).
  static double MetricScale(catalogue::v1::Unit unit);

 private:
  explicit Catalogue(catalogue::v1::Catalogue proto);

  catalogue::v1::Catalogue proto_;
  absl::flat_hash_map<std::string, const catalogue::v1::Indicator*> indicators_;
  absl::flat_hash_map<std::string, const catalogue::v1::CareForm*> care_forms_;
};

}  // namespace vroeg

#endif  // VROEG_COMMON_CATALOGUE_H_
