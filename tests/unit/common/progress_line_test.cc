#include "common/progress_line.h"

#include <sstream>

#include "gtest/gtest.h"

namespace vroeg {
namespace {

TEST(ProgressLineTest, RedrawsInPlaceOnATerminal) {
  std::ostringstream out;
  {
    ProgressLine progress(out, /*terminal=*/true);
    progress.Update("1 of 3");
    progress.Update("2 of 3");
    progress.Clear();
    progress.Clear();
    out << "result\n";
  }
  EXPECT_EQ(out.str(), "\r\x1b[K1 of 3\r\x1b[K2 of 3\r\x1b[Kresult\n");
}

TEST(ProgressLineTest, ClearedWhenItGoesAway) {
  std::ostringstream out;
  { ProgressLine(out, true).Update("working"); }
  EXPECT_EQ(out.str(), "\r\x1b[Kworking\r\x1b[K");
}

TEST(ProgressLineTest, SilentWhenNotATerminal) {
  std::ostringstream out;
  ProgressLine progress(out, /*terminal=*/false);
  progress.Update("1 of 3");
  progress.Clear();
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace vroeg
