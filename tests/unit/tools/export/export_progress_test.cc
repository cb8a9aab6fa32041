#include "tools/vroegctl/export/export_progress.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vroeg::export_format {
namespace {

using ::testing::EndsWith;

const absl::Time kStart = absl::FromUnixSeconds(1790000000);

TEST(ExportProgressTest, ShowsRowsRateAndElapsedTime) {
  FakeClock clock(kStart);
  std::ostringstream out;
  ProgressLine line(out, /*terminal=*/true);
  ExportProgress progress(&line, &clock);
  progress.Add(500);
  // Within the redraw interval of the start: nothing drawn yet.
  EXPECT_EQ(out.str(), "");
  clock.Advance(absl::Seconds(2));
  progress.Add(500);
  EXPECT_EQ(out.str(), "\r\x1b[K1000 rows, 500 rows/s, 0:02 elapsed");
  // Counting on within the interval draws nothing new.
  clock.Advance(absl::Milliseconds(100));
  progress.Add(7);
  EXPECT_THAT(out.str(), EndsWith("1000 rows, 500 rows/s, 0:02 elapsed"));
  EXPECT_EQ(progress.rows(), 1007u);
  progress.Finish();
  EXPECT_THAT(out.str(), EndsWith("elapsed\r\x1b[K"));
}

TEST(ExportProgressTest, SilentWhenNotATerminal) {
  FakeClock clock(kStart);
  std::ostringstream out;
  ProgressLine line(out, /*terminal=*/false);
  ExportProgress progress(&line, &clock);
  for (int i = 0; i < 10; ++i) {
    clock.Advance(absl::Seconds(1));
    progress.Add(100);
  }
  progress.Finish();
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(progress.Text(), "1000 rows, 100 rows/s, 0:10 elapsed");
}

TEST(ExportProgressTest, ElapsedTimeReadsAsAClock) {
  EXPECT_EQ(FormatElapsed(absl::Seconds(7)), "0:07");
  EXPECT_EQ(FormatElapsed(absl::Seconds(754)), "12:34");
  EXPECT_EQ(FormatElapsed(absl::Seconds(3723)), "1:02:03");
}

}  // namespace
}  // namespace vroeg::export_format
