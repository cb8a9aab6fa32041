#include "tests/bench/stats.h"

#include "gtest/gtest.h"

namespace vroeg::bench {
namespace {

TEST(PercentileTest, TakesTheNearestRank) {
  const std::vector<double> values = {5, 1, 4, 2, 3};
  EXPECT_EQ(Percentile(values, 0.5), 3);
  EXPECT_EQ(Percentile(values, 0.99), 5);
  EXPECT_EQ(Percentile(values, 0), 1);
  EXPECT_EQ(Percentile({7}, 0.99), 7);
}

TEST(PercentileTest, IsZeroForNoValues) { EXPECT_EQ(Percentile({}, 0.5), 0); }

TEST(NumberTest, PrintsPlainDecimalsThatShellToolsRead) {
  EXPECT_EQ(Number(0.000123), "0.000123");
  EXPECT_EQ(Number(1500), "1500");
  EXPECT_EQ(Number(2.5), "2.5");
  EXPECT_EQ(Number(-0.25), "-0.25");
}

TEST(ResultLineTest, JoinsKeysAndValues) {
  EXPECT_EQ(ResultLine("scrape", {{"count", "3"}, {"p50", "0.1"}}), "scrape count=3 p50=0.1");
  EXPECT_EQ(ResultLine("scrape", {}), "scrape");
}

}  // namespace
}  // namespace vroeg::bench
