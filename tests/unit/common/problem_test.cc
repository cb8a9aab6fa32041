#include "common/problem.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace vroeg {
namespace {

TEST(FormatProblemTest, RowAndColumn) {
  EXPECT_EQ(FormatProblem({14, "wachtenden", "-3", "-3 is below the minimum 0"}),
            "row 14, column wachtenden: -3 is below the minimum 0");
}

TEST(FormatProblemTest, ColumnOnly) {
  EXPECT_EQ(FormatProblem({0, "observations[3].value", "-3", "-3 is below the minimum 0"}),
            "column observations[3].value: -3 is below the minimum 0");
}

TEST(FormatProblemTest, RowOnly) {
  EXPECT_EQ(FormatProblem({7, "", "", "the row has 3 fields, the header 5"}),
            "row 7: the row has 3 fields, the header 5");
}

TEST(FormatProblemTest, MessageOnly) {
  EXPECT_EQ(FormatProblem({0, "", "x", "the file is empty"}), "the file is empty");
}

TEST(FormatProblemTest, ValueIsNotRepeated) {
  EXPECT_EQ(FormatProblem({2, "care_form", "pleegzorg", "unknown care form 'pleegzorg'"}),
            "row 2, column care_form: unknown care form 'pleegzorg'");
}

std::vector<Problem> NumberedProblems(int n) {
  std::vector<Problem> problems;
  for (int i = 1; i <= n; ++i) {
    problems.push_back({static_cast<uint32_t>(i + 1), "value", "", absl::StrCat("problem ", i)});
  }
  return problems;
}

TEST(FormatProblemsTest, OneLinePerProblem) {
  EXPECT_EQ(FormatProblems(NumberedProblems(3)),
            "row 2, column value: problem 1\n"
            "row 3, column value: problem 2\n"
            "row 4, column value: problem 3\n");
}

TEST(FormatProblemsTest, NothingForNoProblems) { EXPECT_EQ(FormatProblems({}), ""); }

TEST(FormatProblemsTest, SaysHowManyMoreThereAre) {
  EXPECT_EQ(FormatProblems(NumberedProblems(5), 2),
            "row 2, column value: problem 1\n"
            "row 3, column value: problem 2\n"
            "... and 3 more problems\n");
}

TEST(FormatProblemsTest, ExactlyTheLimitHasNoTrailer) {
  EXPECT_EQ(FormatProblems(NumberedProblems(2), 2),
            "row 2, column value: problem 1\n"
            "row 3, column value: problem 2\n");
}

TEST(FormatProblemsTest, DefaultLimitIsFifty) {
  const std::string formatted = FormatProblems(NumberedProblems(52));
  EXPECT_NE(formatted.find("row 51, column value: problem 50\n"), std::string::npos);
  EXPECT_EQ(formatted.find("problem 51\n"), std::string::npos);
  EXPECT_EQ(formatted.substr(formatted.size() - 24), "... and 2 more problems\n");
}

TEST(FormatProblemsTest, ZeroLimitOnlyCounts) {
  EXPECT_EQ(FormatProblems(NumberedProblems(4), 0), "... and 4 more problems\n");
}

}  // namespace
}  // namespace vroeg
