#ifndef VROEG_TESTS_FAKES_FAKE_SPOOL_H_
#define VROEG_TESTS_FAKES_FAKE_SPOOL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/spool/spool.h"
#include "common/clock.h"

namespace vroeg {

// A working Spool in memory, with the semantics of FileSpool (it passes the same contract
// suite). Its size is the serialized size of each pending request plus its source; appends
// beyond `max_bytes` are refused with RESOURCE_EXHAUSTED.
//
// Handles made by NewHandle() share the data, which outlives any one handle; destroying a handle
// and using another stands in for a process restart. Stats counters count per handle, as
// FileSpool's do.
//
// Thread-safety: thread-safe.
class FakeSpool : public Spool {
 public:
  struct QuarantinedSubmission {
    SpooledSubmission submission;
    std::string reason;
  };

  // An empty spool. `clock` is not owned and must outlive every handle.
  explicit FakeSpool(const Clock* clock, uint64_t max_bytes = uint64_t{1} << 30);
  ~FakeSpool() override;

  // Another handle on the same data.
  std::unique_ptr<FakeSpool> NewHandle() const;

  // The next `n` calls of Append, Acknowledge or Quarantine (on any handle) return UNAVAILABLE
  // and change nothing.
  void FailNextWrites(int n);

  // Every submission quarantined so far (through any handle), oldest first.
  std::vector<QuarantinedSubmission> quarantined() const;

  absl::StatusOr<uint64_t> Append(const api::v1::SubmitRequest& request,
                                  absl::string_view source) override;
  absl::StatusOr<std::vector<SpooledSubmission>> Peek(size_t max) override;
  absl::Status Acknowledge(uint64_t sequence) override;
  absl::Status Quarantine(uint64_t sequence, absl::string_view reason) override;
  SpoolStats Stats() const override;

 private:
  struct Data;
  explicit FakeSpool(std::shared_ptr<Data> data);

  std::shared_ptr<Data> data_;
  // Guarded by data_->mu.
  uint64_t quarantined_total_ = 0;
};

}  // namespace vroeg

#endif  // VROEG_TESTS_FAKES_FAKE_SPOOL_H_
