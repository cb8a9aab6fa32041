#include "server/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace vroeg {

RateLimiter::RateLimiter(double per_minute, double burst, const Clock* clock)
    : per_second_(per_minute / 60.0),
      burst_(std::max(1.0, burst)),
      clock_(clock),
      last_sweep_(clock->Now()) {}

absl::Duration RateLimiter::Take(absl::string_view key) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  if (now - last_sweep_ > absl::Minutes(10)) {
    absl::erase_if(buckets_, [&](const auto& entry) {
      const Bucket& b = entry.second;
      return b.tokens + absl::ToDoubleSeconds(now - b.updated) * per_second_ >= burst_;
    });
    last_sweep_ = now;
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!inserted && now > bucket.updated) {
    bucket.tokens =
        std::min(burst_, bucket.tokens + absl::ToDoubleSeconds(now - bucket.updated) * per_second_);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return absl::ZeroDuration();
  }
  return absl::Seconds(std::ceil((1.0 - bucket.tokens) / per_second_ * 1000.0) / 1000.0);
}

}  // namespace vroeg
