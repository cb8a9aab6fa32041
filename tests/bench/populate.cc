#include "tests/bench/populate.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/storage/sqlite_store.h"
#include "tests/bench/series.h"

namespace vroeg::bench {
absl::StatusOr<PopulateResult> Populate(const PopulateSpec& spec) {
  if (spec.reporters < 1 || spec.periods < 1 || spec.series_per_reporter < 1 ||
      spec.series_per_reporter > kSeriesPerReporter || spec.submission_size < 1 ||
      spec.first_agb + spec.reporters > 99999999) {
    return absl::InvalidArgumentError(absl::StrCat(
        "need reporters >= 1, periods >= 1, 1 <= series-per-reporter <= ", kSeriesPerReporter,
        ", submission-size >= 1 and AGB codes of 8 digits"));
  }
  auto store = SqliteStore::Open(spec.database);
  if (!store.ok()) return store.status();
  PopulateResult result;
  const absl::Time begin = absl::Now();
  const std::string run = absl::StrCat(absl::ToUnixMicros(begin));
  for (int r = 0; r < spec.reporters; ++r) {
    const std::string reporter = absl::StrFormat("urn:vroeg:provider:%08d", spec.first_agb + r);
    SubmissionRecord record;
    auto flush = [&]() -> absl::Status {
      if (record.observations.empty()) return absl::OkStatus();
      record.reporter = reporter;
      record.submission_id = absl::StrCat("populate-", run, "-", result.submissions);
      // Unique per submission, as a real digest of distinct content would be.
      record.digest = absl::StrFormat("%064x", result.submissions);
      record.received_at = absl::Now();
      auto committed = (*store)->Commit(record);
      if (!committed.ok()) return committed.status();
      result.observations += static_cast<int64_t>(record.observations.size());
      ++result.submissions;
      record.observations.clear();
      return absl::OkStatus();
    };
    for (int p = 0; p < spec.periods; ++p) {
      const MonthPeriod period = MonthFrom2000(p);
      for (int s = 0; s < spec.series_per_reporter; ++s) {
        const SeriesLabels labels = WachtendenSeries(s);
        StoredObservation o;
        o.series = {reporter, "wachtenden", labels.care_form, labels.municipality};
        o.period_start = period.start;
        o.period_end = period.end;
        o.granularity = type::v1::GRANULARITY_MONTH;
        o.value = (r + s + p) % 100;
        record.observations.push_back(std::move(o));
        if (static_cast<int>(record.observations.size()) >= spec.submission_size) {
          if (absl::Status status = flush(); !status.ok()) return status;
        }
      }
    }
    if (absl::Status status = flush(); !status.ok()) return status;
  }
  result.series = static_cast<int64_t>(spec.reporters) * spec.series_per_reporter;
  result.elapsed = absl::Now() - begin;
  return result;
}

}  // namespace vroeg::bench
