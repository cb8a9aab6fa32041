#include "tests/fakes/fake_observation_store.h"

#include <algorithm>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vroeg {
namespace {

struct PeriodKey {
  SeriesKey series;
  std::string period_start;
  std::string period_end;
  auto operator<=>(const PeriodKey&) const = default;
};

struct Version {
  type::v1::Granularity granularity;
  double value;
  std::string submission_id;
  absl::Time received_at;
  std::string region;  // of the submission
  // Its place (from 1) among all observations stored, in commit order: the fake's position.
  uint64_t sequence;
};

struct Submission {
  std::string digest;
  absl::Time received_at;
};

absl::Time TruncateToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

StoredObservation ToStored(const PeriodKey& key, const Version& version, bool current) {
  StoredObservation observation;
  observation.series = key.series;
  observation.period_start = key.period_start;
  observation.period_end = key.period_end;
  observation.granularity = version.granularity;
  observation.value = version.value;
  observation.submission_id = version.submission_id;
  observation.received_at = version.received_at;
  observation.current = current;
  return observation;
}

bool Selects(const std::vector<std::string>& values, const std::string& value) {
  return values.empty() || std::find(values.begin(), values.end(), value) != values.end();
}

bool Selects(const ExportQuery& query, const PeriodKey& key) {
  return (query.period_end_from.empty() || key.period_end >= query.period_end_from) &&
         (query.period_end_to.empty() || key.period_end <= query.period_end_to) &&
         Selects(query.reporters, key.series.reporter) &&
         Selects(query.indicators, key.series.indicator) &&
         Selects(query.care_forms, key.series.care_form) &&
         Selects(query.municipalities, key.series.municipality);
}

// The export order of whole series and periods; within one, versions stay in commit order.
bool ExportsBefore(const PeriodKey& a, const PeriodKey& b) {
  return std::tie(a.period_end, a.period_start, a.series) <
         std::tie(b.period_end, b.period_start, b.series);
}

}  // namespace

struct FakeObservationStore::Data {
  absl::Mutex mu;
  // (reporter, submission id) -> first commit.
  std::map<std::pair<std::string, std::string>, Submission> submissions ABSL_GUARDED_BY(mu);
  // Every version of each series and period in commit order; the last one is current.
  std::map<PeriodKey, std::vector<Version>> versions ABSL_GUARDED_BY(mu);
  uint64_t observations ABSL_GUARDED_BY(mu) = 0;
  std::optional<StateCheckpoint> checkpoint ABSL_GUARDED_BY(mu);
  int failures_to_inject ABSL_GUARDED_BY(mu) = 0;
  int commit_calls ABSL_GUARDED_BY(mu) = 0;

  absl::StatusOr<CommitResult> CommitOne(const SubmissionRecord& submission)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const absl::Time received_at = TruncateToMicros(submission.received_at);
    auto [it, inserted] = submissions.try_emplace({submission.reporter, submission.submission_id},
                                                  Submission{submission.digest, received_at});
    CommitResult result;
    if (!inserted) {
      const Submission& first = it->second;
      if (first.digest != submission.digest) {
        return SubmissionIdReusedError(submission, first.received_at);
      }
      result.duplicate = true;
      result.committed_at = first.received_at;
      return result;
    }
    for (const StoredObservation& observation : submission.observations) {
      PeriodKey key{observation.series, observation.period_start, observation.period_end};
      key.series.reporter = submission.reporter;
      std::vector<Version>& series_versions = versions[std::move(key)];
      if (!series_versions.empty()) ++result.corrections;
      series_versions.push_back(Version{observation.granularity, observation.value,
                                        submission.submission_id, received_at, submission.region,
                                        ++observations});
    }
    result.stored = static_cast<uint32_t>(submission.observations.size());
    result.committed_at = received_at;
    return result;
  }
};

FakeObservationStore::FakeObservationStore() : data_(std::make_shared<Data>()) {}

FakeObservationStore::FakeObservationStore(std::shared_ptr<Data> data) : data_(std::move(data)) {
  absl::MutexLock lock(&data_->mu);
  observations_seen_ = data_->observations;
}

FakeObservationStore::~FakeObservationStore() = default;

std::unique_ptr<FakeObservationStore> FakeObservationStore::NewHandle() const {
  return std::unique_ptr<FakeObservationStore>(new FakeObservationStore(data_));
}

void FakeObservationStore::FailNextCommits(int n) {
  absl::MutexLock lock(&data_->mu);
  data_->failures_to_inject = n;
}

int FakeObservationStore::commit_calls() const {
  absl::MutexLock lock(&data_->mu);
  return data_->commit_calls;
}

std::vector<absl::StatusOr<CommitResult>> FakeObservationStore::CommitGroup(
    std::span<const SubmissionRecord* const> submissions) {
  Data& data = *data_;
  absl::MutexLock lock(&data.mu);
  std::vector<absl::StatusOr<CommitResult>> results;
  if (submissions.empty()) return results;
  ++data.commit_calls;
  if (data.failures_to_inject > 0) {
    --data.failures_to_inject;
    for (const SubmissionRecord* submission : submissions) {
      results.push_back(
          absl::UnavailableError(absl::StrCat("storing submission '", submission->submission_id,
                                              "' failed: injected failure; retry later")));
    }
    return results;
  }
  for (const SubmissionRecord* submission : submissions) {
    results.push_back(data.CommitOne(*submission));
    if (results.back().ok() && !results.back()->duplicate) {
      observations_seen_ += results.back()->stored;
    }
  }
  return results;
}

absl::Status FakeObservationStore::ForEachCurrentAfter(
    int64_t position, const std::function<void(const StoredObservation&)>& fn) {
  absl::MutexLock lock(&data_->mu);
  for (const auto& [key, versions] : data_->versions) {
    if (versions.back().sequence > static_cast<uint64_t>(position)) {
      fn(ToStored(key, versions.back(), /*current=*/true));
    }
  }
  return absl::OkStatus();
}

absl::Status FakeObservationStore::SaveCheckpoint(std::string_view state) {
  absl::MutexLock lock(&data_->mu);
  if (data_->observations != observations_seen_) {
    return absl::FailedPreconditionError(
        "another process committed to the fake store since this collector read its state, so a "
        "checkpoint would miss its values; the next start reads the store instead");
  }
  data_->checkpoint =
      StateCheckpoint{std::string(state), static_cast<int64_t>(data_->observations)};
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StateCheckpoint>> FakeObservationStore::TakeCheckpoint() {
  absl::MutexLock lock(&data_->mu);
  observations_seen_ = data_->observations;
  return std::exchange(data_->checkpoint, std::nullopt);
}

absl::Status FakeObservationStore::ForEachRecent(
    size_t periods_per_series, const std::function<void(const RecentSeries&)>& fn) {
  absl::MutexLock lock(&data_->mu);
  // versions is ordered by series first, so each series is one run of entries.
  auto it = data_->versions.begin();
  while (it != data_->versions.end()) {
    RecentSeries recent;
    recent.series = it->first.series;
    std::vector<StoredObservation> current;
    for (; it != data_->versions.end() && it->first.series == recent.series; ++it) {
      current.push_back(ToStored(it->first, it->second.back(), /*current=*/true));
      recent.newest_received = std::max(recent.newest_received, current.back().received_at);
    }
    std::sort(
        current.begin(), current.end(), [](const StoredObservation& a, const StoredObservation& b) {
          return std::tie(a.period_end, a.period_start) > std::tie(b.period_end, b.period_start);
        });
    if (current.size() > periods_per_series) current.resize(periods_per_series);
    recent.periods = std::move(current);
    fn(recent);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StoredObservation>> FakeObservationStore::History(
    const SeriesKey& series, const std::string& period_start, const std::string& period_end) {
  absl::MutexLock lock(&data_->mu);
  std::vector<StoredObservation> history;
  PeriodKey key{series, period_start, period_end};
  auto it = data_->versions.find(key);
  if (it == data_->versions.end()) return history;
  const std::vector<Version>& versions = it->second;
  for (size_t i = 0; i < versions.size(); ++i) {
    history.push_back(ToStored(key, versions[i], /*current=*/i + 1 == versions.size()));
  }
  return history;
}

absl::Status FakeObservationStore::ForEachObservation(
    const ExportQuery& query, const std::function<bool(const StoredObservation&)>& fn) {
  absl::MutexLock lock(&data_->mu);
  using Entry = std::pair<const PeriodKey, std::vector<Version>>;
  std::vector<const Entry*> selected;
  for (const Entry& entry : data_->versions) {
    if (Selects(query, entry.first)) selected.push_back(&entry);
  }
  std::sort(selected.begin(), selected.end(),
            [](const Entry* a, const Entry* b) { return ExportsBefore(a->first, b->first); });
  for (const Entry* entry : selected) {
    const std::vector<Version>& versions = entry->second;
    const size_t first = query.history ? 0 : versions.size() - 1;
    for (size_t i = first; i < versions.size(); ++i) {
      const bool current = i + 1 == versions.size();
      StoredObservation observation = ToStored(entry->first, versions[i], current);
      observation.region = versions[i].region;
      if (!current) {
        observation.superseded_by_submission_id = versions[i + 1].submission_id;
        observation.superseded_at = versions[i + 1].received_at;
      }
      if (!fn(observation)) return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<StoreCounts> FakeObservationStore::Counts() {
  absl::MutexLock lock(&data_->mu);
  StoreCounts counts;
  counts.submissions = data_->submissions.size();
  counts.observations = data_->observations;
  counts.current = data_->versions.size();
  return counts;
}

}  // namespace vroeg
