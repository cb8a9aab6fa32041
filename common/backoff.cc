#include "common/backoff.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"

namespace vroeg {
namespace {

// Below this a zero or negative configured initial delay would make the agent hammer the
// collector in a tight loop.
constexpr absl::Duration kShortestInitial = absl::Milliseconds(1);

// A test double or a buggy source must not push a delay outside [0, ceiling]; the comparisons are
// written so that NaN also ends up at 0.
double ClampUnit(double u) {
  if (!(u > 0.0)) return 0.0;
  if (u > 1.0) return 1.0;
  return u;
}

}  // namespace

absl::Duration NextDelayHonouringHint(BackoffStrategy& backoff,
                                      std::optional<absl::Duration> retry_after) {
  const absl::Duration computed = backoff.NextDelay();
  // An infinite hint would stop the agent for good, which is giving up.
  if (!retry_after.has_value() || *retry_after == absl::InfiniteDuration()) return computed;
  return std::max(computed, *retry_after);
}

RandomSource SystemRandomSource() {
  return [gen = absl::BitGen()]() mutable { return absl::Uniform(gen, 0.0, 1.0); };
}

JitteredExponentialBackoff::JitteredExponentialBackoff(absl::Duration initial, absl::Duration max)
    : JitteredExponentialBackoff(initial, max, SystemRandomSource()) {}

JitteredExponentialBackoff::JitteredExponentialBackoff(absl::Duration initial, absl::Duration max,
                                                       RandomSource random)
    : initial_(std::max(initial, kShortestInitial)),
      max_(std::max(max, initial_)),
      random_(std::move(random)),
      ceiling_(initial_) {}

// Full jitter rather than decorrelated jitter: when the collector comes back after an outage,
// every agent of the region retries at once, and drawing each delay uniformly from the whole
// window spreads those retries most evenly. It also keeps the bound a plain function of the failure
// count (decorrelated jitter feeds each draw into the next), which is what the header promises
// and the tests check.
absl::Duration JitteredExponentialBackoff::NextDelay() {
  const absl::Duration delay = ceiling_ * ClampUnit(random_());
  // Doubling the ceiling itself, instead of computing initial * 2^n from a failure count, cannot
  // overflow: it never exceeds max_, and absl::Duration saturates rather than wraps.
  ceiling_ = std::min(ceiling_ * 2, max_);
  return delay;
}

void JitteredExponentialBackoff::Reset() { ceiling_ = initial_; }

}  // namespace vroeg
