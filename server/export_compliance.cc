#include "server/export_compliance.h"

#include <algorithm>
#include <tuple>

#include "common/identity.h"
#include "common/period.h"
#include "google/protobuf/util/time_util.h"
#include "server/early_warning/figures.h"
#include "server/early_warning/series.h"

namespace vroeg {
namespace {

using catalogue::v1::Dataset;
using CivilPeriod = std::pair<absl::CivilDay, absl::CivilDay>;

// The calendar period of `cadence` that holds `day`.
CivilPeriod PeriodHolding(absl::CivilDay day, type::v1::Granularity cadence) {
  switch (cadence) {
    case type::v1::GRANULARITY_WEEK: {
      const absl::CivilDay monday = day - static_cast<int>(absl::GetWeekday(day));
      return {monday, monday + 6};
    }
    case type::v1::GRANULARITY_MONTH: {
      const absl::CivilMonth month(day);
      return {absl::CivilDay(month), absl::CivilDay(month + 1) - 1};
    }
    case type::v1::GRANULARITY_QUARTER: {
      const absl::CivilMonth first(day.year(), (day.month() - 1) / 3 * 3 + 1);
      return {absl::CivilDay(first), absl::CivilDay(first + 3) - 1};
    }
    case type::v1::GRANULARITY_YEAR:
      return {absl::CivilDay(day.year(), 1, 1), absl::CivilDay(day.year(), 12, 31)};
    default:
      return {day, day};
  }
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

void SetPeriod(const std::string& start, const std::string& end, type::v1::Granularity granularity,
               api::v1::Period* period) {
  period->set_start(start);
  period->set_end(end);
  period->set_granularity(granularity);
}

absl::CivilDay DayOf(const std::string& iso_date) {
  absl::StatusOr<absl::CivilDay> day = ParseIsoDate(iso_date);
  return day.ok() ? *day : absl::CivilDay();
}

}  // namespace

ComplianceBuilder::ComplianceBuilder(const Catalogue* catalogue, ComplianceOptions options)
    : catalogue_(catalogue), options_(std::move(options)) {}

void ComplianceBuilder::Add(const std::string& region, const StoredObservation& row) {
  if (row.received_at > options_.as_of) return;
  const catalogue::v1::Indicator* indicator = catalogue_->FindIndicator(row.series.indicator);
  if (indicator == nullptr) return;
  if (!options_.datasets.empty() && !options_.datasets.contains(indicator->dataset())) return;
  if (!options_.reporters.empty() && !options_.reporters.contains(row.series.reporter)) return;
  Received& received = received_[{row.series.reporter, indicator->dataset()}];
  received.region = region;
  auto [it, inserted] =
      received.first.try_emplace({row.period_start, row.period_end}, row.received_at);
  if (!inserted) it->second = std::min(it->second, row.received_at);
}

std::vector<api::v1::ComplianceRecord> ComplianceBuilder::Records() const {
  std::map<Key, Received> expected = received_;
  // Where each dataset's collection began: the earliest start anyone sent.
  std::map<Dataset, absl::CivilDay> earliest;
  for (const auto& [key, received] : received_) {
    const absl::CivilDay start = DayOf(received.first.begin()->first.first);
    auto [it, inserted] = earliest.try_emplace(key.second, start);
    if (!inserted) it->second = std::min(it->second, start);
  }
  for (const std::string& urn : options_.settings.expected_reporters()) {
    if (!options_.reporters.empty() && !options_.reporters.contains(urn)) continue;
    absl::StatusOr<ReporterId> reporter = ParseReporterUrn(urn);
    if (!reporter.ok()) continue;  // checked with the configuration
    for (const catalogue::v1::Indicator& indicator : catalogue_->proto().indicators()) {
      const auto& kinds = indicator.reporter_kinds();
      if (std::find(kinds.begin(), kinds.end(), reporter->kind) == kinds.end()) continue;
      if (!options_.datasets.empty() && !options_.datasets.contains(indicator.dataset())) continue;
      auto [it, inserted] = expected.try_emplace({reporter->Urn(), indicator.dataset()});
      if (inserted) it->second.region = options_.region;
    }
  }

  const absl::CivilDay as_of_day = absl::ToCivilDay(options_.as_of, absl::UTCTimeZone());
  std::vector<api::v1::ComplianceRecord> records;
  for (const auto& [key, received] : expected) {
    const auto& [urn, dataset] = key;
    absl::StatusOr<ReporterId> reporter = ParseReporterUrn(urn);
    if (!reporter.ok()) continue;
    type::v1::Granularity cadence = type::v1::GRANULARITY_UNSPECIFIED;
    for (const catalogue::v1::Indicator& indicator : catalogue_->proto().indicators()) {
      const auto& kinds = indicator.reporter_kinds();
      if (indicator.dataset() != dataset ||
          std::find(kinds.begin(), kinds.end(), reporter->kind) == kinds.end()) {
        continue;
      }
      if (cadence == type::v1::GRANULARITY_UNSPECIFIED || indicator.cadence() < cadence) {
        cadence = indicator.cadence();
      }
    }
    // A kind that may send none of the dataset owes none of it.
    if (cadence == type::v1::GRANULARITY_UNSPECIFIED) continue;

    const Period* last = nullptr;
    for (const auto& [period, first] : received.first) {
      if (last == nullptr ||
          std::tie(period.second, period.first) > std::tie(last->second, last->first)) {
        last = &period;
      }
    }
    absl::CivilDay from;
    if (options_.period_end_from) {
      from = *options_.period_end_from;
    } else if (!received.first.empty()) {
      from = DayOf(received.first.begin()->first.first);
    } else if (auto begun = earliest.find(dataset); begun != earliest.end()) {
      from = begun->second;
    } else {
      CivilPeriod newest = PeriodHolding(as_of_day, cadence);
      if (newest.second > as_of_day) newest = PeriodHolding(newest.first - 1, cadence);
      from = newest.first;
    }
    const absl::CivilDay to = options_.period_end_to.value_or(as_of_day);

    for (CivilPeriod p = PeriodHolding(from, cadence); p.second <= to;
         p = PeriodHolding(p.second + 1, cadence)) {
      api::v1::ComplianceRecord& record = records.emplace_back();
      record.set_region(received.region);
      record.set_reporter(urn);
      record.set_dataset(dataset);
      record.set_cadence(cadence);
      const std::string start = FormatIsoDate(p.first);
      const std::string end = FormatIsoDate(p.second);
      SetPeriod(start, end, cadence, record.mutable_period());
      const absl::Time due = early_warning::DueAfter(early_warning::ToDay(p.first) - 1, cadence,
                                                     options_.settings.grace());
      *record.mutable_due() = ToTimestamp(due);
      if (auto first = received.first.find({start, end}); first != received.first.end()) {
        *record.mutable_first_received_at() = ToTimestamp(first->second);
        record.set_status(first->second <= due ? api::v1::COMPLIANCE_STATUS_ON_TIME
                                               : api::v1::COMPLIANCE_STATUS_LATE);
      } else {
        record.set_status(options_.as_of > due ? api::v1::COMPLIANCE_STATUS_OVERDUE
                                               : api::v1::COMPLIANCE_STATUS_NOT_DUE);
      }
      if (last != nullptr) {
        absl::StatusOr<type::v1::Granularity> granularity =
            GranularityOf(DayOf(last->first), DayOf(last->second));
        SetPeriod(last->first, last->second,
                  granularity.ok() ? *granularity : type::v1::GRANULARITY_UNSPECIFIED,
                  record.mutable_last_period_received());
      }
    }
  }
  std::sort(records.begin(), records.end(),
            [](const api::v1::ComplianceRecord& a, const api::v1::ComplianceRecord& b) {
              return std::forward_as_tuple(a.period().end(), a.reporter(), a.dataset()) <
                     std::forward_as_tuple(b.period().end(), b.reporter(), b.dataset());
            });
  return records;
}

}  // namespace vroeg
