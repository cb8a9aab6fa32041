// Fuzzes the agent's CSV reading (agent/sources): the tokenizer on its own, with limits small
// enough for short inputs to reach them, and ParseCsv on the whole input.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "agent/sources/csv_reader.h"
#include "agent/sources/observation_reader.h"
#include "tests/fuzz/fuzz_require.h"
#include "tests/fuzz/read_result_checks.h"

namespace vroeg::fuzz {
namespace {

// Larger inputs find nothing that smaller ones do not, and slow every run down.
constexpr size_t kMaxInputBytes = size_t{1} << 20;
constexpr size_t kFieldLimit = 8;
constexpr size_t kFieldsLimit = 4;

void Tokenize(absl::string_view content, char separator) {
  CsvReader reader(content, separator, kFieldLimit, kFieldsLimit);
  CsvRecord record;
  uint32_t rows = 0;
  while (reader.Next(record)) {
    Require(record.row == ++rows, "rows are numbered 1, 2, 3, ...");
    Require(record.field_count >= 1, "a record has at least one field");
    Require(record.fields.size() == std::min(record.field_count, kFieldsLimit),
            "a record keeps its first max_fields fields");
    for (const CsvField& field : record.fields) {
      Require(field.text.size() <= kFieldLimit, "a field keeps at most max_field_bytes");
      Require(!field.too_long || field.text.size() == kFieldLimit,
              "a field is too long only once it is full");
    }
    // Every record consumes input, which is what makes the reader terminate.
    Require(rows <= content.size(), "no more records than bytes");
  }
}

}  // namespace
}  // namespace vroeg::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > vroeg::fuzz::kMaxInputBytes) return 0;
  const absl::string_view content(reinterpret_cast<const char*>(data), size);
  vroeg::fuzz::Tokenize(content, ',');
  vroeg::fuzz::Tokenize(content, ';');
  absl::StatusOr<vroeg::ReadResult> result = vroeg::ParseCsv(content);
  vroeg::fuzz::CheckReadResult(result);
  if (result.ok()) {
    vroeg::fuzz::Require(result->format != vroeg::FileFormat::kJson, "CSV is read as CSV");
    for (const vroeg::api::v1::Observation& observation : result->observations) {
      vroeg::fuzz::Require(observation.source_row() >= 2, "the header is row 1");
    }
  }
  return 0;
}
