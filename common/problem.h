#ifndef VROEG_COMMON_PROBLEM_H_
#define VROEG_COMMON_PROBLEM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace vroeg {

// One thing wrong with one figure in a file or submission, with enough context for a person to
// find and fix it.
struct Problem {
  // 1-based row in the sender's file, counting the header (CSV) or the item (JSON); 0 = unknown.
  uint32_t row = 0;
  // Column (CSV header name) or field (JSON key, API field path) at fault; may be empty.
  std::string column;
  // The offending value as written; may be empty.
  std::string value;
  // The rule that failed, e.g. "-3 is below the minimum 0".
  std::string message;
};

// "row 14, column wachtenden: -3 is below the minimum 0"; the parts that are unknown are left
// out.
std::string FormatProblem(const Problem& problem);

// Formats at most `limit` problems, one per line after `indent`, and says how many more there
// are.
std::string FormatProblems(const std::vector<Problem>& problems, size_t limit = 50,
                           absl::string_view indent = "");

}  // namespace vroeg

#endif  // VROEG_COMMON_PROBLEM_H_
