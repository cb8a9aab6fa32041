#include "common/catalogue.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/yaml_proto.h"

namespace vroeg {
namespace {

using catalogue::v1::Indicator;

bool IsCode(absl::string_view code) {
  if (code.empty() || code.size() > 64 || !absl::ascii_islower(code[0])) return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

// Stricter than Prometheus: lower case, and no colons, which are reserved for recording rules.
bool IsMetricName(absl::string_view name) {
  if (name.empty() || !absl::ascii_islower(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

bool IsLabelName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0]) || absl::StartsWith(name, "__")) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

// Labels the collector itself puts on indicator series; a catalogue label may not reuse them.
const std::set<std::string>& ReservedLabels() {
  static const auto* const kReserved =
      new std::set<std::string>{"region", "reporter", "reporter_kind", "care_form", "municipality"};
  return *kReserved;
}

absl::string_view RequiredSuffix(catalogue::v1::Unit unit) {
  switch (unit) {
    case catalogue::v1::UNIT_WEEKS:
      return "_seconds";
    case catalogue::v1::UNIT_RATIO:
      return "_ratio";
    case catalogue::v1::UNIT_EUROS:
      return "_euros";
    case catalogue::v1::UNIT_FTE:
      return "_fte";
    default:
      return "";
  }
}

absl::Status CheckMetricName(absl::string_view where, absl::string_view name,
                             catalogue::v1::Unit unit) {
  if (!IsMetricName(name) || !absl::StartsWith(name, "jeugdzorg_")) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": '", name, "' is not a metric name starting with jeugdzorg_ ([a-z0-9_])"));
  }
  if (absl::EndsWith(name, "_total")) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": '", name, "' ends in _total, which Prometheus reserves for counters"));
  }
  const absl::string_view suffix = RequiredSuffix(unit);
  if (!suffix.empty() && !absl::EndsWith(name, suffix)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": '", name, "' must end in ", suffix, " for unit ",
                     ShortEnumName(*catalogue::v1::Unit_descriptor()->FindValueByNumber(unit))));
  }
  return absl::OkStatus();
}

absl::Status CheckIndicator(const Indicator& indicator, const std::string& where) {
  auto fail = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
  };
  if (!IsCode(indicator.code())) {
    return fail(absl::StrCat("code '", indicator.code(),
                             "' must be lower-case letters, digits and '_', starting with a "
                             "letter"));
  }
  if (indicator.name_nl().empty() || indicator.name_en().empty()) {
    return fail("name_nl and name_en are required");
  }
  if (indicator.unit() == catalogue::v1::UNIT_UNSPECIFIED) return fail("unit is required");
  if (indicator.dataset() == catalogue::v1::DATASET_UNSPECIFIED) {
    return fail("dataset is required");
  }
  if (indicator.cadence() == type::v1::GRANULARITY_UNSPECIFIED) return fail("cadence is required");
  if (indicator.aggregation() == catalogue::v1::AGGREGATION_UNSPECIFIED) {
    return fail("aggregation is required");
  }
  if (indicator.care_form_use() == catalogue::v1::CARE_FORM_USE_UNSPECIFIED) {
    return fail("care_form_use is required");
  }
  if (indicator.municipality_any_region() &&
      indicator.municipality_use() == catalogue::v1::MUNICIPALITY_USE_FORBIDDEN) {
    return fail("municipality_any_region is set but municipality_use is FORBIDDEN");
  }
  if (indicator.reporter_kinds().empty()) return fail("reporter_kinds needs at least one kind");
  for (int kind : indicator.reporter_kinds()) {
    if (kind == type::v1::REPORTER_KIND_SUPERVISOR) return fail("a supervisor submits nothing");
  }
  if (!indicator.has_min() || !indicator.has_max()) return fail("min and max are required");
  if (std::isnan(indicator.min()) || std::isnan(indicator.max())) {
    return fail("min and max must be numbers, not NaN");
  }
  if (indicator.min() > indicator.max()) return fail("min is above max");
  if (indicator.aggregation() == catalogue::v1::AGGREGATION_WEIGHTED_MEAN &&
      indicator.weight_indicator().empty()) {
    return fail("aggregation WEIGHTED_MEAN needs weight_indicator");
  }
  VROEG_RETURN_IF_ERROR(CheckMetricName(absl::StrCat(where, ": metric.name"),
                                        indicator.metric().name(), indicator.unit()));
  if (!indicator.metric().region_name().empty()) {
    if (indicator.aggregation() == catalogue::v1::AGGREGATION_NONE) {
      return fail("metric.region_name is set but aggregation is NONE");
    }
    catalogue::v1::Unit region_unit = indicator.unit();
    if (indicator.aggregation() == catalogue::v1::AGGREGATION_COUNT_TRUE)
      region_unit = catalogue::v1::UNIT_COUNT;
    VROEG_RETURN_IF_ERROR(CheckMetricName(absl::StrCat(where, ": metric.region_name"),
                                          indicator.metric().region_name(), region_unit));
  }
  if (!indicator.metric().region_max_name().empty()) {
    VROEG_RETURN_IF_ERROR(CheckMetricName(absl::StrCat(where, ": metric.region_max_name"),
                                          indicator.metric().region_max_name(), indicator.unit()));
  }
  if (!indicator.metric().municipality_name().empty()) {
    if (indicator.aggregation() == catalogue::v1::AGGREGATION_NONE) {
      return fail("metric.municipality_name is set but aggregation is NONE");
    }
    if (indicator.municipality_use() == catalogue::v1::MUNICIPALITY_USE_FORBIDDEN) {
      return fail("metric.municipality_name is set but municipality_use is FORBIDDEN");
    }
    VROEG_RETURN_IF_ERROR(CheckMetricName(absl::StrCat(where, ": metric.municipality_name"),
                                          indicator.metric().municipality_name(),
                                          indicator.unit()));
  }
  if (indicator.metric().help().empty()) return fail("metric.help is required");
  for (const auto& [name, value] : indicator.metric().labels()) {
    if (!IsLabelName(name) || ReservedLabels().count(name) > 0) {
      return fail(absl::StrCat("metric label '", name, "' is not a valid or free label name"));
    }
    if (!IsCode(value)) {
      return fail(absl::StrCat("metric label value '", value, "' must be a lower-case code"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

Catalogue::Catalogue(catalogue::v1::Catalogue proto) : proto_(std::move(proto)) {
  for (const auto& indicator : proto_.indicators()) indicators_[indicator.code()] = &indicator;
  for (const auto& care_form : proto_.care_forms()) care_forms_[care_form.code()] = &care_form;
}

absl::StatusOr<std::shared_ptr<const Catalogue>> Catalogue::FromProto(
    catalogue::v1::Catalogue proto) {
  if (proto.version().empty()) return absl::InvalidArgumentError("version is required");
  std::set<std::string> care_forms;
  for (int i = 0; i < proto.care_forms_size(); ++i) {
    const auto& care_form = proto.care_forms(i);
    const std::string where = absl::StrCat("care_forms[", i, "]");
    if (!IsCode(care_form.code())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": code '", care_form.code(), "' must be a lower-case code"));
    }
    if (!care_forms.insert(care_form.code()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": care form '", care_form.code(), "' appears twice"));
    }
  }
  for (int i = 0; i < proto.product_categories_size(); ++i) {
    for (const auto& care_form : proto.product_categories(i).care_forms()) {
      if (care_forms.count(care_form) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("product_categories[", i, "]: unknown care form '", care_form, "'"));
      }
    }
  }
  std::map<std::string, const Indicator*> indicators;
  // Indicators that share a metric family must expose compatible series.
  std::map<std::string, const Indicator*> metric_owner;
  for (int i = 0; i < proto.indicators_size(); ++i) {
    const Indicator& indicator = proto.indicators(i);
    const std::string where = absl::StrCat("indicators[", i, "] (", indicator.code(), ")");
    VROEG_RETURN_IF_ERROR(CheckIndicator(indicator, where));
    if (!indicators.emplace(indicator.code(), &indicator).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": code appears twice"));
    }
    auto [it, inserted] = metric_owner.emplace(indicator.metric().name(), &indicator);
    if (!inserted) {
      const Indicator& other = *it->second;
      std::set<std::string> keys, other_keys;
      for (const auto& [k, v] : indicator.metric().labels()) keys.insert(k);
      for (const auto& [k, v] : other.metric().labels()) other_keys.insert(k);
      if (keys.empty() || keys != other_keys ||
          other.metric().help() != indicator.metric().help() ||
          other.metric().region_name() != indicator.metric().region_name() ||
          other.metric().region_max_name() != indicator.metric().region_max_name() ||
          other.metric().municipality_name() != indicator.metric().municipality_name() ||
          other.unit() != indicator.unit()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": shares metric ", indicator.metric().name(), " with ", other.code(),
            " but differs in help, unit, region_name or label names (labels must tell them "
            "apart)"));
      }
      for (const auto& [k, v] : indicator.metric().labels()) {
        if (other.metric().labels().at(k) != v) keys.erase(k);
      }
      if (keys.size() == other_keys.size()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": has the same metric labels as ",
                                                       other.code(), " on ",
                                                       indicator.metric().name()));
      }
    }
  }
  for (const auto& [code, indicator] : indicators) {
    for (const std::string* ref : {&indicator->weight_indicator(), &indicator->not_above()}) {
      if (!ref->empty() && indicators.count(*ref) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("indicator ", code, ": refers to unknown indicator '", *ref, "'"));
      }
    }
  }
  for (int i = 0; i < proto.ratios_size(); ++i) {
    const auto& ratio = proto.ratios(i);
    const std::string where = absl::StrCat("ratios[", i, "]");
    VROEG_RETURN_IF_ERROR(CheckMetricName(where, ratio.metric_name(), catalogue::v1::UNIT_RATIO));
    for (const std::string* ref : {&ratio.numerator(), &ratio.denominator()}) {
      auto it = indicators.find(*ref);
      if (it == indicators.end() || it->second->metric().region_name().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": '", *ref, "' is not an indicator with a regional aggregate"));
      }
    }
  }
  return std::shared_ptr<const Catalogue>(new Catalogue(std::move(proto)));
}

absl::StatusOr<std::shared_ptr<const Catalogue>> Catalogue::LoadFile(const std::string& path) {
  catalogue::v1::Catalogue proto;
  VROEG_RETURN_IF_ERROR(LoadYamlFile(path, &proto));
  auto catalogue = FromProto(std::move(proto));
  if (!catalogue.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", catalogue.status().message()));
  }
  return catalogue;
}

const catalogue::v1::Indicator* Catalogue::FindIndicator(absl::string_view code) const {
  auto it = indicators_.find(code);
  return it == indicators_.end() ? nullptr : it->second;
}

const catalogue::v1::CareForm* Catalogue::FindCareForm(absl::string_view code) const {
  auto it = care_forms_.find(code);
  return it == care_forms_.end() ? nullptr : it->second;
}

std::string Catalogue::SuggestIndicator(absl::string_view code) const {
  std::string best;
  size_t best_score = 0;
  for (const auto& indicator : proto_.indicators()) {
    const std::string& candidate = indicator.code();
    // Common prefix length is a cheap and predictable similarity for codes like these.
    size_t common = 0;
    while (common < code.size() && common < candidate.size() && code[common] == candidate[common]) {
      ++common;
    }
    if (common >= 4 && common > best_score) {
      best_score = common;
      best = candidate;
    }
  }
  return best;
}

std::string Catalogue::CareFormList() const {
  std::vector<std::string> codes;
  for (const auto& care_form : proto_.care_forms()) codes.push_back(care_form.code());
  return absl::StrJoin(codes, ", ");
}

double Catalogue::MetricScale(catalogue::v1::Unit unit) {
  return unit == catalogue::v1::UNIT_WEEKS ? 7 * 24 * 3600.0 : 1.0;
}

}  // namespace vroeg
