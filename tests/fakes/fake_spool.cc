#include "tests/fakes/fake_spool.h"

#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace vroeg {

struct FakeSpool::Data {
  Data(const Clock* c, uint64_t max) : clock(c), max_bytes(max) {}

  const Clock* const clock;
  const uint64_t max_bytes;
  absl::Mutex mu;
  uint64_t next_sequence ABSL_GUARDED_BY(mu) = 1;
  std::map<uint64_t, SpooledSubmission> pending ABSL_GUARDED_BY(mu);
  uint64_t pending_bytes ABSL_GUARDED_BY(mu) = 0;
  std::vector<QuarantinedSubmission> quarantined ABSL_GUARDED_BY(mu);
  int fail_next_writes ABSL_GUARDED_BY(mu) = 0;

  bool TakeInjectedFailure() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (fail_next_writes == 0) return false;
    --fail_next_writes;
    return true;
  }
};

namespace {

uint64_t SizeOf(const SpooledSubmission& submission) {
  return submission.request.ByteSizeLong() + submission.source.size();
}

absl::Status InjectedFailure() {
  return absl::UnavailableError("fake spool: injected write failure");
}

absl::Status NotPending(uint64_t sequence) {
  return absl::NotFoundError(absl::StrCat("sequence ", sequence, " is not pending"));
}

}  // namespace

FakeSpool::FakeSpool(const Clock* clock, uint64_t max_bytes)
    : data_(std::make_shared<Data>(clock, max_bytes)) {}

FakeSpool::FakeSpool(std::shared_ptr<Data> data) : data_(std::move(data)) {}

FakeSpool::~FakeSpool() = default;

std::unique_ptr<FakeSpool> FakeSpool::NewHandle() const {
  return std::unique_ptr<FakeSpool>(new FakeSpool(data_));
}

void FakeSpool::FailNextWrites(int n) {
  absl::MutexLock lock(&data_->mu);
  data_->fail_next_writes = n;
}

std::vector<FakeSpool::QuarantinedSubmission> FakeSpool::quarantined() const {
  absl::MutexLock lock(&data_->mu);
  return data_->quarantined;
}

absl::StatusOr<uint64_t> FakeSpool::Append(const api::v1::SubmitRequest& request,
                                           absl::string_view source) {
  absl::MutexLock lock(&data_->mu);
  if (data_->TakeInjectedFailure()) return InjectedFailure();
  SpooledSubmission submission;
  submission.request = request;
  submission.source = std::string(source);
  const uint64_t size = SizeOf(submission);
  if (size > data_->max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("submission '", request.submission_id(), "' takes ", size,
                     " bytes and can never fit in the spool (max_bytes ", data_->max_bytes, ")"));
  }
  if (data_->pending_bytes + size > data_->max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("spool is full: ", data_->pending_bytes, " of max_bytes ", data_->max_bytes,
                     " in use, submission '", request.submission_id(), "' needs ", size));
  }
  submission.sequence = data_->next_sequence++;
  submission.spooled_at = data_->clock->Now();
  data_->pending_bytes += size;
  const uint64_t sequence = submission.sequence;
  data_->pending.emplace(sequence, std::move(submission));
  return sequence;
}

absl::StatusOr<std::vector<SpooledSubmission>> FakeSpool::Peek(size_t max) {
  absl::MutexLock lock(&data_->mu);
  std::vector<SpooledSubmission> result;
  for (auto it = data_->pending.begin(); it != data_->pending.end() && result.size() < max; ++it) {
    result.push_back(it->second);
  }
  return result;
}

absl::Status FakeSpool::Acknowledge(uint64_t sequence) {
  absl::MutexLock lock(&data_->mu);
  if (data_->TakeInjectedFailure()) return InjectedFailure();
  const auto it = data_->pending.find(sequence);
  if (it == data_->pending.end()) return NotPending(sequence);
  data_->pending_bytes -= SizeOf(it->second);
  data_->pending.erase(it);
  return absl::OkStatus();
}

absl::Status FakeSpool::Quarantine(uint64_t sequence, absl::string_view reason) {
  absl::MutexLock lock(&data_->mu);
  if (data_->TakeInjectedFailure()) return InjectedFailure();
  const auto it = data_->pending.find(sequence);
  if (it == data_->pending.end()) return NotPending(sequence);
  data_->pending_bytes -= SizeOf(it->second);
  data_->quarantined.push_back({std::move(it->second), std::string(reason)});
  data_->pending.erase(it);
  ++quarantined_total_;
  return absl::OkStatus();
}

SpoolStats FakeSpool::Stats() const {
  absl::MutexLock lock(&data_->mu);
  SpoolStats stats;
  stats.pending_submissions = data_->pending.size();
  stats.pending_bytes = data_->pending_bytes;
  stats.disk_bytes = data_->pending_bytes;
  stats.quarantined_total = quarantined_total_;
  if (!data_->pending.empty()) stats.oldest_pending = data_->pending.begin()->second.spooled_at;
  return stats;
}

}  // namespace vroeg
