#ifndef VROEG_COMMON_BACKOFF_H_
#define VROEG_COMMON_BACKOFF_H_

#include <optional>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace vroeg {

// Decides how long to wait before the next attempt at something that must eventually succeed,
// such as delivering a spooled submission. A strategy never gives up: NextDelay() always returns
// a finite, non-negative delay, however many failures came before.
//
// Not thread-safe: each retry loop owns its own strategy.
class BackoffStrategy {
 public:
  virtual ~BackoffStrategy() = default;

  // Called after a failed attempt; returns how long to wait before the next one.
  virtual absl::Duration NextDelay() = 0;

  // Called after a successful attempt: the next failure starts again from the shortest delay.
  virtual void Reset() = 0;
};

// Called after a failed attempt when the server may have said how long to wait (see
// RetryAfterHint in common/retry_policy.h): returns the longer of `backoff.NextDelay()` and
// `retry_after`. Advances `backoff` either way, so its delays keep growing while the server keeps
// refusing. A missing, negative or infinite `retry_after` is ignored.
absl::Duration NextDelayHonouringHint(BackoffStrategy& backoff,
                                      std::optional<absl::Duration> retry_after);

// Returns a value drawn uniformly from [0, 1) on each call.
using RandomSource = absl::AnyInvocable<double()>;

// A RandomSource backed by its own absl::BitGen.
RandomSource SystemRandomSource();

// Exponential backoff with full jitter: the n-th consecutive failure (n = 0, 1, ...) waits a
// delay drawn uniformly between 0 and ceiling, where ceiling = min(initial * 2^n, max). The ceiling
// stops growing at `max`, so no delay ever exceeds `max`, however many failures came before.
//
// Requires 0 < initial <= max < infinity. An initial below 1 ms is raised to 1 ms and a max below
// initial is raised to initial, so that a retry loop can never spin; config validation is where
// such values are reported.
//
// Not thread-safe.
class JitteredExponentialBackoff : public BackoffStrategy {
 public:
  // Draws its jitter from a SystemRandomSource().
  JitteredExponentialBackoff(absl::Duration initial, absl::Duration max);
  // Draws its jitter from `random`, which must return values in [0, 1); values outside are
  // clamped to it. Tests pass a fixed source to make delays predictable.
  JitteredExponentialBackoff(absl::Duration initial, absl::Duration max, RandomSource random);

  JitteredExponentialBackoff(const JitteredExponentialBackoff&) = delete;
  JitteredExponentialBackoff& operator=(const JitteredExponentialBackoff&) = delete;

  absl::Duration NextDelay() override;
  void Reset() override;

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  RandomSource random_;
  // The upper bound of the next delay; always within [initial_, max_].
  absl::Duration ceiling_;
};

}  // namespace vroeg

#endif  // VROEG_COMMON_BACKOFF_H_
