#include "common/text_exposition.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/support/process.h"

namespace vroeg {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using ::testing::HasSubstr;

std::string Write(const std::vector<MetricFamily>& families) {
  std::string out;
  AppendTextExposition(families, &out);
  return out;
}

// prometheus-cpp writes HELP text as it is; ours escapes it, so the reference gets it escaped.
std::vector<MetricFamily> WithEscapedHelp(std::vector<MetricFamily> families) {
  for (MetricFamily& family : families) {
    family.help = absl::StrReplaceAll(family.help, {{"\\", "\\\\"}, {"\n", "\\n"}});
  }
  return families;
}

// Generates families of every type with names, help, labels and values chosen to reach every
// branch of the format: escapes, special values, extreme magnitudes, timestamps.
class FamilyGenerator {
 public:
  explicit FamilyGenerator(uint32_t seed) : random_(seed) {}

  std::vector<MetricFamily> Families() {
    std::vector<MetricFamily> families(Pick(0, 6));
    for (MetricFamily& family : families) {
      family.name = Name();
      family.help = Pick(0, 3) == 0 ? "" : Text();
      family.type = static_cast<MetricType>(Pick(0, 4));
      family.metric.resize(Pick(0, 4));
      for (ClientMetric& metric : family.metric) Fill(family.type, metric);
    }
    return families;
  }

 private:
  int Pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

  std::string Name() {
    static constexpr char kFirst[] = "abcxyz_:ABZ";
    static constexpr char kRest[] = "abcxyz_:ABZ0189";
    std::string name(1, kFirst[Pick(0, sizeof(kFirst) - 2)]);
    for (int n = Pick(0, 12); n > 0; --n) name.push_back(kRest[Pick(0, sizeof(kRest) - 2)]);
    return name;
  }

  std::string Text() {
    static const std::vector<std::string> kPieces = {"a", "Zorg", " ", "\\", "\"", "\n", "\\n",
                                                     "é", "{}",   "=", ",",  "#",  "\t", "x y"};
    std::string text;
    for (int n = Pick(1, 8); n > 0; --n) text += kPieces[Pick(0, kPieces.size() - 1)];
    return text;
  }

  double Value() {
    switch (Pick(0, 9)) {
      case 0:
        return std::numeric_limits<double>::quiet_NaN();
      case 1:
        return Pick(0, 1) == 0 ? std::numeric_limits<double>::infinity()
                               : -std::numeric_limits<double>::infinity();
      case 2:
        return Pick(0, 1) == 0 ? 0.0 : -0.0;
      case 3:
        return static_cast<double>(Pick(-1000000, 1000000));
      case 4:
        return std::ldexp(std::uniform_real_distribution<double>(-1, 1)(random_),
                          Pick(-1074, 1023));
      case 5:
        return std::pow(10.0, Pick(-20, 22));
      case 6:
        return Pick(0, 1) == 0 ? std::numeric_limits<double>::max()
                               : std::numeric_limits<double>::denorm_min();
      default:
        return std::uniform_real_distribution<double>(-1e6, 1e6)(random_);
    }
  }

  uint64_t Count() {
    return Pick(0, 3) == 0 ? std::numeric_limits<uint64_t>::max()
                           : static_cast<uint64_t>(Pick(0, 1 << 30));
  }

  void Fill(MetricType type, ClientMetric& metric) {
    for (int n = Pick(0, 3); n > 0; --n) metric.label.push_back({Name(), Text()});
    if (Pick(0, 2) == 0) {
      metric.timestamp_ms = Pick(0, 1) == 0 ? std::numeric_limits<int64_t>::min()
                                            : static_cast<int64_t>(Pick(-5, 5)) * 1700000000123;
    }
    metric.counter.value = Value();
    metric.gauge.value = Value();
    metric.untyped.value = Value();
    if (type == MetricType::Summary) {
      metric.summary.sample_count = Count();
      metric.summary.sample_sum = Value();
      for (int n = Pick(0, 3); n > 0; --n) metric.summary.quantile.push_back({Value(), Value()});
    }
    if (type == MetricType::Histogram) {
      metric.histogram.sample_count = Count();
      metric.histogram.sample_sum = Value();
      for (int n = Pick(0, 4); n > 0; --n) metric.histogram.bucket.push_back({Count(), Value()});
      if (Pick(0, 1) == 0) {
        metric.histogram.bucket.push_back({Count(), std::numeric_limits<double>::infinity()});
      }
    }
  }

  std::mt19937 random_;
};

TEST(TextExpositionTest, MatchesPrometheusCppTextSerializer) {
  const prometheus::TextSerializer reference;
  for (uint32_t seed = 1; seed <= 3000; ++seed) {
    const std::vector<MetricFamily> families = FamilyGenerator(seed).Families();
    ASSERT_EQ(Write(families), reference.Serialize(WithEscapedHelp(families))) << "seed " << seed;
  }
}

TEST(TextExpositionTest, AppendsToWhatIsThere) {
  MetricFamily family;
  family.name = "vroeg_up";
  family.type = MetricType::Gauge;
  family.metric.resize(1);
  family.metric[0].gauge.value = 1;
  std::string out = "# before\n";
  AppendTextExposition(family, &out);
  EXPECT_EQ(out, "# before\n# TYPE vroeg_up gauge\nvroeg_up 1\n");
}

TEST(TextExpositionTest, EscapesHelpAndLabelValues) {
  MetricFamily family;
  family.name = "jeugdzorg_x";
  family.help = "a \\ b\nc \"d\"";
  family.type = MetricType::Gauge;
  family.metric.resize(1);
  family.metric[0].label = {{"care_form", "a\\b\"c\nd"}};
  family.metric[0].gauge.value = 0.25;
  EXPECT_EQ(Write({family}),
            "# HELP jeugdzorg_x a \\\\ b\\nc \"d\"\n"
            "# TYPE jeugdzorg_x gauge\n"
            "jeugdzorg_x{care_form=\"a\\\\b\\\"c\\nd\"} 0.25\n");
}

// promtool is Prometheus' own parser: escaped HELP lines parse, where prometheus-cpp's raw
// newline would end the line and make the rest of the help a syntax error.
TEST(TextExpositionTest, PromtoolParsesEscapedHelpAndSpecialValues) {
  MetricFamily family;
  family.name = "jeugdzorg_waiting_youths";
  family.help = "Youths waiting.\nSecond line with a \\ backslash.";
  family.type = MetricType::Gauge;
  for (double value :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(), 1e-300, 0.1}) {
    ClientMetric metric;
    metric.label = {{"reporter", absl::StrCat("r\"\\\n", family.metric.size())}};
    metric.gauge.value = value;
    family.metric.push_back(metric);
  }
  MetricFamily histogram;
  histogram.name = "vroeg_duration_seconds";
  histogram.help = "Durations.";
  histogram.type = MetricType::Histogram;
  histogram.metric.resize(1);
  histogram.metric[0].histogram = {3, 0.5, {{1, 0.1}, {3, 1}}};
  auto promtool = vroeg::testing::RunCommand({"/usr/bin/promtool", "check", "metrics"},
                                             absl::Seconds(60), Write({family, histogram}));
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  EXPECT_EQ(promtool->exit_code, 0) << promtool->out << promtool->err;
  EXPECT_EQ(promtool->out + promtool->err, "");

  auto raw =
      vroeg::testing::RunCommand({"/usr/bin/promtool", "check", "metrics"}, absl::Seconds(60),
                                 prometheus::TextSerializer().Serialize({family}));
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_NE(raw->exit_code, 0) << "prometheus-cpp's unescaped help parses after all";
  EXPECT_THAT(raw->out + raw->err, HasSubstr("error"));
}

}  // namespace
}  // namespace vroeg
