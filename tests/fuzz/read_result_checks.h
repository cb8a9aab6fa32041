#ifndef VROEG_TESTS_FUZZ_READ_RESULT_CHECKS_H_
#define VROEG_TESTS_FUZZ_READ_RESULT_CHECKS_H_

#include <cmath>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/sources/csv_reader.h"
#include "agent/sources/observation_reader.h"
#include "tests/fuzz/fuzz_require.h"

namespace vroeg::fuzz {

// Text that ends up in a SubmitRequest or a printed report must be valid UTF-8 without NUL
// bytes: proto3 refuses to serialise anything else, and a NUL cuts a log line short.
inline bool IsCleanText(absl::string_view text) {
  return IsValidUtf8(text) && text.find('\0') == absl::string_view::npos;
}

// The promises of observation_reader.h that hold for any input, whatever its format.
inline void CheckReadResult(const absl::StatusOr<ReadResult>& result) {
  if (!result.ok()) {
    Require(absl::IsInvalidArgument(result.status()), "whole-file errors are INVALID_ARGUMENT");
    Require(!result.status().message().empty(), "a whole-file error says what is wrong");
    Require(IsCleanText(result.status().message()), "a whole-file error is clean text");
    return;
  }
  Require(result->observations.size() <= kMaxObservations, "at most kMaxObservations figures");
  Require(result->problems.size() <= kMaxProblems + 1, "at most kMaxProblems + 1 problems");
  for (const api::v1::Observation& observation : result->observations) {
    Require(!observation.indicator().empty(), "every figure has an indicator");
    Require(std::isfinite(observation.value()), "every value is finite");
    Require(!std::signbit(observation.value()) || observation.value() != 0, "-0 becomes 0");
    Require(observation.period().start().size() == 10 && observation.period().end().size() == 10,
            "dates are YYYY-MM-DD");
    Require(observation.source_row() >= 1, "every figure names its row");
    for (const std::string* text : {&observation.indicator(), &observation.care_form(),
                                    &observation.municipality(), &observation.source_column()}) {
      Require(IsCleanText(*text), "figures carry only clean text");
    }
  }
  for (const Problem& problem : result->problems) {
    Require(!problem.message.empty(), "every problem says what is wrong");
    Require(
        IsCleanText(problem.message) && IsCleanText(problem.column) && IsCleanText(problem.value),
        "problems are clean text");
  }
}

}  // namespace vroeg::fuzz

#endif  // VROEG_TESTS_FUZZ_READ_RESULT_CHECKS_H_
