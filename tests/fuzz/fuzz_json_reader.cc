// Fuzzes the agent's JSON reading (agent/sources): ParseJson on the whole input.

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "agent/sources/observation_reader.h"
#include "tests/fuzz/fuzz_require.h"
#include "tests/fuzz/read_result_checks.h"

namespace {

// Larger inputs find nothing that smaller ones do not, and slow every run down.
constexpr size_t kMaxInputBytes = size_t{1} << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return 0;
  const absl::string_view content(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<vroeg::ReadResult> result = vroeg::ParseJson(content);
  vroeg::fuzz::CheckReadResult(result);
  if (result.ok()) {
    vroeg::fuzz::Require(result->format == vroeg::FileFormat::kJson, "JSON is read as JSON");
  }
  return 0;
}
