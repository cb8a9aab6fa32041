#include "common/period.h"

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace vroeg {
namespace {

namespace api = ::vroeg::api::v1;
namespace types = ::vroeg::type::v1;

using vroeg::testing::IsOkAndHolds;
using vroeg::testing::StatusIs;

TEST(ParseIsoDateTest, AcceptsCalendarDates) {
  EXPECT_THAT(ParseIsoDate("2026-11-23"), IsOkAndHolds(absl::CivilDay(2026, 11, 23)));
  EXPECT_THAT(ParseIsoDate("2024-02-29"), IsOkAndHolds(absl::CivilDay(2024, 2, 29)));
  EXPECT_THAT(ParseIsoDate("2000-02-29"), IsOkAndHolds(absl::CivilDay(2000, 2, 29)));
  EXPECT_THAT(ParseIsoDate("1900-01-01"), IsOkAndHolds(absl::CivilDay(1900, 1, 1)));
  EXPECT_THAT(ParseIsoDate("2025-12-31"), IsOkAndHolds(absl::CivilDay(2025, 12, 31)));
}

class ParseIsoDateRefusesTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ParseIsoDateRefusesTest, SayingWhatIsExpected) {
  const std::string text = GetParam();
  EXPECT_THAT(ParseIsoDate(text),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("'", text, "' is not a valid date (expected YYYY-MM-DD)")));
}

INSTANTIATE_TEST_SUITE_P(NotADate, ParseIsoDateRefusesTest,
                         ::testing::Values("2025-02-29",   // not a leap year
                                           "1900-02-29",   // century, not a leap year
                                           "2025-04-31",   // April has 30 days
                                           "2025-13-01",   // month 13
                                           "2025-00-10",   // month 0
                                           "2025-01-00",   // day 0
                                           "2025-1-01",    // month without leading zero
                                           "2025-01-1",    // day without leading zero
                                           "20250101",     // basic format
                                           "2025/01/01",   // wrong separator
                                           "01-01-2025",   // Dutch order
                                           "2025-01-01 ",  // trailing space
                                           " 2025-01-01",  // leading space
                                           "2025-01-01T00:00:00Z", "", "yyyy-mm-dd",
                                           "+025-01-01",  // sign
                                           "1899-12-31"   // before 1900
                                           ));

TEST(FormatIsoDateTest, PadsWithZeros) {
  EXPECT_EQ(FormatIsoDate(absl::CivilDay(2026, 1, 5)), "2026-01-05");
  EXPECT_EQ(FormatIsoDate(absl::CivilDay(2026, 11, 23)), "2026-11-23");
}

TEST(FormatIsoDateTest, RoundTripsThroughParse) {
  for (absl::CivilDay day = absl::CivilDay(2024, 1, 1); day <= absl::CivilDay(2024, 12, 31);
       ++day) {
    ASSERT_THAT(ParseIsoDate(FormatIsoDate(day)), IsOkAndHolds(day));
  }
}

struct GranularityCase {
  const char* start;
  const char* end;
  types::Granularity expected;
};

void PrintTo(const GranularityCase& c, std::ostream* os) { *os << c.start << ".." << c.end; }

absl::CivilDay Day(const char* text) {
  auto day = ParseIsoDate(text);
  EXPECT_TRUE(day.ok()) << day.status();
  return day.value_or(absl::CivilDay());
}

class GranularityOfTest : public ::testing::TestWithParam<GranularityCase> {};

TEST_P(GranularityOfTest, RecognisesNaturalPeriods) {
  EXPECT_THAT(GranularityOf(Day(GetParam().start), Day(GetParam().end)),
              IsOkAndHolds(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    Natural, GranularityOfTest,
    ::testing::Values(GranularityCase{"2026-11-23", "2026-11-23", types::GRANULARITY_DAY},
                      GranularityCase{"2024-02-29", "2024-02-29", types::GRANULARITY_DAY},
                      // 2026-11-16 and 2025-12-29 are Mondays.
                      GranularityCase{"2026-11-16", "2026-11-22", types::GRANULARITY_WEEK},
                      GranularityCase{"2025-12-29", "2026-01-04", types::GRANULARITY_WEEK},
                      GranularityCase{"2026-01-01", "2026-01-31", types::GRANULARITY_MONTH},
                      GranularityCase{"2026-02-01", "2026-02-28", types::GRANULARITY_MONTH},
                      GranularityCase{"2024-02-01", "2024-02-29", types::GRANULARITY_MONTH},
                      GranularityCase{"2026-04-01", "2026-04-30", types::GRANULARITY_MONTH},
                      GranularityCase{"2026-01-01", "2026-03-31", types::GRANULARITY_QUARTER},
                      GranularityCase{"2026-04-01", "2026-06-30", types::GRANULARITY_QUARTER},
                      GranularityCase{"2026-07-01", "2026-09-30", types::GRANULARITY_QUARTER},
                      GranularityCase{"2026-10-01", "2026-12-31", types::GRANULARITY_QUARTER},
                      GranularityCase{"2025-01-01", "2025-12-31", types::GRANULARITY_YEAR},
                      GranularityCase{"2024-01-01", "2024-12-31", types::GRANULARITY_YEAR}));

class GranularityOfRefusesTest : public ::testing::TestWithParam<GranularityCase> {};

TEST_P(GranularityOfRefusesTest, NearMisses) {
  const GranularityCase& c = GetParam();
  EXPECT_THAT(GranularityOf(Day(c.start), Day(c.end)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("period ", c.start, " to ", c.end,
                                    " is not a whole day, ISO week (Monday to Sunday), month, "
                                    "quarter or year")));
}

INSTANTIATE_TEST_SUITE_P(
    NotNatural, GranularityOfRefusesTest,
    ::testing::Values(
        // Seven days from a Sunday, a Tuesday; six and eight days from a Monday.
        GranularityCase{"2026-11-15", "2026-11-21", {}},
        GranularityCase{"2026-11-17", "2026-11-23", {}},
        GranularityCase{"2026-11-16", "2026-11-21", {}},
        GranularityCase{"2026-11-16", "2026-11-23", {}},
        // Months that do not start on the first or do not end on the last day.
        GranularityCase{"2026-01-02", "2026-01-31", {}},
        GranularityCase{"2026-01-01", "2026-01-30", {}},
        GranularityCase{"2024-02-01", "2024-02-28", {}},
        GranularityCase{"2026-01-03", "2026-02-11", {}},
        // Two months; a quarter starting in February; a half year.
        GranularityCase{"2026-01-01", "2026-02-28", {}},
        GranularityCase{"2026-02-01", "2026-04-30", {}},
        GranularityCase{"2026-01-01", "2026-06-30", {}},
        // A year starting in February; thirteen months; two years.
        GranularityCase{"2025-02-01", "2026-01-31", {}},
        GranularityCase{"2025-01-01", "2026-01-31", {}},
        GranularityCase{"2025-01-01", "2026-12-31", {}},
        // End before start.
        GranularityCase{"2026-02-01", "2026-01-31", {}}));

TEST(GranularityNameTest, LowerCaseNames) {
  EXPECT_EQ(GranularityName(types::GRANULARITY_DAY), "day");
  EXPECT_EQ(GranularityName(types::GRANULARITY_WEEK), "week");
  EXPECT_EQ(GranularityName(types::GRANULARITY_MONTH), "month");
  EXPECT_EQ(GranularityName(types::GRANULARITY_QUARTER), "quarter");
  EXPECT_EQ(GranularityName(types::GRANULARITY_YEAR), "year");
  EXPECT_EQ(GranularityName(types::GRANULARITY_UNSPECIFIED), "unspecified");
}

class DutchDateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::TimeZone amsterdam;
    if (!absl::LoadTimeZone("Europe/Amsterdam", &amsterdam)) {
      GTEST_SKIP() << "no time zone data for Europe/Amsterdam; DutchDate falls back to UTC";
    }
  }

  static absl::Time Utc(int y, int m, int d, int hh, int mm) {
    return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
  }
};

TEST_F(DutchDateTest, SummerEveningInUtcIsTheNextDayInAmsterdam) {
  // CEST is UTC+2.
  EXPECT_EQ(DutchDate(Utc(2026, 7, 15, 21, 59)), absl::CivilDay(2026, 7, 15));
  EXPECT_EQ(DutchDate(Utc(2026, 7, 15, 22, 0)), absl::CivilDay(2026, 7, 16));
  EXPECT_EQ(DutchDate(Utc(2026, 7, 15, 23, 30)), absl::CivilDay(2026, 7, 16));
}

TEST_F(DutchDateTest, WinterEveningInUtcIsTheNextDayInAmsterdam) {
  // CET is UTC+1.
  EXPECT_EQ(DutchDate(Utc(2026, 1, 15, 22, 59)), absl::CivilDay(2026, 1, 15));
  EXPECT_EQ(DutchDate(Utc(2026, 1, 15, 23, 0)), absl::CivilDay(2026, 1, 16));
  EXPECT_EQ(DutchDate(Utc(2026, 12, 31, 23, 30)), absl::CivilDay(2027, 1, 1));
}

TEST_F(DutchDateTest, EarlyMorningInUtcIsTheSameDay) {
  EXPECT_EQ(DutchDate(Utc(2026, 11, 23, 0, 30)), absl::CivilDay(2026, 11, 23));
}

}  // namespace
}  // namespace vroeg
