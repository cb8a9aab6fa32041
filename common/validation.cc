#include "common/validation.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/period.h"

namespace vroeg {
namespace {

using api::v1::Observation;
using catalogue::v1::Indicator;

// The shortest text that reads back as the same double, so messages show values as written.
std::string FormatValue(double value) {
  char buffer[64];
  // Plain notation for the magnitudes indicators have; scientific only beyond them.
  const auto format =
      std::abs(value) < 1e15 ? std::chars_format::fixed : std::chars_format::general;
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value, format);
  if (ec != std::errc()) return absl::StrFormat("%g", value);
  return std::string(buffer, end);
}

// Collects problems for one observation, pointing at its place in the sender's file when known.
// Problems with the index of their observation, so they can be reported in observation order.
using IndexedProblems = std::vector<std::pair<int, Problem>>;

class ProblemSink {
 public:
  ProblemSink(IndexedProblems* problems, const Observation& observation, int index)
      : problems_(problems), observation_(observation), index_(index) {}

  // `field` is the API field; `file_column` is the file column it came from, if different.
  void Add(absl::string_view field, absl::string_view file_column, std::string value,
           std::string message) {
    Problem problem;
    if (observation_.source_row() > 0) {
      problem.row = observation_.source_row();
      problem.column = std::string(file_column.empty() ? field : file_column);
    } else {
      problem.column = absl::StrCat("observations[", index_, "].", field);
    }
    problem.value = std::move(value);
    problem.message = std::move(message);
    problems_->emplace_back(index_, std::move(problem));
  }

  // The file column that holds the value: the indicator's own column in wide CSV files.
  absl::string_view ValueColumn() const {
    return observation_.source_column().empty() ? absl::string_view("value")
                                                : observation_.source_column();
  }
  // In wide files the indicator is named by its column, so that is where the fault lies.
  absl::string_view IndicatorColumn() const {
    return observation_.source_column() == observation_.indicator() ? ValueColumn() : "indicator";
  }

 private:
  IndexedProblems* problems_;
  const Observation& observation_;
  int index_;
};

bool IsMember(const config::v1::RegionMember& member, const std::string& code,
              absl::string_view date) {
  if (member.code() != code) return false;
  if (!member.valid_from().empty() && date < member.valid_from()) return false;
  if (!member.valid_to().empty() && date > member.valid_to()) return false;
  return true;
}

void CheckValue(const Indicator& indicator, double value, ProblemSink& sink) {
  const absl::string_view column = sink.ValueColumn();
  if (!std::isfinite(value)) {
    sink.Add("value", column, FormatValue(value), "value is not a finite number");
    return;
  }
  if (value < indicator.min()) {
    sink.Add("value", column, FormatValue(value),
             absl::StrCat(FormatValue(value), " is below the minimum ",
                          FormatValue(indicator.min()), " for ", indicator.code()));
    return;
  }
  if (value > indicator.max()) {
    sink.Add("value", column, FormatValue(value),
             absl::StrCat(FormatValue(value), " is above the maximum ",
                          FormatValue(indicator.max()), " for ", indicator.code()));
    return;
  }
  if (indicator.unit() == catalogue::v1::UNIT_COUNT && value != std::floor(value)) {
    sink.Add("value", column, FormatValue(value),
             absl::StrCat(FormatValue(value), " is not a whole number; ", indicator.code(),
                          " is a count"));
  }
  if (indicator.unit() == catalogue::v1::UNIT_BOOLEAN && value != 0 && value != 1) {
    sink.Add("value", column, FormatValue(value),
             absl::StrCat(FormatValue(value), " must be 0 (no) or 1 (yes) for ", indicator.code()));
  }
}

// Returns false when the period is unusable for cross-row checks.
bool CheckPeriod(const ValidationContext& context, Observation& observation, ProblemSink& sink) {
  const auto& period = observation.period();
  auto start = ParseIsoDate(period.start());
  if (!start.ok())
    sink.Add("period.start", "period_start", period.start(), std::string(start.status().message()));
  auto end = ParseIsoDate(period.end());
  if (!end.ok())
    sink.Add("period.end", "period_end", period.end(), std::string(end.status().message()));
  if (!start.ok() || !end.ok()) return false;
  if (*end < *start) {
    sink.Add("period.end", "period_end", period.end(),
             absl::StrCat("period ends ", period.end(), ", before it starts ", period.start()));
    return false;
  }
  if (*start > context.today) {
    sink.Add("period.start", "period_start", period.start(),
             absl::StrCat("period starts ", period.start(), ", after today ",
                          FormatIsoDate(context.today), "; report only periods that have begun"));
    return false;
  }
  auto granularity = GranularityOf(*start, *end);
  if (!granularity.ok()) {
    sink.Add("period", "period_end", period.end(), std::string(granularity.status().message()));
    return false;
  }
  if (period.granularity() != type::v1::GRANULARITY_UNSPECIFIED &&
      period.granularity() != *granularity) {
    sink.Add("period.granularity", "period_end", period.end(),
             absl::StrCat("period is a ", GranularityName(*granularity), " but granularity says ",
                          GranularityName(period.granularity())));
    return false;
  }
  observation.mutable_period()->set_granularity(*granularity);
  return true;
}

using CellKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;

}  // namespace

std::vector<Problem> ValidateObservations(
    const ValidationContext& context,
    google::protobuf::RepeatedPtrField<api::v1::Observation>* observations) {
  IndexedProblems problems;
  const Catalogue& catalogue = *context.catalogue;
  // (indicator, care form, municipality, start, end) -> index of the first observation.
  std::map<CellKey, int> seen;
  for (int i = 0; i < observations->size(); ++i) {
    Observation& observation = (*observations)[i];
    ProblemSink sink(&problems, observation, i);
    bool usable = true;
    // -0 is 0: stored and shown as such, so that a reporter's series never reads "-0".
    if (observation.value() == 0) observation.set_value(0);
    const Indicator* indicator = catalogue.FindIndicator(observation.indicator());
    if (indicator == nullptr) {
      std::string message = absl::StrCat("unknown indicator '", observation.indicator(), "'");
      if (std::string hint = catalogue.SuggestIndicator(observation.indicator()); !hint.empty()) {
        absl::StrAppend(&message, " (did you mean '", hint, "'?)");
      }
      absl::StrAppend(&message, "; catalogue ", catalogue.version(), " lists the codes");
      sink.Add("indicator", sink.IndicatorColumn(), observation.indicator(), std::move(message));
      usable = false;
    } else {
      bool allowed = false;
      std::vector<std::string> kinds;
      for (int kind : indicator->reporter_kinds()) {
        allowed |= kind == context.reporter.kind;
        kinds.emplace_back(KindName(static_cast<type::v1::ReporterKind>(kind)));
      }
      if (!allowed) {
        sink.Add(
            "indicator", sink.IndicatorColumn(), observation.indicator(),
            absl::StrCat("a ", KindName(context.reporter.kind), " may not report ",
                         indicator->code(), " (reported by: ", absl::StrJoin(kinds, ", "), ")"));
        usable = false;
      }
      CheckValue(*indicator, observation.value(), sink);
    }

    const std::string& care_form = observation.care_form();
    if (!care_form.empty() && catalogue.FindCareForm(care_form) == nullptr) {
      sink.Add(
          "care_form", "care_form", care_form,
          absl::StrCat("unknown care form '", care_form, "'; known: ", catalogue.CareFormList()));
      usable = false;
    } else if (indicator != nullptr) {
      if (care_form.empty() &&
          indicator->care_form_use() == catalogue::v1::CARE_FORM_USE_REQUIRED) {
        sink.Add("care_form", "care_form", "",
                 absl::StrCat(indicator->code(), " is reported per care form: fill in care_form"));
      } else if (!care_form.empty() &&
                 indicator->care_form_use() == catalogue::v1::CARE_FORM_USE_FORBIDDEN) {
        sink.Add("care_form", "care_form", care_form,
                 absl::StrCat(indicator->code(),
                              " is reported for the whole organisation: leave care_form empty"));
      }
    }

    // With municipality_any_region the municipality says who paid, not where: any region's.
    bool member_required = indicator == nullptr || !indicator->municipality_any_region();
    if (observation.municipality().empty()) {
      if (indicator != nullptr &&
          indicator->municipality_use() == catalogue::v1::MUNICIPALITY_USE_REQUIRED) {
        sink.Add(
            "municipality", "municipality", "",
            absl::StrCat(indicator->code(), " is reported per municipality: fill in municipality"));
      }
    } else if (indicator != nullptr &&
               indicator->municipality_use() == catalogue::v1::MUNICIPALITY_USE_FORBIDDEN) {
      sink.Add("municipality", "municipality", observation.municipality(),
               absl::StrCat(indicator->code(),
                            " is reported for the whole organisation: leave municipality empty"));
      member_required = false;
    } else {
      auto code = NormaliseMunicipalityCode(observation.municipality());
      if (!code.ok()) {
        sink.Add("municipality", "municipality", observation.municipality(),
                 std::string(code.status().message()));
        usable = false;
      } else {
        observation.set_municipality(*code);
      }
    }

    usable &= CheckPeriod(context, observation, sink);
    if (usable && member_required && !observation.municipality().empty() &&
        !context.municipalities.empty()) {
      bool member = false;
      for (const auto& m : context.municipalities) {
        member |= IsMember(m, observation.municipality(), observation.period().end());
      }
      if (!member) {
        sink.Add(
            "municipality", "municipality", observation.municipality(),
            absl::StrCat("municipality ", observation.municipality(), " is not part of region ",
                         context.region, " on ", observation.period().end()));
      }
    }
    if (!usable) continue;
    CellKey key{observation.indicator(), observation.care_form(), observation.municipality(),
                observation.period().start(), observation.period().end()};
    auto [it, inserted] = seen.emplace(key, i);
    if (!inserted) {
      const Observation& first = (*observations)[it->second];
      sink.Add("indicator", sink.IndicatorColumn(), observation.indicator(),
               absl::StrCat("repeats ",
                            first.source_row() > 0 ? absl::StrCat("row ", first.source_row())
                                                   : absl::StrCat("observations[", it->second, "]"),
                            ": same indicator, care form, municipality and period"));
    }
  }

  // Cross-indicator bounds need every observation of the submission, hence a second pass.
  for (int i = 0; i < observations->size(); ++i) {
    const Observation& observation = (*observations)[i];
    const Indicator* indicator = catalogue.FindIndicator(observation.indicator());
    if (indicator == nullptr || indicator->not_above().empty()) continue;
    auto it = seen.find(CellKey{indicator->not_above(), observation.care_form(),
                                observation.municipality(), observation.period().start(),
                                observation.period().end()});
    if (it == seen.end() || it->second == i) continue;
    const Observation& bound = (*observations)[it->second];
    if (observation.value() > bound.value()) {
      ProblemSink sink(&problems, observation, i);
      sink.Add("value", sink.ValueColumn(), FormatValue(observation.value()),
               absl::StrCat(indicator->code(), " ", FormatValue(observation.value()), " is above ",
                            bound.indicator(), " ", FormatValue(bound.value()),
                            " for the same care form and period"));
    }
  }
  std::stable_sort(problems.begin(), problems.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Problem> result;
  result.reserve(problems.size());
  for (auto& [index, problem] : problems) result.push_back(std::move(problem));
  return result;
}

}  // namespace vroeg
