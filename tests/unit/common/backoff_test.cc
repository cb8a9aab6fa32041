#include "common/backoff.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vroeg {
namespace {

using ::testing::ElementsAre;
using ::testing::Ge;
using ::testing::Le;
using ::testing::Lt;

constexpr absl::Duration kInitial = absl::Milliseconds(100);
constexpr absl::Duration kMax = absl::Seconds(10);

RandomSource Fixed(double u) {
  return [u] { return u; };
}

// Returns `values` in turn, then starts over.
RandomSource Cycle(std::vector<double> values) {
  return [values = std::move(values), next = size_t{0}]() mutable {
    return values[next++ % values.size()];
  };
}

// Deterministic, unlike SystemRandomSource().
RandomSource Seeded(unsigned seed) {
  return [gen = std::mt19937_64(seed),
          dist = std::uniform_real_distribution<double>(0.0, 1.0)]() mutable { return dist(gen); };
}

std::vector<absl::Duration> Delays(BackoffStrategy& backoff, int n) {
  std::vector<absl::Duration> delays;
  for (int i = 0; i < n; ++i) delays.push_back(backoff.NextDelay());
  return delays;
}

TEST(JitteredExponentialBackoffTest, CeilingDoublesPerFailure) {
  JitteredExponentialBackoff backoff(kInitial, kMax, Fixed(0.5));
  EXPECT_THAT(Delays(backoff, 6), ElementsAre(absl::Milliseconds(50), absl::Milliseconds(100),
                                              absl::Milliseconds(200), absl::Milliseconds(400),
                                              absl::Milliseconds(800), absl::Milliseconds(1600)));
}

TEST(JitteredExponentialBackoffTest, DelayIsTheRandomFractionOfTheCeiling) {
  JitteredExponentialBackoff backoff(kInitial, kMax, Cycle({0.0, 0.25, 0.9}));
  EXPECT_THAT(Delays(backoff, 3),
              ElementsAre(absl::ZeroDuration(), absl::Milliseconds(50), absl::Milliseconds(360)));
}

TEST(JitteredExponentialBackoffTest, CeilingStopsAtMax) {
  JitteredExponentialBackoff backoff(kInitial, kMax, Fixed(0.5));
  // The ceiling reaches 6.4 s at the seventh failure; doubling again would pass 10 s.
  EXPECT_THAT(Delays(backoff, 10), ElementsAre(absl::Milliseconds(50), absl::Milliseconds(100),
                                               absl::Milliseconds(200), absl::Milliseconds(400),
                                               absl::Milliseconds(800), absl::Milliseconds(1600),
                                               absl::Milliseconds(3200), absl::Milliseconds(5000),
                                               absl::Milliseconds(5000), absl::Milliseconds(5000)));
}

TEST(JitteredExponentialBackoffTest, StaysBoundedAfterTenThousandFailures) {
  const double almost_one = std::nextafter(1.0, 0.0);
  JitteredExponentialBackoff backoff(kInitial, kMax, Fixed(almost_one));
  absl::Duration delay;
  for (int i = 0; i < 10000; ++i) {
    delay = backoff.NextDelay();
    ASSERT_THAT(delay, Ge(absl::ZeroDuration())) << "failure " << i;
    ASSERT_THAT(delay, Le(kMax)) << "failure " << i;
  }
  EXPECT_THAT(delay, Ge(kMax - absl::Milliseconds(1)));
}

TEST(JitteredExponentialBackoffTest, HugeMaxDoesNotOverflow) {
  const absl::Duration huge = absl::Hours(24 * 365 * 200);
  JitteredExponentialBackoff backoff(absl::Nanoseconds(1), huge, Fixed(0.5));
  absl::Duration delay;
  for (int i = 0; i < 10000; ++i) delay = backoff.NextDelay();
  EXPECT_EQ(delay, huge / 2);
}

TEST(JitteredExponentialBackoffTest, DelaysSpreadOverTheWholeWindow) {
  JitteredExponentialBackoff backoff(kInitial, kMax, Seeded(20240611));
  // The eighth failure onwards draws from [0, 10 s).
  for (int i = 0; i < 7; ++i) backoff.NextDelay();
  absl::Duration shortest = absl::InfiniteDuration();
  absl::Duration longest = absl::ZeroDuration();
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration delay = backoff.NextDelay();
    ASSERT_THAT(delay, Ge(absl::ZeroDuration()));
    ASSERT_THAT(delay, Le(kMax));
    shortest = std::min(shortest, delay);
    longest = std::max(longest, delay);
  }
  EXPECT_THAT(shortest, Lt(kMax / 10));
  EXPECT_THAT(longest, Ge(kMax * 9 / 10));
}

TEST(JitteredExponentialBackoffTest, SystemRandomSourceStaysWithinTheWindow) {
  JitteredExponentialBackoff backoff(kInitial, kMax);
  absl::Duration ceiling = kInitial;
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration delay = backoff.NextDelay();
    ASSERT_THAT(delay, Ge(absl::ZeroDuration())) << "failure " << i;
    ASSERT_THAT(delay, Le(ceiling)) << "failure " << i;
    ceiling = std::min(ceiling * 2, kMax);
  }
}

TEST(JitteredExponentialBackoffTest, ResetStartsOverFromInitial) {
  JitteredExponentialBackoff backoff(kInitial, kMax, Fixed(0.5));
  Delays(backoff, 20);
  backoff.Reset();
  EXPECT_THAT(Delays(backoff, 3), ElementsAre(absl::Milliseconds(50), absl::Milliseconds(100),
                                              absl::Milliseconds(200)));
}

TEST(JitteredExponentialBackoffTest, RandomValuesOutsideTheUnitIntervalAreClamped) {
  JitteredExponentialBackoff backoff(
      kInitial, kMax, Cycle({1.5, -0.5, std::numeric_limits<double>::quiet_NaN(), 1.0}));
  EXPECT_THAT(Delays(backoff, 4), ElementsAre(absl::Milliseconds(100), absl::ZeroDuration(),
                                              absl::ZeroDuration(), absl::Milliseconds(800)));
}

TEST(JitteredExponentialBackoffTest, ZeroInitialDelayStillBacksOff) {
  JitteredExponentialBackoff backoff(absl::ZeroDuration(), kMax, Fixed(0.5));
  EXPECT_THAT(Delays(backoff, 3),
              ElementsAre(absl::Microseconds(500), absl::Milliseconds(1), absl::Milliseconds(2)));
}

TEST(JitteredExponentialBackoffTest, MaxBelowInitialIsRaisedToInitial) {
  JitteredExponentialBackoff backoff(absl::Seconds(2), absl::Seconds(1), Fixed(0.5));
  EXPECT_THAT(Delays(backoff, 3),
              ElementsAre(absl::Seconds(1), absl::Seconds(1), absl::Seconds(1)));
}

TEST(NextDelayHonouringHintTest, LongerHintWins) {
  JitteredExponentialBackoff backoff(kInitial, kMax, Fixed(0.5));
  EXPECT_EQ(NextDelayHonouringHint(backoff, absl::Seconds(30)), absl::Seconds(30));
}

TEST(NextDelayHonouringHintTest, ShorterHintLeavesTheComputedDelay) {
  JitteredExponentialBackoff backoff(kInitial, kMax, Fixed(0.5));
  EXPECT_EQ(NextDelayHonouringHint(backoff, absl::Milliseconds(10)), absl::Milliseconds(50));
}

TEST(NextDelayHonouringHintTest, NoHintLeavesTheComputedDelay) {
  JitteredExponentialBackoff backoff(kInitial, kMax, Fixed(0.5));
  EXPECT_EQ(NextDelayHonouringHint(backoff, std::nullopt), absl::Milliseconds(50));
}

TEST(NextDelayHonouringHintTest, NegativeOrInfiniteHintIsIgnored) {
  JitteredExponentialBackoff backoff(kInitial, kMax, Fixed(0.5));
  EXPECT_EQ(NextDelayHonouringHint(backoff, absl::Seconds(-5)), absl::Milliseconds(50));
  EXPECT_EQ(NextDelayHonouringHint(backoff, absl::InfiniteDuration()), absl::Milliseconds(100));
}

TEST(NextDelayHonouringHintTest, BackoffAdvancesUnderAHint) {
  JitteredExponentialBackoff backoff(kInitial, kMax, Fixed(0.5));
  NextDelayHonouringHint(backoff, absl::Seconds(30));
  NextDelayHonouringHint(backoff, absl::Seconds(30));
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(200));
}

}  // namespace
}  // namespace vroeg
