#include "server/rate_limiter.h"

#include "gtest/gtest.h"

namespace vroeg {
namespace {

class RateLimiterTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
};

TEST_F(RateLimiterTest, TheBurstIsAllowedAtOnceThenTheAverage) {
  RateLimiter limiter(/*per_minute=*/30, /*burst=*/3, &clock_);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Take("a"), absl::ZeroDuration()) << i;
  EXPECT_EQ(limiter.Take("a"), absl::Seconds(2));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(limiter.Take("a"), absl::Seconds(1));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(limiter.Take("a"), absl::ZeroDuration());
  EXPECT_EQ(limiter.Take("a"), absl::Seconds(2));
}

TEST_F(RateLimiterTest, EachKeyHasItsOwnBucket) {
  RateLimiter limiter(60, 1, &clock_);
  EXPECT_EQ(limiter.Take("a"), absl::ZeroDuration());
  EXPECT_EQ(limiter.Take("b"), absl::ZeroDuration());
  EXPECT_GT(limiter.Take("a"), absl::ZeroDuration());
}

TEST_F(RateLimiterTest, ARefusedCallTakesNothing) {
  RateLimiter limiter(60, 1, &clock_);
  EXPECT_EQ(limiter.Take("a"), absl::ZeroDuration());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.Take("a"), absl::Seconds(1));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(limiter.Take("a"), absl::ZeroDuration());
}

TEST_F(RateLimiterTest, AnIdleKeyRefillsOnlyUpToTheBurst) {
  RateLimiter limiter(60, 2, &clock_);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(limiter.Take("a"), absl::ZeroDuration());
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(limiter.Take("a"), absl::ZeroDuration());
  EXPECT_EQ(limiter.Take("a"), absl::ZeroDuration());
  EXPECT_GT(limiter.Take("a"), absl::ZeroDuration());
}

}  // namespace
}  // namespace vroeg
