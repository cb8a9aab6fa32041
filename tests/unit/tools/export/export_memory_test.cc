// Writing an export must take constant memory whatever its size (issue: `vroegctl export`): a
// million rows through each format, with the process's resident memory measured after a warm-up
// and again at the end. A writer that kept rows (a CSV line is about 100 bytes, a workbook cell
// far more) would grow by a hundred megabytes or more; the tolerance is generous against the
// allocator's own habits. No timing is asserted.

#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tools/vroegctl/export/table_writer.h"

#if defined(__SANITIZE_ADDRESS__)
#define VROEG_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VROEG_UNDER_ASAN 1
#endif
#endif

namespace vroeg::export_format {
namespace {

using ::vroeg::testing::IsOk;
using ::vroeg::testing::TempDir;

constexpr int kRows = 1'000'000;
constexpr int kWarmUpRows = 20'000;
constexpr int64_t kToleranceBytes = 24 << 20;

// Resident set size from /proc/self/status, in bytes; -1 when unreadable.
int64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    rest = absl::StripAsciiWhitespace(rest);
    absl::ConsumeSuffix(&rest, "kB");
    int64_t kilobytes = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &kilobytes)) return kilobytes * 1024;
  }
  return -1;
}

// Counts what is written and keeps none of it.
class CountingBuffer : public std::streambuf {
 public:
  uint64_t bytes() const { return bytes_; }

 protected:
  std::streamsize xsputn(const char*, std::streamsize count) override {
    bytes_ += static_cast<uint64_t>(count);
    return count;
  }
  int overflow(int c) override {
    if (c != traits_type::eof()) ++bytes_;
    return traits_type::not_eof(c);
  }

 private:
  uint64_t bytes_ = 0;
};

const std::vector<Column> kColumns = {
    {"reporter", ColumnType::kText, 0},   {"value", ColumnType::kNumber, 0},
    {"period_end", ColumnType::kDate, 0}, {"received_at", ColumnType::kTimestamp, 0},
    {"current", ColumnType::kBoolean, 0}, {"submission_id", ColumnType::kText, 0},
};
const char* const kSheets[] = {"availability", "capacity", "staff"};

std::vector<Cell> Row(int i) {
  return {absl::StrCat("urn:vroeg:provider:", 10000000 + i % 5000),
          static_cast<double>(i % 997) + 0.5,
          absl::CivilDay(2020, 1, 1) + i % 2000,
          absl::FromUnixSeconds(1700000000 + i),
          i % 3 == 0,
          absl::StrCat("submission-", i / 100)};
}

class ExportMemoryTest : public ::testing::TestWithParam<Format> {};

TEST_P(ExportMemoryTest, AMillionRowsInConstantMemory) {
#ifdef VROEG_UNDER_ASAN
  GTEST_SKIP() << "AddressSanitizer keeps freed memory in quarantine, so resident memory says "
                  "nothing about the writer here; the build without sanitizers checks it";
#endif
  TempDir dir;
  CountingBuffer counting;
  std::ostream standard_output(&counting);
  OutputOptions options;
  options.format = GetParam();
  options.temp_dir = dir.path();
  const bool to_file = GetParam() == Format::kXlsx;
  const std::string path = to_file ? dir.Sub("export.xlsx") : "-";

  auto writer = OpenTableWriter(kColumns, options, path, standard_output);
  ASSERT_THAT(writer, IsOk());
  int written = 0;
  for (; written < kWarmUpRows; ++written) {
    ASSERT_THAT((*writer)->WriteRow(kSheets[written % 3], Row(written)), IsOk());
  }
  const int64_t warm = ResidentBytes();
  ASSERT_GT(warm, 0);
  for (; written < kRows; ++written) {
    ASSERT_THAT((*writer)->WriteRow(kSheets[written % 3], Row(written)), IsOk());
  }
  const int64_t after_rows = ResidentBytes();
  ASSERT_THAT((*writer)->Finish(), IsOk());
  const int64_t after_finish = ResidentBytes();
  writer->reset();

  EXPECT_LT(after_rows - warm, kToleranceBytes)
      << "resident memory grew from " << warm << " to " << after_rows << " bytes";
  EXPECT_LT(after_finish - warm, kToleranceBytes)
      << "resident memory grew from " << warm << " to " << after_finish << " bytes on Finish";
  // The rows did go somewhere: about 50 bytes each at the least.
  const uint64_t output = to_file ? std::filesystem::file_size(path) : counting.bytes();
  EXPECT_GT(output, to_file ? uint64_t{10} << 20 : uint64_t{50} * kRows);
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, ExportMemoryTest,
                         ::testing::Values(Format::kCsv, Format::kJsonLines, Format::kXlsx),
                         [](const ::testing::TestParamInfo<Format>& param_info) {
                           switch (param_info.param) {
                             case Format::kCsv:
                               return "Csv";
                             case Format::kJsonLines:
                               return "JsonLines";
                             case Format::kXlsx:
                               return "Xlsx";
                           }
                           return "Unknown";
                         });

}  // namespace
}  // namespace vroeg::export_format
