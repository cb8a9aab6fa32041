#ifndef VROEG_SERVER_RATE_LIMITER_H_
#define VROEG_SERVER_RATE_LIMITER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace vroeg {

// A token bucket per key (a reporter identity): each key may take `burst` calls at once and
// `per_minute` on average after that. Keys are authenticated identities, so their number is
// bounded by the certificates the region issued; idle buckets are dropped once full again.
// Thread-safe.
class RateLimiter {
 public:
  RateLimiter(double per_minute, double burst, const Clock* clock);

  // Takes one call for `key`. Returns zero when it may proceed, otherwise how long until it
  // could (nothing is taken then).
  absl::Duration Take(absl::string_view key);

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };

  const double per_second_;
  const double burst_;
  const Clock* clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vroeg

#endif  // VROEG_SERVER_RATE_LIMITER_H_
